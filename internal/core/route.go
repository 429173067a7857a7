package core

import (
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/pasarela/pasarela/internal/store"
)

// router orders a payment's gateway configs for an attempt: a weighted draw
// without replacement, so each config comes first with probability
// weight/Σweights, and the rest follow as fallbacks in the same manner.
// Configs of weight 0 are last resorts, in id order.
type router struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newRouter(seed uint64) *router {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &router{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// order returns the enabled configs in the order to try them.
func (r *router) order(configs []store.GatewayConfigRow) []store.GatewayConfigRow {
	var weighted, zero []store.GatewayConfigRow
	for _, c := range configs {
		switch {
		case !c.Enabled:
		case c.Weight > 0:
			weighted = append(weighted, c)
		default:
			zero = append(zero, c)
		}
	}
	sort.Slice(weighted, func(i, j int) bool { return weighted[i].ID < weighted[j].ID })
	sort.Slice(zero, func(i, j int) bool { return zero[i].ID < zero[j].ID })
	out := make([]store.GatewayConfigRow, 0, len(weighted)+len(zero))
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(weighted) > 0 {
		total := 0
		for _, c := range weighted {
			total += c.Weight
		}
		pick := r.rng.IntN(total)
		for i, c := range weighted {
			if pick < c.Weight {
				out = append(out, c)
				weighted = append(weighted[:i], weighted[i+1:]...)
				break
			}
			pick -= c.Weight
		}
	}
	return append(out, zero...)
}
