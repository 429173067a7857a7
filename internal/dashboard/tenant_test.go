package dashboard_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/dashboard"
)

// tenantRoutes are the dashboard's routes that name an object, with the
// object's id as a placeholder ({payment}, {app}, {config}); every route
// registered with a path wildcard must be here, so that a page added later
// joins the matrix. A user of another client must get 404 for each.
var tenantRoutes = []string{
	"GET /dashboard/payments/{payment}",
	"POST /dashboard/payments/{payment}/refund",
	"POST /dashboard/payments/{payment}/capture",
	"POST /dashboard/payments/{payment}/cancel",
	"POST /dashboard/payments/{payment}/link",
	"GET /dashboard/payments?app={app}",
	"GET /dashboard/payments.csv?app={app}",
}

// TestTenantMatrix: B's admin gets 404 for every route of A's objects, and
// A's own admin gets no 404 for the same addresses.
func TestTenantMatrix(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{}, cardVisa)
	ids := map[string]string{
		"{payment}": strconv.FormatInt(paid.ID, 10),
		"{app}":     strconv.FormatInt(s.A.App.ID, 10),
		"{config}":  strconv.FormatInt(s.Config, 10),
	}
	// Every route with a wildcard is in the matrix.
	d := dashboard.New(s.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	for _, pattern := range d.Patterns() {
		if !strings.Contains(pattern, "{") || strings.HasSuffix(pattern, "{$}") {
			continue
		}
		found := false
		for _, r := range append(tenantRoutes, sectionTenantRoutes...) {
			method, path, _ := strings.Cut(r, " ")
			path, _, _ = strings.Cut(path, "?")
			if method+" "+regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "{id}") ==
				regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(pattern, "{id}") {
				found = true
			}
		}
		if !found {
			t.Errorf("route %s is not in the tenant matrix (tenantRoutes)", pattern)
		}
	}
	other := s.browser().mustSignIn(s.B.Admin.Email)
	own := s.browser().mustSignIn(s.A.Admin.Email)
	for _, r := range tenantRoutes {
		method, path, _ := strings.Cut(r, " ")
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		send := func(b *browser) *page {
			if method == http.MethodPost {
				return b.post(path, url.Values{"csrf": {b.token()}, "key": {"k"}, "config": {ids["{config}"]}})
			}
			return b.get(path)
		}
		if p := send(other); p.Status != http.StatusNotFound {
			t.Errorf("%s %s as another client's admin: %d, want 404", method, path, p.Status)
		}
		if p := send(own); p.Status == http.StatusNotFound {
			t.Errorf("%s %s as the client's admin: 404", method, path)
		}
	}
}
