package core

import (
	"context"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// sweepBatch bounds one sweep's work, so that it never holds the writer long.
const sweepBatch = 500

// SweepResult counts what one sweep did.
type SweepResult struct {
	Expired     int   // payments nobody paid in time
	Idempotency int64 // idempotency records past their lifetime
}

// Sweep does the housekeeping that time alone makes due: payments whose
// deadline passed become expired (their links closed), and idempotency
// records past their lifetime are deleted. It works in batches; call it
// again while it reports work done.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var r SweepResult
	var due []pasarela.Payment
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.DuePayments(ctx, s.now(), sweepBatch)
		return err
	})
	if err != nil {
		return r, err
	}
	for i := range due {
		if err := s.expire(ctx, &due[i]); err != nil {
			return r, err
		}
		if due[i].Status == pasarela.StatusExpired {
			r.Expired++
		}
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		r.Idempotency, err = tx.DeleteExpiredIdempotency(ctx, s.now(), sweepBatch)
		return err
	})
	return r, err
}
