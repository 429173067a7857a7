package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pasarela/pasarela/internal/processor"
)

// fakeProcessor answers every call with err.
type fakeProcessor struct {
	processor.Processor
	err error
}

func (f fakeProcessor) Gateway() processor.Gateway { return processor.Gateway{ID: "fake"} }
func (f fakeProcessor) Capture(context.Context, processor.Config, string, int64) (processor.Result, error) {
	return processor.Result{}, f.err
}

type checking struct{ fakeProcessor }

func (checking) CheckConfig(processor.Config) error { return errors.New("checked") }

// TestProcessors: each call is a span and a report; a processor that
// checks its config still does through the wrapper.
func TestProcessors(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(rec))
	var calls []string
	observe := func(gw, call string, took time.Duration, err error) {
		calls = append(calls, gw+" "+call+" "+map[bool]string{true: "error", false: "ok"}[err != nil])
	}
	ps := Processors([]processor.Processor{fakeProcessor{err: errors.New("down")}, checking{}}, tp, observe)
	if _, err := ps[0].Capture(context.Background(), nil, "ref", 1); err == nil {
		t.Fatal("the error was lost")
	}
	if _, ok := ps[0].(processor.ConfigChecker); ok {
		t.Error("a processor without a config check gained one")
	}
	if c, ok := ps[1].(processor.ConfigChecker); !ok || c.CheckConfig(nil) == nil {
		t.Error("the config check was lost")
	}
	if len(calls) != 1 || calls[0] != "fake capture error" {
		t.Errorf("reports: %v", calls)
	}
	if s := rec.Ended(); len(s) != 1 || s[0].Name() != "processor.capture" || s[0].Status().Code.String() != "Error" {
		t.Errorf("spans: %v", s)
	}
	// Off: the processors are the same values, no wrapper.
	if got := Processors(ps[:1], nil, nil); got[0] != ps[0] {
		t.Error("wrapped with tracing off and no observer")
	}
}
