package payrest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

type userJSON struct {
	ID        int64     `json:"id"`
	UUID      string    `json:"uuid"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	FirstName *string   `json:"firstName"`
	LastName  *string   `json:"lastName"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Links     []link    `json:"links"`
}

// userForm is UserType. The password is write-only: required on create,
// changed when present on update, never cleared.
type userForm struct {
	Username  pasarela.Field[string]          `json:"username"`
	Email     pasarela.Field[string]          `json:"email"`
	Password  pasarela.Field[string]          `json:"password"`
	Roles     pasarela.Field[[]pasarela.Role] `json:"roles"`
	FirstName pasarela.Field[string]          `json:"firstName"`
	LastName  pasarela.Field[string]          `json:"lastName"`
}

func (u userForm) input() core.UserInput {
	return core.UserInput{Username: u.Username, Email: u.Email, Password: u.Password, Roles: u.Roles,
		FirstName: u.FirstName, LastName: u.LastName}
}

func userView(u *pasarela.User) userJSON {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return userJSON{ID: u.ID, UUID: u.UUID, Username: u.Username, Email: u.Email, FirstName: u.FirstName,
		LastName: u.LastName, Roles: roles, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		Links: []link{{Rel: "self", Href: "/client/" + u.ClientID + "/user/" + strconv.FormatInt(u.ID, 10)}}}
}

func (f *Face) listUsers(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r.URL.Query())
	if err != nil {
		return err
	}
	users, total, err := f.svc.ListUsers(r.Context(), r.PathValue("clientId"), opts)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i := range users {
		out[i] = userView(&users[i])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) createUser(w http.ResponseWriter, r *http.Request) error {
	var form userForm
	if err := decodeBody(r, "user", &form); err != nil {
		return err
	}
	u, err := f.svc.CreateUser(r.Context(), r.PathValue("clientId"), form.input())
	if err != nil {
		return err
	}
	view := userView(u)
	w.Header().Set("Location", view.Links[0].Href)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (f *Face) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	u, err := f.svc.GetUser(r.Context(), r.PathValue("clientId"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (f *Face) putUser(w http.ResponseWriter, r *http.Request) error { return f.updateUser(w, r, true) }
func (f *Face) patchUser(w http.ResponseWriter, r *http.Request) error {
	return f.updateUser(w, r, false)
}

func (f *Face) updateUser(w http.ResponseWriter, r *http.Request, replace bool) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	var form userForm
	if err := decodeBody(r, "user", &form); err != nil {
		return err
	}
	u, err := f.svc.UpdateUser(r.Context(), r.PathValue("clientId"), id, form.input(), replace)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (f *Face) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	if err := f.svc.DeleteUser(r.Context(), r.PathValue("clientId"), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
