package pasarela

import "context"

// Principal is who is calling: an application (by its API key) or a user of a
// client (by a bearer token or a face's own login). Every core call reads it
// from the context and scopes what it touches to Principal.ClientID.
type Principal struct {
	ClientID      string
	ApplicationID int64 // set when authenticated by an application key
	UserID        int64 // set when authenticated as a user
	Username      string
	Roles         []Role
}

// IsUser reports whether the principal is a person rather than an application.
func (p *Principal) IsUser() bool { return p.UserID != 0 }

// HasRole reports whether the principal holds any of the roles.
func (p *Principal) HasRole(roles ...Role) bool {
	for _, have := range p.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
