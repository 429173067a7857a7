// Package gestpay is the Gestpay face (Banca Sella / Axerve): under
// /gestpay, the WSCryptDecrypt SOAP service (Encrypt, Decrypt) with its
// WSDL. A shop is an application of the core, found by its shop login and
// proven by its API key in the apikey element. Encrypt creates a pending
// payment of the core and answers an opaque string bound to the shop;
// Decrypt reads the payment's outcome back. A shop with an IP allow-list
// may call from its addresses without the key (unless it requires the key
// anyway), as Gestpay's back office allows. The hosted payment page
// (pagam.aspx), the custom payment page (js_GestPay.js with its hidden
// iframe) and 3-D Secure (pagam3d.aspx) take the buyer's card; the shop
// hears of each outcome by its positive or negative URL and by the
// server-to-server notification (a webhook format, see RenderNotification).
package gestpay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// Prefix is where the face is mounted: Gestpay's own paths under it, so
// that a merchant changes only the host name.
const Prefix = "/gestpay"

// cryptPaths are the spellings of WSCryptDecrypt's address clients use,
// lower-cased: IIS matched paths case-insensitively, and so does the face.
var cryptPaths = []string{
	Prefix + "/gestpayws/wscryptdecrypt.asmx",
	Prefix + "/crypthttp/wscryptdecrypt.asmx",
}

// s2sPaths are WSs2s's (WsS2S, GestPayWS, WSS2S are the same in any case).
var s2sPaths = []string{Prefix + "/gestpayws/wss2s.asmx"}

// Config holds the face's settings; the zero value is the default. Shops'
// own settings are their applications'.
type Config struct {
	// PaymentTTL is how long a string of Encrypt (and callPagamS2S's
	// payment) may be paid: a payment nobody paid by then expires, and
	// the shop hears KO 1143 (default 24 hours).
	PaymentTTL time.Duration
	// IdealBanks and MyBankBanks are the banks CallIdealListS2S and
	// CallMyBankListS2S answer: those the acquirer offers. Empty, the
	// sandbox's few.
	IdealBanks  []Bank
	MyBankBanks []Bank
}

// Face serves the Gestpay API over the core.
type Face struct {
	svc *core.Service
	log *slog.Logger
	cfg Config
}

// New returns the face.
func New(svc *core.Service, log *slog.Logger, cfg Config) *Face {
	if cfg.PaymentTTL <= 0 {
		cfg.PaymentTTL = 24 * time.Hour
	}
	return &Face{svc: svc, log: log, cfg: cfg}
}

// Register mounts the face: one handler for the prefix, which finds the
// service by the path in any case.
func (f *Face) Register(mux transport.Router) {
	mux.Handle(Prefix+"/", http.HandlerFunc(f.serve))
}

func (f *Face) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.ToLower(r.URL.Path)
	for _, svc := range services {
		for _, p := range svc.paths {
			if path == p {
				f.serveSOAP(w, r, svc)
				return
			}
		}
	}
	switch path {
	case pagamPath:
		f.servePagam(w, r)
	case esitoPath:
		f.serveEsito(w, r)
	case iframePath:
		f.serveIframe(w, r)
	case sendPath:
		f.serveSend(w, r)
	case pagam3dPath:
		f.servePagam3d(w, r)
	default:
		if a, ok := assets[path]; ok {
			serveAsset(w, r, a)
			return
		}
		http.NotFound(w, r)
	}
}

// WSDL is a SOAP service's description as the reference at /docs/ links
// it: the service's name and the path of its WSDL.
type WSDL struct {
	Service string
	Path    string
}

// WSDLs are the face's services' descriptions, at the spellings Gestpay's
// own documentation gives (the face answers them in any case).
func WSDLs() []WSDL {
	return []WSDL{
		{Service: "WSCryptDecrypt", Path: Prefix + "/gestpayws/WSCryptDecrypt.asmx?wsdl"},
		{Service: "WSs2s", Path: Prefix + "/gestpayws/WSs2s.asmx?wsdl"},
	}
}

// service is one of Gestpay's SOAP services: where it answers (lower-cased
// paths), its namespace, the element its results are wrapped in, its WSDL
// and its operations, by their exact names.
type service struct {
	name   string
	paths  []string
	ns     string
	result string
	wsdl   string
	ops    map[string]func(f *Face, r *http.Request, c *call) []node
}

// services are the face's SOAP services.
var services []*service

func init() {
	// Built here rather than in the declaration: the operations refer to
	// the face's methods, which refer back to the table.
	services = []*service{
		{name: "WSCryptDecrypt", paths: cryptPaths, ns: nsCrypt, result: "GestPayCryptDecrypt", wsdl: cryptWSDL,
			ops: map[string]func(*Face, *http.Request, *call) []node{
				"Encrypt": (*Face).encrypt,
				"Decrypt": (*Face).decrypt,
			}},
		{name: "WSs2s", paths: s2sPaths, ns: nsS2S, result: "GestPayS2S", wsdl: s2sWSDL, ops: s2sOps},
	}
}

// serveSOAP is a service's .asmx: GET ?wsdl is its description, POST a
// SOAP call of one of its operations.
func (f *Face) serveSOAP(w http.ResponseWriter, r *http.Request, svc *service) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if hasQueryKey(r, "wsdl") {
			serveWSDL(w, r, svc.wsdl)
			return
		}
		http.Error(w, svc.name+": send SOAP requests by POST, or GET ?wsdl for the description", http.StatusBadRequest)
	case http.MethodPost:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if transport.IsTooLarge(err) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			}
			return // the caller is gone
		}
		c, err := readCall(body, soapAction(r), svc.ns)
		if err != nil {
			var env *errEnvelope
			errors.As(err, &env)
			writeFault(w, env.version, env.msg)
			return
		}
		op, ok := svc.ops[c.operation]
		if !ok {
			writeFault(w, c.version, svc.name+" has no operation "+c.operation)
			return
		}
		writeResult(w, c.version, svc.ns, c.operation, svc.result, op(f, r, c))
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// hasQueryKey reports a query key in any case (?WSDL, ?Wsdl).
func hasQueryKey(r *http.Request, key string) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// authenticate opens the shop: the application of shopLogin, for a caller
// at the request's address (resolved behind trusted proxies by the server,
// never read from a header here) with the API key in apikey, which a shop
// with an allow-list may leave out.
//
// It returns the shop's page settings too: its default language is the
// language of its payment pages and of the descriptions it is answered
// with.
func (f *Face) authenticate(r *http.Request, c *call) (*http.Request, *pasarela.Principal, pasarela.PageSettings, error) {
	// An address that does not parse is no address: inside no allow-list.
	ip, _ := netip.ParseAddr(transport.ClientIP(r.Context()))
	p, pages, err := f.svc.AuthenticateShop(r.Context(), strings.TrimSpace(c.fields["shopLogin"]),
		strings.TrimSpace(c.fields["apikey"]), ip)
	if err != nil {
		return r, nil, pages, err
	}
	return r.WithContext(pasarela.WithPrincipal(r.Context(), p)), p, pages, nil
}

// descriptionLang is the language a shop's SOAP answers describe codes in:
// Gestpay wrote its texts in Italian, its default, which merchant code
// string-matches ("Transazione abbandonata dal compratore"), and English.
// Only an English shop gets English; any other gets Italian, as on Gestpay.
func descriptionLang(shopLang string) string {
	if shopLang == "en" {
		return "en"
	}
	return "it"
}

// cryptKey is the key crypt strings are signed with: one for the whole
// deployment, kept by the core.
func (f *Face) cryptKey(r *http.Request) ([]byte, error) {
	return CryptKey(r.Context(), f.svc)
}

// CryptKey returns the key crypt strings are signed with, for the wiring of
// the notification's renderer (see RenderNotification).
func CryptKey(ctx context.Context, svc *core.Service) ([]byte, error) {
	return svc.SigningKey(ctx, "gestpay-crypt", 32)
}

// logError logs what a KO answer hides: the technical errors (9999), once.
func (f *Face) logError(r *http.Request, op string, err error, code int) {
	if code != codeTechnical {
		return
	}
	e := pasarela.AsError(err)
	if e.Kind == pasarela.KindCanceled {
		return // the caller went away: no fault of the gateway's to log
	}
	f.log.ErrorContext(r.Context(), "gestpay "+op, "request_id", transport.RequestID(r.Context()),
		"kind", e.Kind, "code", e.Code, "error", err)
}

// WriteHTTPError answers, with status, an error the server found at the
// HTTP level before any route ran (a request head too large, a path with
// dot segments): a SOAP fault of the version the Content-Type names on the
// SOAP services' paths, plain text on the pages (a browser's).
func (f *Face) WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error) {
	msg := pasarela.AsError(err).Message
	clean := strings.ToLower(path.Clean(r.URL.Path))
	for _, svc := range services {
		if slices.Contains(svc.paths, clean) {
			v := soap11
			if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/soap+xml") {
				v = soap12
			}
			writeEnvelope(w, v, status, faultBody(v, msg))
			return
		}
	}
	http.Error(w, msg, status)
}
