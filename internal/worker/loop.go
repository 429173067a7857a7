package worker

import (
	"context"
	"sync"
	"time"
)

// loop runs a worker's pass every interval in its own goroutine until halt.
// The workers embed it; each keeps its Step for tests, which move the clock
// and call Step instead of waiting for the ticker.
type loop struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// start runs pass every interval (first at once when now is set). The pass
// gets a context that outlives the caller's, so a pass in progress ends on
// its own terms at halt rather than half-way.
func (l *loop) start(ctx context.Context, interval time.Duration, now bool, pass func(context.Context)) {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		if now {
			pass(ctx)
		}
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			pass(ctx)
		}
	}()
}

// stopping reports whether halt was called, for passes that loop over
// batches and should end between two.
func (l *loop) stopping() bool {
	if l.stop == nil {
		return false
	}
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// halt ends the loop and waits for a pass in progress. It is safe to call
// twice, and before start.
func (l *loop) halt() {
	if l.stop == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}
