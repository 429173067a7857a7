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
	// Observer, when set, is told of every pass and of what it did
	// (metrics); serve sets it on each worker.
	Observer Observer

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Observer is told what the background workers do, for metrics: each pass
// of a worker and how long it took, and counts of what it did ("settled",
// "failed").
type Observer interface {
	Pass(worker string, took time.Duration)
	Did(worker, what string, n int)
}

// did tells the observer, if any, that the worker did n of what.
func (l *loop) did(worker, what string, n int) {
	if l.Observer != nil && n > 0 {
		l.Observer.Did(worker, what, n)
	}
}

// start runs the worker called name's pass (run) every interval (first at once when now is set). The pass
// gets a context that outlives the caller's, so a pass in progress ends on
// its own terms at halt rather than half-way.
func (l *loop) start(ctx context.Context, name string, interval time.Duration, now bool, run func(context.Context)) {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	ctx = context.WithoutCancel(ctx)
	pass := run
	if obs := l.Observer; obs != nil {
		pass = func(ctx context.Context) {
			start := time.Now()
			run(ctx)
			obs.Pass(name, time.Since(start))
		}
	}
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

// abandonable returns ctx ended as soon as halt is called, for a pass that
// may be abandoned half-way (a refresh that writes in one transaction, which
// the next pass fetches again): Stop need not wait out a slow source. A
// money movement never uses it. cancel releases the watch.
func (l *loop) abandonable(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
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
