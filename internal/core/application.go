package core

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/webhook"
)

// ApplicationInput is the writable part of an application.
type ApplicationInput struct {
	Name pasarela.Field[string]
	URL  pasarela.Field[string]
	Logo pasarela.Field[string]

	// The page settings (pasarela.PageSettings); "" or null clears one.
	SuccessURL pasarela.Field[string]
	FailureURL pasarela.Field[string]
	NotifyURL  pasarela.Field[string]
	Language   pasarela.Field[string]
	// The access settings (pasarela.AccessSettings): addresses or CIDR
	// prefixes, and whether callers from them still need the key.
	AllowedIPs pasarela.Field[[]string]
	RequireKey pasarela.Field[bool]
	// NotifyFormat is the webhook format of the notifications sent to
	// NotifyURL, one of pasarela.WebhookFormats. The face that sets the URL
	// names the format its merchants expect, as it does for the endpoints
	// it creates; it is required whenever NotifyURL is set.
	NotifyFormat string
}

// Limits of an application's settings.
const (
	maxPageURL    = 2000 // what Gestpay's back office accepts for its response URLs
	maxAllowedIPs = 100
	// minPrefix4 and minPrefix6 bound how wide an allowed range may be: at
	// most 65,536 IPv4 addresses, or an IPv6 /32.
	minPrefix4 = 16
	minPrefix6 = 32
)

// notifyEvents are the events the notification endpoint hears of: each
// outcome of a payment, expiry (nobody paid in time) included.
var notifyEvents = []string{"payment.completed", "payment.authorized", "payment.failed", "payment.expired"}

// NewApplication is an application as created or re-keyed: the only moment
// its API key exists in clear.
type NewApplication struct {
	pasarela.Application
	APIKey string
}

// applicationScope returns the client and, for an application key, the one
// application the caller may see. Application keys may read their own
// application; changing applications needs an admin user.
func applicationScope(ctx context.Context, write bool) (*pasarela.Principal, error) {
	if write {
		return requireUser(ctx, pasarela.RoleAdmin)
	}
	return principal(ctx)
}

// applicationWriter returns the caller if it may change application id. An
// application the caller cannot see is not found, whatever the caller's
// rights, so that another client's (or, for a key, another application's)
// ids answer exactly like ids that do not exist; only an application the
// caller can see is refused as forbidden.
func (s *Service) applicationWriter(ctx context.Context, id int64) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 && p.ApplicationID != id {
		return nil, pasarela.NotFound("application")
	}
	if p.IsUser() && !p.HasRole(pasarela.RoleAdmin) {
		// Only a refusal needs this read: an admin's write finds the row itself.
		err := s.db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.GetApplication(ctx, p.ClientID, id)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return applicationScope(ctx, true)
}

func (s *Service) applyApplication(a *pasarela.Application, in ApplicationInput, replace, create bool) error {
	var v pasarela.Validation
	all := create || replace
	if all || in.Name.Present {
		checkText(&v, "name", in.Name.Value, true, 200)
		if in.Name.Value != nil {
			a.Name = *in.Name.Value
		}
	}
	if all || in.URL.Present {
		checkURL(&v, "url", in.URL.Value)
		a.URL = emptyToNil(in.URL.Value)
	}
	if all || in.Logo.Present {
		checkURL(&v, "logo", in.Logo.Value)
		a.Logo = emptyToNil(in.Logo.Value)
	}
	if all || in.SuccessURL.Present {
		a.Pages.SuccessURL = checkPageURL(&v, "pages.success_url", in.SuccessURL.Value)
	}
	if all || in.FailureURL.Present {
		a.Pages.FailureURL = checkPageURL(&v, "pages.failure_url", in.FailureURL.Value)
	}
	if all || in.NotifyURL.Present {
		a.Pages.NotifyURL = checkPageURL(&v, "pages.notify_url", in.NotifyURL.Value)
		// The notification is a webhook delivery, so its URL obeys the
		// rules of a webhook's target too (no private address unless the
		// gateway allows them).
		if a.Pages.NotifyURL != "" {
			if err := webhook.CheckTarget(a.Pages.NotifyURL, s.cfg.Webhooks.AllowPrivate); err != nil {
				v.Add("pages.notify_url", "url", err.Error())
			}
			if in.NotifyFormat == "" {
				v.Add("notify_format", "required", "is required with a notification URL: one of "+strings.Join(pasarela.WebhookFormats, ", "))
			} else if !contains(pasarela.WebhookFormats, in.NotifyFormat) {
				v.Add("notify_format", "enum", "must be one of "+strings.Join(pasarela.WebhookFormats, ", "))
			}
		}
	}
	if all || in.Language.Present {
		a.Pages.Language = strings.ToLower(strings.TrimSpace(in.Language.Or("")))
		if a.Pages.Language != "" && !contains(languages, a.Pages.Language) {
			v.Add("pages.language", "language", "must be one of "+strings.Join(languages, ", "))
		}
	}
	if all || in.AllowedIPs.Present {
		a.Access.AllowedIPs = checkAllowedIPs(&v, in.AllowedIPs.Or(nil))
	}
	if all || in.RequireKey.Present {
		a.Access.RequireKey = in.RequireKey.Or(false)
	}
	return v.Err()
}

// checkPageURL validates an optional URL a buyer or the merchant's server
// is sent to: absolute http or https, at most maxPageURL characters, and no
// user name or password (they would be shown to every buyer, and in every
// listing of the settings). It returns the URL, "" when unset.
func checkPageURL(v *pasarela.Validation, field string, value *string) string {
	if value == nil || *value == "" {
		return ""
	}
	u, err := url.Parse(*value)
	if err != nil || !utf8.ValidString(*value) || len(*value) > maxPageURL ||
		(u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		v.Add(field, "url", "must be an absolute http or https URL of at most "+strconv.Itoa(maxPageURL)+" characters")
		return *value
	}
	if u.User != nil {
		v.Add(field, "url", "must not carry a user name or password")
	}
	if strings.Contains(*value, "#") {
		// Faces add their query to these URLs; after a fragment it would
		// never reach the merchant's server.
		v.Add(field, "url", "must not have a fragment (#…)")
	}
	return *value
}

// checkAllowedIPs reads an allow-list of addresses ("192.0.2.7") and CIDR
// prefixes ("10.0.0.0/8") into masked prefixes: a single address is a /32
// or /128, host bits of a prefix are cleared, an IPv4 address written as
// IPv6 ("::ffff:192.0.2.7") is the IPv4 address it means (callers' addresses
// are compared the same way), and an entry listed twice is kept once.
func checkAllowedIPs(v *pasarela.Validation, raw []string) []netip.Prefix {
	if len(raw) > maxAllowedIPs {
		v.Add("access.allowed_ips", "too_many", "may have at most "+strconv.Itoa(maxAllowedIPs)+" addresses or prefixes")
		return nil
	}
	var out []netip.Prefix
	for i, r := range raw {
		p, ok := parseAllowedIP(strings.TrimSpace(r))
		if !ok {
			v.Add("access.allowed_ips["+strconv.Itoa(i)+"]", "ip", "must be an IP address or a CIDR prefix such as 192.0.2.0/24")
			continue
		}
		if !privateRange(p) && ((p.Addr().Is4() && p.Bits() < minPrefix4) || (p.Addr().Is6() && p.Bits() < minPrefix6)) {
			// A callers' list lets its addresses in without the key: a
			// public range as wide as a country's is no list at all.
			v.Add("access.allowed_ips["+strconv.Itoa(i)+"]", "prefix_too_broad",
				"must be at most a /"+strconv.Itoa(minPrefix4)+" (IPv4) or /"+strconv.Itoa(minPrefix6)+" (IPv6) range")
			continue
		}
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// privateRanges are the address ranges of private networks, which an
// allow-list may name whole (a company's 10.0.0.0/8).
var privateRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("::1/128")}

// privateRange reports whether p lies within a private network's range.
func privateRange(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func parseAllowedIP(s string) (netip.Prefix, bool) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, false
		}
	} else {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(ip, ip.BitLen())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// keepNotifyWebhook keeps, in the transaction that writes a's settings, the
// webhook endpoint that tells the merchant's server of each outcome: it is
// created when NotifyURL is first set, pointed at the new URL (and enabled
// again) when it changes, and deleted when it is cleared. Its id is kept in
// the settings so that it is found again; an endpoint deleted meanwhile
// through the webhook API is created anew. The endpoint is delivered by GET,
// as Gestpay's server-to-server call is: the only endpoint allowed to be.
func (s *Service) keepNotifyWebhook(ctx context.Context, tx *store.Tx, a *pasarela.Application, format string) error {
	var hook *store.WebhookRow
	if a.Pages.NotifyWebhook != 0 {
		var err error
		hook, err = tx.GetWebhook(ctx, a.ClientID, a.ID, a.Pages.NotifyWebhook)
		if err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err
		}
	}
	if a.Pages.NotifyURL == "" {
		a.Pages.NotifyWebhook = 0
		if hook == nil {
			return nil
		}
		return tx.DeleteWebhook(ctx, a.ClientID, a.ID, hook.ID)
	}
	in := WebhookInput{Method: "GET", Targets: []string{a.Pages.NotifyURL}, Entity: pasarela.EntityPayment,
		Events: slices.Clone(notifyEvents), Format: format}
	if hook == nil {
		w, err := s.createWebhook(ctx, tx, &pasarela.Principal{ClientID: a.ClientID}, a.ID, in, true)
		if err != nil {
			return err
		}
		a.Pages.NotifyWebhook = w.ID
		return nil
	}
	if err := s.validateWebhook(&in, true); err != nil {
		return err
	}
	hook.Method, hook.Targets, hook.Entity, hook.Events, hook.Format = in.Method, in.Targets, in.Entity, in.Events, in.Format
	hook.Disabled, hook.UpdatedAt = false, s.now()
	return tx.UpdateWebhook(ctx, hook)
}

// notifyChanged reports whether an input writes the notification URL, so
// that its endpoint must follow.
func notifyChanged(in ApplicationInput, replace, create bool) bool {
	return create || replace || in.NotifyURL.Present
}

// CreateApplication adds an application to the caller's client and returns
// it with its API key, which is shown only this once.
func (s *Service) CreateApplication(ctx context.Context, in ApplicationInput) (*NewApplication, error) {
	p, err := applicationScope(ctx, true)
	if err != nil {
		return nil, err
	}
	return s.createApplication(ctx, p.ClientID, in)
}

// OperatorCreateApplication creates an application with a name and no
// settings for any client. It is for the operator's command line, which
// has no principal, and for fixtures.
func (s *Service) OperatorCreateApplication(ctx context.Context, clientID, name string) (*NewApplication, error) {
	return s.createApplication(ctx, clientID, ApplicationInput{Name: pasarela.Set(name)})
}

// OperatorCreateApplicationWith is OperatorCreateApplication with every
// writable field, settings included, validated as CreateApplication does.
func (s *Service) OperatorCreateApplicationWith(ctx context.Context, clientID string, in ApplicationInput) (*NewApplication, error) {
	return s.createApplication(ctx, clientID, in)
}

func (s *Service) createApplication(ctx context.Context, clientID string, in ApplicationInput) (*NewApplication, error) {
	now := s.now()
	key, prefix, hash := newAPIKey()
	a := &NewApplication{APIKey: key, Application: pasarela.Application{ClientID: clientID, ShopLogin: newShopLogin(),
		KeyPrefix: prefix, KeyHash: hash, CreatedAt: now, UpdatedAt: now}}
	if err := s.applyApplication(&a.Application, in, false, true); err != nil {
		return nil, err
	}
	// The shop login and key prefix are random under unique indexes; a
	// collision (one in 10^8 per existing application for the shop login)
	// is retried with new values rather than shown to a caller who never
	// chose them.
	for attempt := 0; ; attempt++ {
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.GetClient(ctx, clientID); err != nil {
				return err
			}
			a.Pages.NotifyWebhook = 0 // an endpoint of an attempt that rolled back is gone
			if err := tx.CreateApplication(ctx, &a.Application); err != nil {
				return err
			}
			if a.Pages.NotifyURL != "" {
				// The endpoint needs the application's id, and the
				// application the endpoint's.
				if err := s.keepNotifyWebhook(ctx, tx, &a.Application, in.NotifyFormat); err != nil {
					return err
				}
				if err := tx.UpdateApplication(ctx, &a.Application); err != nil {
					return err
				}
			}
			return s.keepKey(ctx, tx, clientID, a.ID, a.APIKey)
		})
		if err == nil {
			return a, nil
		}
		collided := store.IsConstraint(err, store.UniqueAppShopLogin) || store.IsConstraint(err, store.UniqueAppKeyPrefix)
		if attempt == 3 || !collided {
			return nil, err
		}
		a.ShopLogin = newShopLogin()
		a.APIKey, a.KeyPrefix, a.KeyHash = newAPIKey()
	}
}

// newShopLogin makes a Gestpay-style shop login ("GESPAY" and 8 digits).
func newShopLogin() string {
	// rand.Int fails only when its reader does, and crypto/rand.Reader
	// never fails since Go 1.24.
	n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
	return fmt.Sprintf("GESPAY%08d", n)
}

// GetApplication returns one of the caller's applications.
func (s *Service) GetApplication(ctx context.Context, id int64) (*pasarela.Application, error) {
	p, err := applicationScope(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 && p.ApplicationID != id {
		return nil, pasarela.NotFound("application")
	}
	var a *pasarela.Application
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.GetApplication(ctx, p.ClientID, id)
		return err
	})
	return a, err
}

// ListApplications returns a page of the caller's applications whose name
// contains name, and their total count.
func (s *Service) ListApplications(ctx context.Context, name string, opts pasarela.ListOptions) ([]pasarela.Application, int, error) {
	p, err := applicationScope(ctx, false)
	if err != nil {
		return nil, 0, err
	}
	if err := checkList(&opts, store.ApplicationSortFields); err != nil {
		return nil, 0, err
	}
	// The filter obeys the rules of the names it searches: a NUL byte would
	// end the pattern early on SQLite (matching every name) and, like
	// invalid UTF-8, is an error on PostgreSQL.
	var v pasarela.Validation
	if checkText(&v, "filter.name", &name, false, 200); v.Err() != nil {
		return nil, 0, v.Err()
	}
	var apps []pasarela.Application
	var total int
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		apps, total, err = tx.ListApplications(ctx, p.ClientID, store.ApplicationFilter{Name: name, ID: p.ApplicationID}, opts)
		return err
	})
	return apps, total, err
}

// UpdateApplication changes an application (PATCH), or replaces its
// writable fields (PUT, replace=true).
func (s *Service) UpdateApplication(ctx context.Context, id int64, in ApplicationInput, replace bool) (*pasarela.Application, error) {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.updateApplication(ctx, p.ClientID, id, in, replace)
}

// OperatorUpdateApplication changes an application of any client (PATCH),
// with the rules of UpdateApplication. It is for the operator's command
// line, which has no principal: clientID, when not "", must be the
// application's client; when "", the application's own client is used.
func (s *Service) OperatorUpdateApplication(ctx context.Context, clientID string, id int64, in ApplicationInput) (*pasarela.Application, error) {
	if clientID == "" {
		err := s.db.View(ctx, func(tx *store.Tx) error {
			var err error
			clientID, err = tx.ApplicationClient(ctx, id)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s.updateApplication(ctx, clientID, id, in, false)
}

func (s *Service) updateApplication(ctx context.Context, clientID string, id int64, in ApplicationInput, replace bool) (*pasarela.Application, error) {
	var a *pasarela.Application
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.GetApplication(ctx, clientID, id); err != nil {
			return err
		}
		if err := s.applyApplication(a, in, replace, false); err != nil {
			return err
		}
		if notifyChanged(in, replace, false) {
			if err := s.keepNotifyWebhook(ctx, tx, a, in.NotifyFormat); err != nil {
				return err
			}
		}
		a.UpdatedAt = s.now()
		return tx.UpdateApplication(ctx, a)
	})
	return a, err
}

// DeleteApplication removes an application. Once payments exist, an
// application that has any is refused (it is their owner of record).
func (s *Service) DeleteApplication(ctx context.Context, id int64) error {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return err
	}
	// The deleted application's key must fail from the moment this
	// answers (see readCache); its gateway configs go with it.
	defer s.keys.invalidate()
	defer s.configs.invalidate()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.CountPayments(ctx, p.ClientID, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return pasarela.Errorf(pasarela.KindInvalid, "has_payments",
				"the application has %d payments and cannot be deleted: it is their owner of record", n)
		}
		// Its stored cards go with it: no other application may charge
		// them, and they would hold its gateway configs back.
		if err := tx.DeleteStoredCardsOfApplication(ctx, p.ClientID, id); err != nil {
			return err
		}
		return tx.DeleteApplication(ctx, p.ClientID, id)
	})
}

// RecreateKey gives an application a new API key; the old one fails from
// the moment this commits.
func (s *Service) RecreateKey(ctx context.Context, id int64) (*NewApplication, error) {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.recreateKey(ctx, p.ClientID, id)
}

// RecreateKeyOnce is RecreateKey for a form that may be sent twice (a
// reload, a double click): the first send with idem's key recreates the
// key; a later one replays idem's stored answer, which must not hold the
// key, and recreates nothing.
func (s *Service) RecreateKeyOnce(ctx context.Context, id int64, idem *Idem) (*NewApplication, *Replay, error) {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	defer s.keys.invalidate() // see recreateKey
	v, replay, err := s.idempotent(ctx, p.ClientID, "key:"+strconv.FormatInt(id, 10), idem, func(tx *store.Tx) (any, error) {
		return s.recreateKeyTx(ctx, tx, p.ClientID, id)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return v.(*NewApplication), nil, nil
}

func (s *Service) recreateKey(ctx context.Context, clientID string, id int64) (*NewApplication, error) {
	var na *NewApplication
	// The old key must fail from the moment this answers (see readCache);
	// invalidating after the commit, whatever its outcome, guarantees it.
	defer s.keys.invalidate()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		na, err = s.recreateKeyTx(ctx, tx, clientID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return na, nil
}

// recreateKeyTx gives an application a new key in tx.
func (s *Service) recreateKeyTx(ctx context.Context, tx *store.Tx, clientID string, id int64) (*NewApplication, error) {
	key, prefix, hash := newAPIKey()
	a, err := tx.GetApplication(ctx, clientID, id)
	if err != nil {
		return nil, err
	}
	a.KeyPrefix, a.KeyHash, a.UpdatedAt = prefix, hash, s.now()
	if err := tx.UpdateApplication(ctx, a); err != nil {
		return nil, err
	}
	if err := s.keepKey(ctx, tx, clientID, id, key); err != nil {
		return nil, err
	}
	return &NewApplication{Application: *a, APIKey: key}, nil
}

// emptyToNil stores an empty optional text as absent, so that "" and null
// read back the same.
func emptyToNil(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	return p
}
