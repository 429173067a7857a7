package webasset

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// TestServe: a file's URL carries its content's version; with that version
// the answer may be cached for good, without it it must be revalidated, a
// matching ETag gets 304, and an unknown name is left to the caller.
func TestServe(t *testing.T) {
	s := Load(fstest.MapFS{
		"a/site.css": {Data: []byte("body{}")},
		"a/pay.js":   {Data: []byte("1")},
	}, "a", "/x/assets/")
	url := s.URL("site.css")
	if !strings.HasPrefix(url, "/x/assets/site.css?v=") || len(url) != len("/x/assets/site.css?v=")+12 {
		t.Fatalf("URL %q", url)
	}
	get := func(target, etag string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if etag != "" {
			r.Header.Set("If-None-Match", etag)
		}
		w := httptest.NewRecorder()
		if !s.Serve(w, r, strings.TrimPrefix(strings.SplitN(target, "?", 2)[0], "/x/assets/")) {
			w.Code = http.StatusNotFound
		}
		return w
	}
	w := get(url, "")
	if w.Code != 200 || w.Body.String() != "body{}" || w.Header().Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("versioned: %d %q %v", w.Code, w.Body, w.Header())
	}
	if w := get("/x/assets/site.css", ""); w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("unversioned: %v", w.Header())
	}
	if w2 := get(url, w.Header().Get("ETag")); w2.Code != http.StatusNotModified || w2.Body.Len() != 0 {
		t.Fatalf("revalidation: %d %q", w2.Code, w2.Body)
	}
	if w := get("/x/assets/none.css", ""); w.Code != http.StatusNotFound || w.Body.Len() != 0 {
		t.Fatalf("unknown file: %d %q", w.Code, w.Body)
	}
	if got := s.URL("none.css"); got != "/x/assets/none.css" {
		t.Fatalf("URL of an unknown file: %q", got)
	}
}
