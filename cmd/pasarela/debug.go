package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// serveDebug serves the Go profiler on its own listener, so that profiling
// a loaded server never means exposing /debug/pprof on the public address.
// It is off unless --debug-addr is set.
func (m *Main) serveDebug() error {
	ln, err := net.Listen("tcp", m.config.DebugAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.debug.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Warn("debug server stopped", "err", err)
		}
	}()
	m.log.Info("profiler listening", "addr", ln.Addr().String())
	return nil
}
