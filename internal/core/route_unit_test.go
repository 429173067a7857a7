package core

import (
	"math"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

func routeConfig(id int64, weight int, enabled bool) store.GatewayConfigRow {
	return store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ID: id, Weight: weight, Enabled: enabled}}
}

// TestRouterOrderByWeight: over many draws each enabled config comes first
// with probability weight/Σweights, and second, after the first is taken
// out, with the probability of a draw without replacement; disabled configs
// never appear and weight-0 ones come last in id order. The statistics need
// volume, which the router gives in microseconds; the end-to-end routing
// tests check that payments follow its order.
func TestRouterOrderByWeight(t *testing.T) {
	t.Parallel()
	const n = 200_000
	configs := []store.GatewayConfigRow{
		routeConfig(4, 2, true), routeConfig(1, 1, true), routeConfig(9, 0, true), routeConfig(3, 3, true),
		routeConfig(7, 0, true), routeConfig(5, 1000, false), routeConfig(8, 0, false),
	}
	r := newRouter(7)
	first, second := map[int64]int{}, map[int64]int{}
	for range n {
		order := r.order(configs)
		if len(order) != 5 {
			t.Fatalf("order has %d configs, want the 5 enabled: %v", len(order), order)
		}
		if order[3].ID != 7 || order[4].ID != 9 {
			t.Fatalf("weight-0 configs not last in id order: %v", order)
		}
		first[order[0].ID]++
		second[order[1].ID]++
	}
	// Weights 1 (id 1), 2 (id 4), 3 (id 3): Σ = 6.
	w := map[int64]float64{1: 1, 4: 2, 3: 3}
	for id, wi := range w {
		p1 := wi / 6
		// Second: some other config j came first, then i is drawn from the rest.
		var p2 float64
		for j, wj := range w {
			if j != id {
				p2 += wj / 6 * wi / (6 - wj)
			}
		}
		for _, c := range []struct {
			what string
			got  int
			p    float64
		}{{"first", first[id], p1}, {"second", second[id], p2}} {
			tolerance := 5 * math.Sqrt(c.p*(1-c.p)/n)
			if share := float64(c.got) / n; math.Abs(share-c.p) > tolerance {
				t.Errorf("config %d (weight %v) %s in %.4f of orders, want %.4f ± %.4f", id, wi, c.what, share, c.p, tolerance)
			}
		}
	}
}
