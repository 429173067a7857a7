// Package apidocs serves the reference of the gateway's APIs at /docs/: an
// index of the faces mounted, and each JSON face's OpenAPI document
// rendered as a page, with links to the Gestpay face's WSDLs.
//
// The pages are rendered on the server from the same embedded documents
// the faces serve at /openapi/{face}.json, rather than by a JavaScript
// renderer such as Redoc or Swagger UI: those inject inline styles (and
// Swagger UI inline scripts and data: images), which the gateway's
// Content-Security-Policy forbids on every page it serves, and they add a
// megabyte or more of vendored script to the binary. Rendered here, the
// reference reads without JavaScript, loads nothing but one stylesheet
// from the gateway, and cannot drift from the documents the faces' tests
// validate.
package apidocs

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/pasarela/pasarela/internal/webasset"
)

// Prefix is where the reference is served.
const Prefix = "/docs/"

// Face is one API of the gateway as the index lists it.
type Face struct {
	Name    string // the face's name in paths: /docs/{Name}
	Title   string // as people call it: "PayREST"
	Summary string // one line: what a merchant uses it for
	// OpenAPI is the face's OpenAPI 3 document and OpenAPIPath where the
	// face serves it; a face without one (SOAP) has WSDLs instead.
	OpenAPI     []byte
	OpenAPIPath string
	WSDLs       []Link
}

// Link is a document the index points to.
type Link struct {
	Title string
	Path  string
}

// Docs serves the reference.
type Docs struct {
	log   *slog.Logger
	faces []Face
	refs  map[string]*reference
	index *template.Template
	page  *template.Template
	css   *webasset.Set
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// New parses every face's document. A document that does not parse is an
// error, which a test of the composed server catches before any release.
func New(log *slog.Logger, faces []Face) (*Docs, error) {
	d := &Docs{log: log, faces: faces, refs: map[string]*reference{}, css: webasset.Load(assetFS, "assets", Prefix)}
	for _, f := range faces {
		if len(f.OpenAPI) == 0 {
			continue
		}
		ref, err := parseReference(f.OpenAPI)
		if err != nil {
			return nil, fmt.Errorf("the %s face's OpenAPI document: %w", f.Name, err)
		}
		d.refs[f.Name] = ref
	}
	funcs := template.FuncMap{"css": func() string { return d.css.URL("docs.css") }}
	d.index = template.Must(template.New("index").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/index.html"))
	d.page = template.Must(template.New("page").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/reference.html"))
	return d, nil
}

// Register mounts the reference on mux.
func (d *Docs) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"{$}", d.serveIndex)
	mux.HandleFunc("GET "+Prefix+"docs.css", d.serveCSS)
	mux.HandleFunc("GET "+Prefix+"{face}", d.serveFace)
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
}

// headers are every page's: nothing but the gateway's own stylesheet may
// load, no script at all, no framing.
func headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "+
		"form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

type indexView struct {
	Title string
	Faces []Face
}

type pageView struct {
	Title string
	Face  Face
	Ref   *reference
}

func (d *Docs) serveIndex(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, d.index, indexView{Title: "API reference", Faces: d.faces})
}

func (d *Docs) serveFace(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("face")
	for _, f := range d.faces {
		if f.Name == name && d.refs[name] != nil {
			d.render(w, r, http.StatusOK, d.page, pageView{Title: d.refs[name].Title, Face: f, Ref: d.refs[name]})
			return
		}
	}
	d.render(w, r, http.StatusNotFound, d.index, indexView{Title: "No such reference", Faces: d.faces})
}

func (d *Docs) serveCSS(w http.ResponseWriter, r *http.Request) {
	headers(w)
	d.css.Serve(w, r, "docs.css")
}

// render runs the template into a buffer first, so that a failure is a
// clean error rather than half a page.
func (d *Docs) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, v any) {
	headers(w)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.ErrorContext(r.Context(), "docs template failed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
