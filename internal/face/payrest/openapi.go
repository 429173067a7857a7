package payrest

import (
	_ "embed"
	"net/http"
)

// openapiJSON describes what this face serves; a test validates real
// responses against it, so it cannot drift from the code.
//
//go:embed openapi.json
var openapiJSON []byte

func (f *Face) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiJSON)
	return nil
}
