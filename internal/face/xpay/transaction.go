package xpay

import "net/http"

// registerTransactions mounts the transaction routes.
func (f *Face) registerTransactions(mux *http.ServeMux) {}
