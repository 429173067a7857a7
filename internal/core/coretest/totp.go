package coretest

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// MustTOTP turns a second factor on for u at the time now (the service's
// clock), as the user would from the dashboard's account page, and returns
// its secret.
func MustTOTP(t testing.TB, svc *core.Service, u *pasarela.User, now time.Time) string {
	t.Helper()
	ctx := pasarela.WithPrincipal(context.Background(), &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Roles: u.Roles})
	enrol, err := svc.EnrollTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(enrol.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmTOTP(ctx, code, "198.51.100.99", ""); err != nil {
		t.Fatal(err)
	}
	return enrol.Secret
}
