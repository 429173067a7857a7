package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The Team section (admins): the client's users, adding one, changing a
// user's roles, setting a new password for one (which ends every session
// and token of that user, as the core does for any password an admin
// sets), disabling one (it signs in nowhere and its sessions and tokens
// end at once) or enabling it again, and removing one. The core keeps a
// client's last enabled admin.

var allRoles = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleTerminal, pasarela.RoleViewer}

type teamData struct {
	Users []pasarela.User
	Pager pager
	Roles []pasarela.Role
	Form  newUserForm
	Error string
	Done  string
}

type newUserForm struct {
	Username, Email string
	Role            pasarela.Role
}

// team serves GET /dashboard/team.
func (d *Dashboard) team(w http.ResponseWriter, r *http.Request, q *Request) error {
	return d.showTeam(w, r, q, http.StatusOK, teamData{Form: newUserForm{Role: pasarela.RoleViewer}, Done: doneText(q.Lang, r)})
}

func (d *Dashboard) showTeam(w http.ResponseWriter, r *http.Request, q *Request, status int, data teamData) error {
	page := pageOf(r)
	users, total, err := d.svc.ListUsers(q.Ctx, q.Principal.ClientID,
		pasarela.ListOptions{Limit: sectionPageSize, Offset: (page - 1) * sectionPageSize})
	if err != nil {
		return err
	}
	data.Users, data.Roles = users, allRoles
	data.Pager = newPager(Prefix+"team", r.URL.Query(), page, len(users), total)
	d.render(w, r, q, status, "team", data)
	return nil
}

// rolesOf reads the roles chosen in a form, in the order the pages list
// them. A name that is no role is passed on, for the core to refuse by
// name.
func rolesOf(form map[string][]string) []pasarela.Role {
	out := []pasarela.Role{}
	for _, role := range allRoles {
		if slices.Contains(form["role"], string(role)) {
			out = append(out, role)
		}
	}
	for _, v := range form["role"] {
		if !slices.Contains(allRoles, pasarela.Role(v)) {
			out = append(out, pasarela.Role(v))
		}
	}
	return out
}

// createTeamUser serves POST /dashboard/team: user name, email, one role
// and a first password the admin passes on.
func (d *Dashboard) createTeamUser(w http.ResponseWriter, r *http.Request, q *Request) error {
	f := r.PostForm
	form := newUserForm{Username: strings.TrimSpace(f.Get("username")), Email: strings.TrimSpace(f.Get("email")),
		Role: pasarela.Role(f.Get("role"))}
	in := core.UserInput{Username: pasarela.Set(form.Username), Email: pasarela.Set(form.Email),
		Password: pasarela.Set(f.Get("password")), Roles: pasarela.Set(rolesOf(f))}
	if _, err := d.svc.CreateUser(q.Ctx, q.Principal.ClientID, in); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showTeam(w, r, q, http.StatusBadRequest, teamData{Form: form, Error: errorText(q.Lang, err)})
		}
		return err
	}
	return redirect(w, r, Prefix+"team?done=user.created")
}

type teamUserData struct {
	User  *pasarela.User
	Roles []roleBox
	Self  bool
	Error string
	Done  string
	// SecondFactor: the user has one on, which an admin may reset.
	SecondFactor bool
}

type roleBox struct {
	Role    pasarela.Role
	Checked bool
}

func (d *Dashboard) teamUserOf(r *http.Request, q *Request) (*pasarela.User, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return d.svc.GetUser(q.Ctx, q.Principal.ClientID, id)
}

// teamUser serves GET /dashboard/team/{id}.
func (d *Dashboard) teamUser(w http.ResponseWriter, r *http.Request, q *Request) error {
	u, err := d.teamUserOf(r, q)
	if err != nil {
		return err
	}
	return d.showTeamUser(w, r, q, http.StatusOK, u, "", doneText(q.Lang, r))
}

func (d *Dashboard) showTeamUser(w http.ResponseWriter, r *http.Request, q *Request, status int, u *pasarela.User, msg, done string) error {
	boxes := make([]roleBox, len(allRoles))
	for i, role := range allRoles {
		boxes[i] = roleBox{Role: role, Checked: slices.Contains(u.Roles, role)}
	}
	on, err := d.svc.UserSecondFactor(q.Ctx, q.Principal.ClientID, u.ID)
	if err != nil {
		return err
	}
	d.render(w, r, q, status, "teamuser", teamUserData{User: u, Roles: boxes, Self: u.ID == q.Principal.UserID, Error: msg, Done: done,
		SecondFactor: on})
	return nil
}

func teamPath(id int64) string { return Prefix + "team/" + strconv.FormatInt(id, 10) }

// teamChange runs an update of a user and shows the user again with the
// reason when it is refused.
func (d *Dashboard) teamChange(w http.ResponseWriter, r *http.Request, q *Request, in core.UserInput, done string) error {
	u, err := d.teamUserOf(r, q)
	if err != nil {
		return err
	}
	if _, err := d.svc.UpdateUser(q.Ctx, q.Principal.ClientID, u.ID, in, false); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showTeamUser(w, r, q, http.StatusBadRequest, u, errorText(q.Lang, err), "")
		}
		return err
	}
	return redirect(w, r, teamPath(u.ID)+"?done="+done)
}

// setTeamRoles serves POST /dashboard/team/{id}/roles.
func (d *Dashboard) setTeamRoles(w http.ResponseWriter, r *http.Request, q *Request) error {
	return d.teamChange(w, r, q, core.UserInput{Roles: pasarela.Set(rolesOf(r.PostForm))}, "roles")
}

// resetTeamPassword serves POST /dashboard/team/{id}/password: the new
// password replaces the old one and the user's sessions and tokens end.
func (d *Dashboard) resetTeamPassword(w http.ResponseWriter, r *http.Request, q *Request) error {
	return d.teamChange(w, r, q, core.UserInput{Password: pasarela.Set(r.PostForm.Get("password"))}, "password")
}

// resetTeamSecondFactor serves POST /dashboard/team/{id}/totp/reset: the
// user who lost its authenticator signs in with the password again, and
// its sessions end.
func (d *Dashboard) resetTeamSecondFactor(w http.ResponseWriter, r *http.Request, q *Request) error {
	u, err := d.teamUserOf(r, q)
	if err != nil {
		return err
	}
	if err := d.svc.ResetSecondFactor(q.Ctx, q.Principal.ClientID, u.ID); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showTeamUser(w, r, q, http.StatusBadRequest, u, errorText(q.Lang, err), "")
		}
		return err
	}
	return redirect(w, r, teamPath(u.ID)+"?done=totp.reset")
}

// deleteTeamUser serves POST /dashboard/team/{id}/delete.
func (d *Dashboard) deleteTeamUser(w http.ResponseWriter, r *http.Request, q *Request) error {
	u, err := d.teamUserOf(r, q)
	if err != nil {
		return err
	}
	if err := d.svc.DeleteUser(q.Ctx, q.Principal.ClientID, u.ID); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showTeamUser(w, r, q, http.StatusBadRequest, u, errorText(q.Lang, err), "")
		}
		return err
	}
	return redirect(w, r, Prefix+"team?done=user.deleted")
}

// disableTeamUser serves POST /dashboard/team/{id}/disable.
func (d *Dashboard) disableTeamUser(w http.ResponseWriter, r *http.Request, q *Request) error {
	return d.setTeamDisabled(w, r, q, true, "user.disabled")
}

// enableTeamUser serves POST /dashboard/team/{id}/enable.
func (d *Dashboard) enableTeamUser(w http.ResponseWriter, r *http.Request, q *Request) error {
	return d.setTeamDisabled(w, r, q, false, "user.enabled")
}

func (d *Dashboard) setTeamDisabled(w http.ResponseWriter, r *http.Request, q *Request, disabled bool, done string) error {
	u, err := d.teamUserOf(r, q)
	if err != nil {
		return err
	}
	if _, err := d.svc.SetUserDisabled(q.Ctx, q.Principal.ClientID, u.ID, disabled); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showTeamUser(w, r, q, http.StatusBadRequest, u, errorText(q.Lang, err), "")
		}
		return err
	}
	return redirect(w, r, teamPath(u.ID)+"?done="+done)
}
