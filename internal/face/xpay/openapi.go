package xpay

import (
	_ "embed"
	"net/http"
)

// OpenAPIPath is where the face's OpenAPI 3.1 document is served.
const OpenAPIPath = "/openapi/xpay.json"

// openapiJSON describes what this face serves; a test drives every
// operation through the real stack and validates each request and response
// against it, so it cannot drift from the code.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI is the face's OpenAPI document, for the reference at /docs/.
// Callers must not change it.
func OpenAPI() []byte { return openapiJSON }

// openAPI serves the document. It is public: it holds no data, and tools
// fetch it before they have credentials.
func openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiJSON)
}
