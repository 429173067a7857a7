package dashboard

import (
	"strings"

	"github.com/pasarela/pasarela"
)

// navEntry is one entry of the navigation: shown once a GET route is
// registered at its path, to users holding one of its roles (nil: all).
type navEntry struct {
	Path  string
	Key   string // catalog key of its label
	Roles []pasarela.Role
}

// navEntries lists the dashboard's sections in the order shown, each with
// the roles the core lets read it. Pages that do not exist yet stay hidden
// until their route is registered.
var navEntries = []navEntry{
	{Prefix, "nav.home", AnyRole},
	{Prefix + "payments", "nav.payments", AnyRole},
	{Prefix + "subscriptions", "nav.subscriptions", AnyRole},
	{Prefix + "payouts", "nav.payouts", []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleViewer}},
	// Every role: a terminal lists the deposits it created (the core's
	// rule, depositViewer).
	{Prefix + "deposits", "nav.deposits", AnyRole},
	{Prefix + "developers", "nav.developers", Admins},
	{Prefix + "team", "nav.team", Admins},
}

// navLink is a nav entry as the layout shows it.
type navLink struct {
	Path, Label string
	Current     bool
}

func (d *Dashboard) nav(q *Request) []navLink {
	var out []navLink
	for _, e := range navEntries {
		if !d.gets[e.Path] || len(e.Roles) > 0 && !q.Principal.HasRole(e.Roles...) {
			continue
		}
		current := q.Path == e.Path || e.Path != Prefix && strings.HasPrefix(q.Path, e.Path+"/")
		out = append(out, navLink{Path: e.Path, Label: translate(q.Lang, e.Key), Current: current})
	}
	return out
}
