package payrest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// The sandbox chain's operator routes: a buyer's wallet and the miners of
// the simulated chain crypto deposits are watched on, for tests and demos.
// They speak PayREST's authentication and errors, and act for any
// application key; the core refuses them (404) when no sandbox chain is
// configured.
//
//	POST /sandbox/chain/{currency}/send {"address": "…", "amount": "0.004"} → {"txid": "…"}
//	POST /sandbox/chain/{currency}/mine {"blocks": 1}                     → {"height": 1}
func (f *Face) registerSandboxChain(mux transport.Router) {
	mux.Handle("/sandbox/chain/{currency}/send", f.authed(methods{"POST": f.sandboxChainSend}))
	mux.Handle("/sandbox/chain/{currency}/mine", f.authed(methods{"POST": f.sandboxChainMine}))
}

// sandboxBody reads a small unwrapped JSON object strictly: no unknown
// members, nothing after it.
func sandboxBody(r *http.Request, dst any) error {
	body, err := transport.ReadJSON(r, false)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	return strictUnmarshal(body, dst)
}

func (f *Face) sandboxChainSend(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Address string          `json:"address"`
		Amount  json.RawMessage `json:"amount"`
	}
	if err := sandboxBody(r, &in); err != nil {
		return err
	}
	// The amount is a decimal as a string or a JSON number, read as its
	// literal text, never through a float.
	amount := strings.TrimSpace(string(in.Amount))
	if s, err := strconv.Unquote(amount); err == nil {
		amount = s
	}
	var v pasarela.Validation
	if strings.TrimSpace(in.Address) == "" {
		v.Add("address", "required", "is required")
	}
	if amount == "" || amount == "null" {
		v.Add("amount", "required", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	txid, err := f.svc.SandboxChainSend(r.Context(), strings.ToUpper(r.PathValue("currency")), strings.TrimSpace(in.Address), amount)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"txid": txid})
	return nil
}

func (f *Face) sandboxChainMine(w http.ResponseWriter, r *http.Request) error {
	in := struct {
		Blocks *int `json:"blocks"`
	}{}
	if err := sandboxBody(r, &in); err != nil {
		return err
	}
	blocks := 1
	if in.Blocks != nil {
		blocks = *in.Blocks
	}
	if blocks < 1 || blocks > 1000 {
		return pasarela.Invalid("blocks", "range", "must be from 1 to 1000")
	}
	height, err := f.svc.SandboxChainMine(r.Context(), strings.ToUpper(r.PathValue("currency")), blocks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"height": height})
	return nil
}
