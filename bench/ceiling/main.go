// Command ceiling is the bare handler the side-by-side benchmark reads every
// other figure against: one JSON POST handler on net/http with its
// defaults, which decodes a small body and answers 201 with a small JSON
// object. Nothing is stored, authenticated or logged, so its requests per
// second are what HTTP, JSON and the load generator cost on the machine,
// and no server written in Go on net/http can do more than that.
//
//	ceiling [--addr 127.0.0.1:18099]
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"sync/atomic"
)

// order is the shape of the body the benchmark posts: the same JSON as a
// PayREST payment.
type order struct {
	Payment struct {
		Amount      string `json:"amount"`
		Currency    string `json:"currency"`
		Description string `json:"description"`
	} `json:"payment"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18099", "address to listen on")
	flag.Parse()
	var next atomic.Int64
	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		var o order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, `{"message":"invalid JSON"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": next.Add(1), "status": "created",
			"amount": o.Payment.Amount, "currency": o.Payment.Currency})
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
