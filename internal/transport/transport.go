// Package transport adapts net/http for the faces: the request id and the
// caller's address in the context, trusted proxies, and body limits. Faces
// and the server share it so that every face sees a request the same way.
package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pasarela/pasarela"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyClientIP
	keySecure
)

// RequestInfo is what the server learned about a request before any face
// saw it.
type RequestInfo struct {
	ID       string
	ClientIP string
	// Secure is true when the request came over TLS, directly or through a
	// trusted proxy that said X-Forwarded-Proto: https.
	Secure bool
}

// WithInfo stores info in ctx.
func WithInfo(ctx context.Context, info RequestInfo) context.Context {
	ctx = context.WithValue(ctx, keyRequestID, info.ID)
	ctx = context.WithValue(ctx, keyClientIP, info.ClientIP)
	return context.WithValue(ctx, keySecure, info.Secure)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

// ClientIP returns the caller's address, proxies resolved, or "".
func ClientIP(ctx context.Context) string { s, _ := ctx.Value(keyClientIP).(string); return s }

// Secure reports whether the request arrived over HTTPS.
func Secure(ctx context.Context) bool { b, _ := ctx.Value(keySecure).(bool); return b }

// NewRequestID returns 16 random hex characters.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CleanRequestID accepts a caller's X-Request-Id only when it is short and
// plain, so that logs cannot be forged through it.
func CleanRequestID(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return ""
		}
	}
	return s
}

// Proxies is the set of addresses allowed to speak for the client with
// X-Forwarded-For and X-Forwarded-Proto.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDR prefixes or addresses.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the caller's address and whether the request is secure.
// Forwarded headers count only when the peer is a trusted proxy; the client
// address is then the right-most address of X-Forwarded-For that is not
// itself a trusted proxy, and the scheme the right-most X-Forwarded-Proto.
func (ps Proxies) Resolve(r *http.Request) (ip string, secure bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	secure = r.TLS != nil
	peer, err := netip.ParseAddr(host)
	if err != nil || !ps.trusts(peer) {
		return host, secure
	}
	// The right-most value is the one the trusted proxy set: a proxy that
	// appends rather than replaces leaves the client's own claim before it.
	if protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ","); len(protos) > 0 {
		if last := strings.TrimSpace(protos[len(protos)-1]); last != "" {
			secure = strings.EqualFold(last, "https")
		}
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		a, err := netip.ParseAddr(hop)
		if err != nil {
			// Some balancers write the client's port too.
			if ap, perr := netip.ParseAddrPort(hop); perr == nil {
				a, err = ap.Addr(), nil
			}
		}
		if err != nil {
			if i == len(hops)-1 && hop != "" {
				// The trusted proxy's own entry is unreadable: the client
				// is unknown, rather than the proxy itself, which an
				// allow-list may trust.
				host = ""
			}
			break
		}
		host = a.Unmap().String()
		if !ps.trusts(a) {
			break
		}
	}
	return host, secure
}

// StatusClientClosed is the status recorded for a request whose caller
// closed the connection before the answer (nginx's 499): not a server
// error, and no client reads it.
const StatusClientClosed = 499

// IsTooLarge reports whether err comes from reading past a body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// ReadJSON reads a JSON request body for a face: a Content-Type other than
// JSON is refused (and so is none, with typeRequired), a body past the
// server's limit is a KindTooLarge error, in the pasarela error vocabulary
// every face translates.
func ReadJSON(r *http.Request, typeRequired bool) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" || typeRequired {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, pasarela.Errorf(pasarela.KindUnsupportedMedia, "content_type", "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if IsTooLarge(err) {
			return nil, pasarela.Errorf(pasarela.KindTooLarge, "too_large", "the request body is too large")
		}
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_json", "could not read the request body")
	}
	return body, nil
}

// ErrNotObject is DecodeObject's answer to a body that is not exactly one
// JSON object; each face words it in its own format.
var ErrNotObject = errors.New("transport: not one JSON object")

// DecodeObject parses exactly one JSON object into its raw members,
// strictly: nothing after it, valid UTF-8 throughout, and no member twice
// in it or in any object it holds (encoding/json keeps the last of two,
// so a proxy or an audit reading the first would see another value than
// the face). A member sent twice is an invalid-kind error naming it (code
// duplicate_field); anything else that is not one object is ErrNotObject.
func DecodeObject(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]jsontext.Value
	if err := jsonv2.Unmarshal(data, &m); err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return nil, pasarela.Invalid(memberName(se.JSONPointer.LastToken()), "duplicate_field", "appears more than once")
		}
		return nil, ErrNotObject
	}
	if m == nil {
		return nil, ErrNotObject
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = json.RawMessage(v)
	}
	return out, nil
}

// CaseFolded returns the first member of m (in sorted order) whose name
// differs from one of known only in case, or "": {"Amount":…} beside or
// instead of "amount" is a member the face does not know, never the
// amount, and a face that ignores unknown members must still refuse it.
func CaseFolded(m map[string]json.RawMessage, known []string) string {
	var found []string
	for name := range m {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				found = append(found, name)
			}
		}
	}
	if len(found) == 0 {
		return ""
	}
	slices.Sort(found)
	return memberName(found[0])
}

// memberName is a client's member name as an error may show it.
func memberName(s string) string {
	if s == "" || !utf8.ValidString(s) || len(s) > 64 {
		return "body"
	}
	return s
}

// WriteReplay sends again the stored JSON answer of an idempotent request,
// marked as a replay.
func WriteReplay(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// CodeQuerySyntax is the code of a query parameter Query cannot read. Its
// field is the parameter as the client spelled it, which a face shows as
// it is rather than as one of the core's names.
const CodeQuerySyntax = "query_syntax"

// Query parses the request's query string strictly. Go's URL.Query drops a
// pair it cannot read (a ';' separator, a bad %-escape) without a word, so a
// filter or sort the caller sent would silently not apply; here such a pair
// is an invalid-kind error naming the parameter, for the face to answer in
// its own format.
func Query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		return q, nil
	}
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if _, perr := url.ParseQuery(pair); perr == nil {
			continue
		}
		name, _, _ := strings.Cut(pair, "=")
		name, _, _ = strings.Cut(name, ";")
		if n, uerr := url.QueryUnescape(name); uerr == nil {
			name = n
		}
		if name == "" || !utf8.ValidString(name) || len(name) > 64 {
			name = "query"
		}
		return nil, pasarela.Invalid(name, CodeQuerySyntax, "cannot be read from the query string: "+queryProblem(pair))
	}
	return nil, pasarela.Invalid("query", CodeQuerySyntax, "the query string cannot be read")
}

// queryProblem says what is wrong with one pair of a query string, in words
// that do not echo the pair back.
func queryProblem(pair string) string {
	if strings.Contains(pair, ";") {
		return "';' does not separate parameters; use '&' and escape a literal ';' as %3B"
	}
	return "it has a malformed %-escape; escape a literal '%' as %25"
}

// WriteJSON writes v as a JSON answer with status: never cached (answers
// carry payments and keys), and with <, > and & left as they are, since
// nobody embeds these bodies in HTML. The faces each have their own
// envelope; this is how every one of them puts it on the wire.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a broken connection has no one to tell
}

// Router is where a face mounts its routes: an *http.ServeMux, or the
// server's recorder that also notes which face each pattern belongs to
// (so that the server can answer in that face's format, and a test can
// enumerate every route a face serves).
type Router interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

type statusKey struct{}

// WithStatus marks a request whose error the server has already decided at
// the HTTP level (431 for an oversized request head, 400 for a path with
// dot segments): the face words the error in its own format and answers
// with this status rather than the one its table gives the error's kind.
func WithStatus(ctx context.Context, status int) context.Context {
	return context.WithValue(ctx, statusKey{}, status)
}

// Status is the status WithStatus set on ctx, or def.
func Status(ctx context.Context, def int) int {
	if s, ok := ctx.Value(statusKey{}).(int); ok {
		return s
	}
	return def
}
