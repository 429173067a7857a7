// Package webasset serves the embedded static files of the gateway's pages
// (the checkout's and the dashboard's stylesheets, scripts and images) under
// URLs that carry a version derived from each file's content: a changed file
// gets a new URL, so an old one can be cached for a year.
package webasset

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

// Set is the files of one directory, served under one URL prefix.
type Set struct {
	prefix string
	files  map[string]file
}

type file struct {
	body    []byte
	ctype   string
	version string
}

// Load reads every file of dir in fsys, to be served under prefix (which
// ends with a slash). It panics if the embedded directory cannot be read,
// which any test of the package that embeds it catches before a release.
func Load(fsys fs.FS, dir, prefix string) *Set {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	s := &Set{prefix: prefix, files: make(map[string]file, len(entries))}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		ctype := "application/octet-stream"
		switch path.Ext(e.Name()) {
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		}
		s.files[e.Name()] = file{body: b, ctype: ctype, version: hex.EncodeToString(sum[:6])}
	}
	return s
}

// URL is the address of the file name, with its version.
func (s *Set) URL(name string) string {
	f, ok := s.files[name]
	if !ok {
		return s.prefix + name
	}
	return s.prefix + name + "?v=" + f.version
}

// Serve answers with the file name and reports true, or reports false
// (having written nothing) when there is no such file.
func (s *Set) Serve(w http.ResponseWriter, r *http.Request, name string) bool {
	f, ok := s.files[name]
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", f.ctype)
	if r.URL.Query().Get("v") == f.version {
		// The URL changes with the content, so this one never goes stale.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	etag := `"` + f.version + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	_, _ = w.Write(f.body)
	return true
}
