package server

import (
	"net/http"
	"path"
	"time"

	"github.com/pasarela/pasarela"
)

// Errors found at the HTTP level, before any route runs, are answered in
// the format of the face whose route the path leads to (JSON in each face's
// shape, a SOAP fault on Gestpay's SOAP services), not in net/http's plain
// text or ServeMux's HTML redirect:
//
//   - a request head (request line and headers) over Config.MaxHeaderBytes
//     is a 431. The http.Server reads heads up to ServerMaxHeaderBytes so
//     that the handler sees them and can answer; a head beyond that is
//     still net/http's plain-text 431, since no handler runs.
//   - a path with empty, "." or ".." segments ("/a/../b", "//b") is a 400:
//     ServeMux would redirect it (an HTML 307 or 301) to the cleaned path,
//     which a client of an API does not follow for a POST, and which lets a
//     proxy that matched the raw path see another route than the gateway.
//   - a body declared larger than what arrives no longer holds the
//     connection for the whole ReadTimeout: the body's read deadline is
//     Config.BodyReadTimeout plus a second per 64 KiB declared, and the
//     face answers the unread body in its format (a 400).
//
// What net/http refuses while parsing the request, before any handler,
// cannot be answered in a face's format and stays plain text: a malformed
// request line, a NUL or another control character in a header (400), a
// head over ServerMaxHeaderBytes (431), an unsupported Transfer-Encoding
// (501). The README's Errors section lists them.

// ServerMaxHeaderBytes is the http.Server's own limit on a request head,
// above which net/http answers alone.
const ServerMaxHeaderBytes = 1 << 20

// Route is one pattern a face registered on the server's mux.
type Route struct {
	Face    string
	Pattern string
}

// Routes lists every pattern the faces mounted on a handler New returned,
// in the order they were registered: what a test enumerates to call every
// route, rather than a list kept by hand.
func Routes(h http.Handler) []Route {
	if hh, ok := h.(*handler); ok {
		return append([]Route(nil), hh.routes...)
	}
	return nil
}

// recorder mounts a face's routes on the mux and notes which face each
// pattern belongs to.
type recorder struct {
	mux  *http.ServeMux
	face string
	h    *handler
}

func (r *recorder) Handle(pattern string, handler http.Handler) {
	r.mux.Handle(pattern, handler)
	r.note(pattern)
}

func (r *recorder) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	r.mux.HandleFunc(pattern, handler)
	r.note(pattern)
}

func (r *recorder) note(pattern string) {
	r.h.owners[pattern] = r.face
	r.h.routes = append(r.h.routes, Route{Face: r.face, Pattern: pattern})
}

// refuse returns the status and error of a request refused at the HTTP
// level, or a nil error.
func (h *handler) refuse(r *http.Request) (int, error) {
	if n := headSize(r); n > h.cfg.MaxHeaderBytes {
		return http.StatusRequestHeaderFieldsTooLarge, pasarela.Errorf(pasarela.KindTooLarge, "header_too_large",
			"the request line and headers are too large: at most %d bytes", h.cfg.MaxHeaderBytes)
	}
	if r.Method != http.MethodConnect && cleanPath(r.URL.Path) != r.URL.Path {
		return http.StatusBadRequest, pasarela.Errorf(pasarela.KindInvalid, "path",
			"the path must not hold empty, '.' or '..' segments; send the path itself, not one to be cleaned")
	}
	return 0, nil
}

// headSize is about the size of the request's head as it was sent.
func headSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// cleanPath is ServeMux's canonical form of a path: what it would
// redirect to.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// httpError answers err with status in the format of the face the path
// (cleaned) leads to, or in the server's own JSON when no face's route
// does.
func (h *handler) httpError(w http.ResponseWriter, r *http.Request, status int, err error) {
	if f := h.owner(r); f != nil {
		f.WriteHTTPError(w, r, status, err)
		return
	}
	writeJSON(w, status, map[string]any{"code": status, "message": pasarela.AsError(err).Message})
}

// owner is the face whose route the request's cleaned path leads to.
func (h *handler) owner(r *http.Request) face {
	u := *r.URL
	u.Path, u.RawPath = cleanPath(r.URL.Path), ""
	probe := *r
	probe.URL = &u
	for _, m := range []string{r.Method, http.MethodGet} {
		probe.Method = m
		if _, pattern := h.next.Handler(&probe); pattern != "" {
			if name, ok := h.owners[pattern]; ok {
				return h.faces[name]
			}
		}
	}
	return nil
}

// bodyDeadline bounds the time to read a declared body: a client that
// declares a Content-Length and sends less would otherwise hold the
// connection and a goroutine for the server's whole ReadTimeout.
func (h *handler) bodyDeadline(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength <= 0 {
		return
	}
	d := min(h.cfg.BodyReadTimeout+time.Duration(r.ContentLength/(64<<10))*time.Second, readTimeout)
	// Not every writer supports deadlines (HTTP/2 does, a test recorder
	// does not); the server's ReadTimeout still applies then.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}
