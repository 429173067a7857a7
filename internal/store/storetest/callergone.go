package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/pasarela/pasarela/internal/store"
)

// testCallerGone: when the caller's context ends while a View or an Update
// (or a ReadOne) runs, the engine's own error (here one such as SQLite's "interrupted")
// comes back marked as caused by the context, with the engine's error still
// in it, so that every face tells a caller that went away from a failure.
// An error of a caller still waiting is returned as it is.
func testCallerGone(t *testing.T, db store.DB) {
	interrupted := errors.New("interrupted (9)")
	for _, c := range []struct {
		name string
		run  func(context.Context, func(*store.Tx) error) error
	}{{"View", db.View}, {"ReadOne", db.ReadOne}, {"Update", db.Update}} {
		ctx, cancel := context.WithCancel(context.Background())
		err := c.run(ctx, func(*store.Tx) error {
			cancel()
			return interrupted
		})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, interrupted) {
			t.Errorf("%s after the caller went away: %v, want context.Canceled wrapping the engine's error", c.name, err)
		}
		if err := c.run(context.Background(), func(*store.Tx) error { return interrupted }); err != interrupted {
			t.Errorf("%s of a caller still waiting: %v, want the error unchanged", c.name, err)
		}
	}
}
