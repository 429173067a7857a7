package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// API keys look like "psk_" + 12 characters of lookup prefix + 32 characters
// of secret (160 bits). The prefix finds the row; the SHA-256 of the whole key
// proves it. A fast hash is right here, unlike for passwords: the key is
// random and long, so there is nothing to guess from a stolen hash.
const (
	apiKeyTag       = "psk_"
	apiKeyPrefixLen = len(apiKeyTag) + 12
	apiKeyLen       = apiKeyPrefixLen + 32
)

func newAPIKey() (key, prefix string, hash []byte) {
	key = apiKeyTag + randomString(12) + randomString(32)
	sum := sha256.Sum256([]byte(key))
	return key, key[:apiKeyPrefixLen], sum[:]
}

var errBadKey = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_api_key", "invalid API key")

// AuthenticateKey returns the principal of an application API key.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (*pasarela.Principal, error) {
	if len(key) != apiKeyLen || !strings.HasPrefix(key, apiKeyTag) {
		return nil, errBadKey
	}
	sum := sha256.Sum256([]byte(key))
	if e, ok := s.keys.get(sum); ok {
		return &pasarela.Principal{ClientID: e.clientID, ApplicationID: e.appID}, nil
	}
	gen := s.keys.generation()
	var app *pasarela.Application
	// One statement, so no transaction: on PostgreSQL, where no cache
	// spares this read, a request's authentication is one round trip
	// rather than three.
	err := s.db.ReadOne(ctx, func(tx *store.Tx) error {
		var err error
		app, err = tx.GetApplicationByKeyPrefix(ctx, key[:apiKeyPrefixLen])
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(sum[:], app.KeyHash) != 1 {
		return nil, errBadKey
	}
	s.keys.put(sum, gen, keyEntry{clientID: app.ClientID, appID: app.ID})
	return &pasarela.Principal{ClientID: app.ClientID, ApplicationID: app.ID}, nil
}

// keyEntry is what a valid API key opens, cached by the SHA-256 of the
// whole key (see readCache), so a hit proves the caller holds the key as
// much as the stored hash's comparison does. Only what AuthenticateKey
// checks is cached; a new check there (a suspended client, say) must
// invalidate the cache too.
type keyEntry struct {
	clientID string
	appID    int64
}

var errUnknownShopLogin = pasarela.Errorf(pasarela.KindUnauthorized, "unknown_shop_login",
	"no application has this shop login")

// errIPNotAllowed refuses a caller from outside an application's allow-list.
// It is an authentication failure like errBadKey, so that a face mapping by
// kind answers both alike and says nothing of which check failed.
var errIPNotAllowed = pasarela.Errorf(pasarela.KindUnauthorized, "ip_not_allowed",
	"the caller's address is not allowed for this application")

// AuthenticateShop returns the principal of the application whose shop
// login is shopLogin, for a caller at ip presenting key ("" for none).
// Faces whose callers name their application in the request (Gestpay's
// shop login) use it. When the application has an allow-list, a caller
// from outside it is refused first, key or not (ip_not_allowed), as
// Gestpay checks the address before anything else. A key given must be
// this application's: a valid key of another application is refused like
// a wrong one (invalid_api_key), so one tenant's key never opens another's
// application. No key is enough only for a caller inside a non-empty
// allow-list of an application that does not require the key. The
// failures have their own codes (unknown_shop_login, ip_not_allowed,
// invalid_api_key) because such protocols tell them apart. The shop's page
// settings come with the principal: such protocols answer in the shop's
// language.
func (s *Service) AuthenticateShop(ctx context.Context, shopLogin, key string, ip netip.Addr) (*pasarela.Principal, pasarela.PageSettings, error) {
	var none pasarela.PageSettings
	if shopLogin == "" {
		return nil, none, errUnknownShopLogin
	}
	var app *pasarela.Application
	err := s.db.ReadOne(ctx, func(tx *store.Tx) error { // one statement: see AuthenticateKey
		var err error
		app, err = tx.GetApplicationByShopLogin(ctx, shopLogin)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, none, errUnknownShopLogin
	}
	if err != nil {
		return nil, none, err
	}
	allowed := len(app.Access.AllowedIPs) > 0
	if allowed && !ipAllowed(app.Access.AllowedIPs, ip) {
		return nil, none, errIPNotAllowed
	}
	p := &pasarela.Principal{ClientID: app.ClientID, ApplicationID: app.ID}
	if key == "" {
		if allowed && !app.Access.RequireKey {
			return p, app.Pages, nil
		}
		return nil, none, errBadKey
	}
	// The row is this application's, so its stored hash is the one key
	// that opens it; comparing in constant time, as AuthenticateKey does,
	// tells a caller nothing of how much of a guess was right.
	sum := sha256.Sum256([]byte(key))
	if len(key) != apiKeyLen || !strings.HasPrefix(key, apiKeyTag) || subtle.ConstantTimeCompare(sum[:], app.KeyHash) != 1 {
		return nil, none, errBadKey
	}
	return p, app.Pages, nil
}

// CheckShopLogin reports whether an application has shopLogin, for pages
// that must tell an unknown shop from a reference not made for it. The
// answer is nil or the same error AuthenticateShop gives an unknown shop.
func (s *Service) CheckShopLogin(ctx context.Context, shopLogin string) error {
	if shopLogin == "" {
		return errUnknownShopLogin
	}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.GetApplicationByShopLogin(ctx, shopLogin)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return errUnknownShopLogin
	}
	return err
}

// ipAllowed reports whether ip is inside one of the prefixes. An IPv4
// address seen as IPv6 (a dual-stack listener's "::ffff:192.0.2.7") is
// compared as the IPv4 address it is, as the allow-list stores it; an
// invalid address (none known) is inside none.
func ipAllowed(list []netip.Prefix, ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
