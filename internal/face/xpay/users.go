package xpay

import (
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// userInfo is the signed-in user as the seed's example shows it.
type userInfo struct {
	ID        int64    `json:"id"`
	Username  string   `json:"username"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Email     string   `json:"email"`
	IsActive  bool     `json:"is_active"`
	TwoFA     bool     `json:"twofa"`
	Manager   bool     `json:"manager"`
	Groups    []string `json:"groups"`
}

// commerce is the user's client. pasarela keeps no legal document for a
// client, so dni and the document type's name and country are null rather
// than made up; fiat_withdraw is false (no fiat withdrawals from the
// commerce's balance through this face).
type commerce struct {
	ID           string       `json:"id"`
	Email        string       `json:"email"`
	Name         string       `json:"name"`
	DNI          *string      `json:"dni"`
	Active       bool         `json:"active"`
	Status       string       `json:"status"`
	FiatWithdraw bool         `json:"fiat_withdraw"`
	DocumentType documentType `json:"document_type"`
}

type documentType struct {
	Name    *string `json:"name"`
	Country *string `json:"country"`
}

type usersResponse struct {
	UserInfo userInfo `json:"user_info"`
	Commerce commerce `json:"commerce"`
}

// groups are xpay's group names for the core's roles, in the order shown.
var groups = []struct {
	role pasarela.Role
	name string
}{
	{pasarela.RoleAdmin, "Commerce Admin"},
	{pasarela.RoleManager, "Commerce Manager"},
	{pasarela.RoleTerminal, "Commerce User"},
	{pasarela.RoleViewer, "Commerce Viewer"},
}

// isManager reports whether a principal is an xpay manager: a client's
// admins and managers see the whole commerce.
func isManager(p *pasarela.Principal) bool {
	return p != nil && p.HasRole(pasarela.RoleAdmin, pasarela.RoleManager)
}

func infoOf(u *pasarela.User) userInfo {
	info := userInfo{ID: u.ID, Username: u.Username, Email: u.Email, IsActive: u.DisabledAt == nil, Groups: []string{}}
	if u.FirstName != nil {
		info.FirstName = *u.FirstName
	}
	if u.LastName != nil {
		info.LastName = *u.LastName
	}
	p := &pasarela.Principal{Roles: u.Roles}
	info.Manager = isManager(p)
	for _, g := range groups {
		if p.HasRole(g.role) {
			info.Groups = append(info.Groups, g.name)
		}
	}
	return info
}

// users serves GET users/: the signed-in user and its commerce.
func (f *Face) users(w http.ResponseWriter, r *http.Request) error {
	u, c, err := f.svc.Me(r.Context())
	if err != nil {
		return err
	}
	info := infoOf(u)
	// twofa tells whether the user signs in to the dashboard with a second
	// factor: the one the gateway has.
	if info.TwoFA, _, err = f.svc.SecondFactorOn(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, usersResponse{UserInfo: info, Commerce: commerce{
		ID: c.ID, Email: c.Email, Name: c.Name, Active: c.Status == pasarela.ClientActive, Status: string(c.Status),
	}})
	return nil
}

// changePassword serves PUT (and POST) password/ with old_password,
// new_password and new_password_confirmation, as JSON or a form. The token
// used stays valid; every other token of the user is revoked.
func (f *Face) changePassword(w http.ResponseWriter, r *http.Request) error {
	names := []string{"old_password", "new_password", "new_password_confirmation"}
	in, err := readForm(r, names...)
	if err != nil {
		return err
	}
	var v pasarela.Validation
	vals := make([]*string, len(names))
	for i, name := range names {
		vals[i], err = in.str(name)
		v.AddError(err)
	}
	if err := v.Err(); err != nil {
		return err
	}
	_, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	ctx := r.Context()
	err = f.svc.ChangeOwnPassword(ctx, core.PasswordChange{Old: vals[0], New: vals[1], Confirmation: vals[2],
		KeepToken: strings.TrimSpace(key), IP: transport.ClientIP(ctx)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Password Changed"})
	return nil
}

// country is one entry of countries/.
type country struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Code     string `json:"code"`
	Currency string `json:"currency"`
}

// countriesList is what countries/ answers: the countries of xpay's region
// and the ones the plugins' admin pages offer, with ISO 3166 alpha-2 codes
// and each one's ISO 4217 currency. The ids are stable.
var countriesList = []country{
	{1, "Colombia", "CO", "COP"},
	{2, "México", "MX", "MXN"},
	{3, "Argentina", "AR", "ARS"},
	{4, "Brasil", "BR", "BRL"},
	{5, "Chile", "CL", "CLP"},
	{6, "Ecuador", "EC", "USD"},
	{7, "Perú", "PE", "PEN"},
	{8, "Panamá", "PA", "PAB"},
	{9, "Venezuela", "VE", "VES"},
	{10, "España", "ES", "EUR"},
	{11, "United States", "US", "USD"},
}

// countries serves GET countries/, unauthenticated (the plugins' admin
// page calls it before it has a token).
func (f *Face) countries(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, countriesList)
	return nil
}
