package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
)

// The client's other sections: Developers (applications, API keys,
// webhooks, gateway configs, shop settings), Team, Subscriptions, Payouts
// and balances, and Crypto deposits. Their pages, routes and texts are
// registered here, apart from the shared tables, so that each section
// stays in its own files.

func init() {
	pageNames = append(pageNames, "developers", "application", "webhook", "gatewayconfig",
		"team", "teamuser", "subscriptions", "subscription", "payouts", "payout", "deposits", "deposit")
	for lang, texts := range sectionCatalogs {
		for k, v := range texts {
			catalog[lang][k] = v
		}
	}
}

// sectionCatalogs are the sections' texts per language, merged into
// catalog when the package starts (TestCatalogs then checks them).
var sectionCatalogs = map[string]map[string]string{langEN: sectionsEN, langES: sectionsES, langIT: sectionsIT}

// Role sets of the sections, from the core's rules.
var (
	// PayoutReaders may see payouts and balances: the core lets admins,
	// managers and viewers read them (a terminal only takes payments).
	PayoutReaders = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleViewer}
)

// sectionRoutes registers the sections' pages and actions.
func (d *Dashboard) sectionRoutes() {
	d.get(Prefix+"developers", Admins, d.developers)
	d.get(Prefix+"developers/{app}", Admins, d.application)
	d.post(Prefix+"developers/{app}/key", Admins, d.recreateKey)
	d.post(Prefix+"developers/{app}/settings", Admins, d.shopSettings)
	d.post(Prefix+"developers/{app}/webhooks", Admins, d.createWebhook)
	d.get(Prefix+"developers/{app}/webhooks/{id}", Admins, d.webhook)
	d.post(Prefix+"developers/{app}/webhooks/{id}/delete", Admins, d.deleteWebhook)
	d.post(Prefix+"developers/{app}/webhooks/{id}/deliveries/{delivery}/redeliver", Admins, d.redeliver)
	d.get(Prefix+"developers/{app}/configs/new", Admins, d.newGatewayConfig)
	d.post(Prefix+"developers/{app}/configs", Admins, d.createGatewayConfig)
	d.get(Prefix+"developers/{app}/configs/{id}", Admins, d.gatewayConfig)
	d.post(Prefix+"developers/{app}/configs/{id}", Admins, d.updateGatewayConfig)

	d.get(Prefix+"team", Admins, d.team)
	d.post(Prefix+"team", Admins, d.createTeamUser)
	d.get(Prefix+"team/{id}", Admins, d.teamUser)
	d.post(Prefix+"team/{id}/roles", Admins, d.setTeamRoles)
	d.post(Prefix+"team/{id}/password", Admins, d.resetTeamPassword)
	d.post(Prefix+"team/{id}/delete", Admins, d.deleteTeamUser)
	d.post(Prefix+"team/{id}/disable", Admins, d.disableTeamUser)
	d.post(Prefix+"team/{id}/enable", Admins, d.enableTeamUser)
	d.post(Prefix+"team/{id}/totp/reset", Admins, d.resetTeamSecondFactor)

	d.get(Prefix+"subscriptions", AnyRole, d.subscriptions)
	d.get(Prefix+"subscriptions/{app}/{id}", AnyRole, d.subscription)
	d.post(Prefix+"subscriptions/{app}/{id}/cancel", PaymentActors, d.cancelSubscription)

	d.get(Prefix+"payouts", PayoutReaders, d.payouts)
	d.get(Prefix+"payouts/{id}", PayoutReaders, d.payout)

	d.get(Prefix+"deposits", AnyRole, d.deposits)
	d.get(Prefix+"deposits/{id}", AnyRole, d.deposit)
	d.post(Prefix+"deposits/{id}/cancel", PaymentActors, d.cancelDeposit)
}

// pathID reads a numeric path value. Anything else names nothing, so it is
// not found, as an id of another client is.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, pasarela.NotFound(name)
	}
	return id, nil
}

// sectionFormKey is a random idempotency key for one rendering of a form,
// so that sending the same form twice acts once, as the API's
// Idempotency-Key does.
func sectionFormKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pageOf reads the list's page number (from 1) from the query.
func pageOf(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

// pager is a list's links to the previous and next pages, keeping the
// filters.
type pager struct {
	Prev, Next string
	Page       int
	Total      int
}

// sectionPageSize is how many rows a section's list shows.
const sectionPageSize = 50

func newPager(path string, query url.Values, page, shown, total int) pager {
	p := pager{Page: page, Total: total}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range query {
			if k != "page" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if (page-1)*sectionPageSize+shown < total {
		p.Next = link(page + 1)
	}
	return p
}

// doneText is the confirmation a page shows after an action, from its
// ?done= key (only keys of the catalog, so the query cannot write text).
func doneText(lang string, r *http.Request) string {
	key := r.URL.Query().Get("done")
	if key == "" || strings.ContainsAny(key, " /") {
		return ""
	}
	if _, ok := catalogEN["done."+key]; !ok {
		return ""
	}
	return translate(lang, "done."+key)
}
