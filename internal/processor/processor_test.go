package processor_test

import (
	"testing"

	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/processortest"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// TestRegistry: the catalog lists every processor once, by id, in a stable
// order, and looks each up by the id PayREST knows it by.
func TestRegistry(t *testing.T) {
	state := &processortest.MemoryState{}
	r := processor.NewRegistry(sandbox.New(state), paypal.New(state))
	var ids []string
	for _, g := range r.Gateways() {
		ids = append(ids, g.ID)
	}
	if len(ids) != 2 || ids[0] != paypal.GatewayID || ids[1] != sandbox.GatewayID {
		t.Fatalf("catalog %v, want [%s %s]", ids, paypal.GatewayID, sandbox.GatewayID)
	}
	for _, id := range ids {
		p, ok := r.Get(id)
		if !ok || p.Gateway().ID != id {
			t.Errorf("Get(%q) = %v, %v", id, p, ok)
		}
	}
	if _, ok := r.Get("redsys"); ok {
		t.Error("Get found a processor that was never registered")
	}
}

func TestConfig(t *testing.T) {
	cfg := processor.Config{"username": "u", "sandbox": true, "weight": 3}
	tests := []struct {
		name   string
		got    any
		wanted any
	}{
		{"string", cfg.String("username"), "u"},
		{"missing string", cfg.String("password"), ""},
		{"string of another type", cfg.String("sandbox"), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.wanted {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.wanted)
		}
	}
}
