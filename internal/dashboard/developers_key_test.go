package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRecreateKeyOnce: the recreate-key form carries its own idempotency
// key. Sent once, the key is recreated and shown on that answer; sent
// again (a reload, a double click), nothing is recreated, the page says
// the key was already recreated and shows no key, and the key shown first
// is the one that works.
func TestRecreateKeyOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	b := s.browser().mustSignIn(s.A.Admin.Email)
	path := "/dashboard/developers/" + strconv.FormatInt(s.A.App.ID, 10)
	page := b.get(path)
	m := regexp.MustCompile(`action="` + path + `/key" class="form">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<input type="hidden" name="key" value="([^"]+)">`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the recreate-key form has no key of its own:\n%s", page.Body)
	}
	form := url.Values{"csrf": {page.csrf(t)}, "key": {m[1]}}
	first := b.post(path+"/key", form)
	wantStatus(t, "recreate", first, http.StatusOK)
	shown := regexp.MustCompile(`id="new-key" readonly value="([^"]+)"`).FindStringSubmatch(first.Body)
	if shown == nil {
		t.Fatalf("no new key shown:\n%s", first.Body)
	}
	again := b.post(path+"/key", form)
	wantStatus(t, "the same form again", again, http.StatusSeeOther)
	if again.Location != path+"?done=key.again" {
		t.Fatalf("again: location %q", again.Location)
	}
	p := b.get(again.Location)
	if strings.Contains(p.Body, `id="new-key"`) || !strings.Contains(p.Body, "the key was already recreated") {
		t.Fatalf("the replay's page:\n%s", p.Body)
	}
	ctx := context.Background()
	if _, err := s.Svc.AuthenticateKey(ctx, shown[1]); err != nil {
		t.Fatalf("the key shown first does not work (recreated twice?): %v", err)
	}
	if _, err := s.Svc.AuthenticateKey(ctx, s.A.App.APIKey); err == nil {
		t.Fatal("the old key still works")
	}
	// Without a form key (an old page, a forged form): refused, nothing done.
	p = b.post(path+"/key", url.Values{"csrf": {page.csrf(t)}})
	wantStatus(t, "no form key", p, http.StatusBadRequest)
	if _, err := s.Svc.AuthenticateKey(ctx, shown[1]); err != nil {
		t.Fatalf("a form without its key recreated the key: %v", err)
	}
}
