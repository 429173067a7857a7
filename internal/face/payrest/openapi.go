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

// OpenAPIPath is where the face's OpenAPI 3.1 document is served.
const OpenAPIPath = "/openapi/payrest.json"

// OpenAPI is the face's OpenAPI document, for the reference at /docs/.
// Callers must not change it.
func OpenAPI() []byte { return openapiJSON }

func (f *Face) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiJSON)
	return nil
}
