package payrest

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// idem reads a request's Idempotency-Key; without one the request is not
// idempotent. render writes the answer exactly as the handler would.
func idem(r *http.Request, body []byte, render func(v any) any, status int) (*core.Idem, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if err := core.CheckIdempotencyKey(key); err != nil {
		return nil, err
	}
	return &core.Idem{
		Key:         key,
		Fingerprint: core.Fingerprint([]byte(r.Method), []byte(r.URL.Path), body),
		Render: func(v any) (int, []byte, error) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			err := enc.Encode(render(v))
			return status, buf.Bytes(), err
		},
	}, nil
}

// writeAnswer sends v, created by an idempotent request: the answer stored
// for its key when there is one (the same bytes a retry will get), without
// encoding it again.
func writeAnswer(w http.ResponseWriter, status int, id *core.Idem, v any) {
	if id == nil || id.Answer == nil {
		writeJSON(w, status, v)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(id.Answer)
}

// writeCreatedReplay sends a stored creation again, with the Location the
// first answer had (its first link, the resource's own).
func writeCreatedReplay(w http.ResponseWriter, rep *core.Replay) {
	var created struct{ Links []link }
	if json.Unmarshal(rep.Body, &created) == nil && len(created.Links) > 0 {
		w.Header().Set("Location", created.Links[0].Href)
	}
	writeReplay(w, rep)
}

// writeReplay sends a stored answer again.
func writeReplay(w http.ResponseWriter, rep *core.Replay) {
	transport.WriteReplay(w, rep.Status, rep.Body)
}
