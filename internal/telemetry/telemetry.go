// Package telemetry adapts the gateway to OpenTelemetry tracing: the
// exporter (OTLP over HTTP, off unless an endpoint is configured) and
// the spans around the two seams a request crosses below its face, the
// store and the processors. The server starts the request's span; the
// core needs no change, as the spans travel in ctx.
package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Name is the instrumentation scope of every span of the gateway.
const Name = "github.com/pasarela/pasarela"

// Setup returns the tracer provider to build the server with, and the
// function that flushes and stops it. With no endpoint (endpointURL "" and
// fromEnv false) tracing is off: the provider is a no-op and costs
// nothing. endpointURL is an OTLP/HTTP base URL ("http://collector:4318");
// with fromEnv the exporter reads the standard OTEL_EXPORTER_OTLP_*
// variables itself.
func Setup(ctx context.Context, endpointURL string, fromEnv bool, version string) (trace.TracerProvider, func(context.Context) error, error) {
	if endpointURL == "" && !fromEnv {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if endpointURL != "" {
		// A base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is: the traces path is
		// added to it unless it names one.
		u, err := url.Parse(endpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("%q is not an http(s) URL", endpointURL)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u.String()))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, nil, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", "pasarela"), attribute.String("service.version", version))),
	)
	return tp, tp.Shutdown, nil
}

// Enabled reports whether tp records spans (it is not the no-op one).
func Enabled(tp trace.TracerProvider) bool {
	_, off := tp.(noop.TracerProvider)
	return tp != nil && !off
}

// DB wraps a store with a span around each View and Update, child of the
// request's span that ctx carries. A grouped SQLite commit shows in each
// caller's span as the time its call waited.
func DB(db store.DB, tp trace.TracerProvider) store.DB {
	if !Enabled(tp) {
		return db
	}
	return &tracedDB{DB: db, tracer: tp.Tracer(Name)}
}

type tracedDB struct {
	store.DB
	tracer trace.Tracer
}

func (d *tracedDB) span(ctx context.Context, name string, fn func(context.Context) error) error {
	// Only inside a trace: the workers' polls (the webhook deliverer looks
	// every second) would otherwise each be a trace of one span.
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return fn(ctx)
	}
	ctx, span := d.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", d.Engine())))
	defer span.End()
	err := fn(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	return err
}

func (d *tracedDB) Update(ctx context.Context, fn func(*store.Tx) error) error {
	return d.span(ctx, "store.update", func(ctx context.Context) error { return d.DB.Update(ctx, fn) })
}

func (d *tracedDB) View(ctx context.Context, fn func(*store.Tx) error) error {
	return d.span(ctx, "store.view", func(ctx context.Context) error { return d.DB.View(ctx, fn) })
}

// ProcessorObserver is told of each processor call: its gateway, the call
// (authorize, capture…), how long it took and its error (metrics).
type ProcessorObserver func(gateway, call string, took time.Duration, err error)

// Processors wraps every processor of a registry with a span around each
// call (when tp records) and a report to observe (when set).
func Processors(ps []processor.Processor, tp trace.TracerProvider, observe ProcessorObserver) []processor.Processor {
	if !Enabled(tp) && observe == nil {
		return ps
	}
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	out := make([]processor.Processor, len(ps))
	for i, p := range ps {
		t := &tracedProcessor{Processor: p, gateway: p.Gateway().ID, tracer: tp.Tracer(Name), observe: observe}
		// A processor that checks its own config keeps doing so: the
		// core finds the check by a type assertion.
		if c, ok := p.(processor.ConfigChecker); ok {
			out[i] = &tracedChecker{tracedProcessor: t, checker: c}
		} else {
			out[i] = t
		}
	}
	return out
}

type tracedProcessor struct {
	processor.Processor
	gateway string
	tracer  trace.Tracer
	observe ProcessorObserver
}

type tracedChecker struct {
	*tracedProcessor
	checker processor.ConfigChecker
}

func (t *tracedChecker) CheckConfig(cfg processor.Config) error { return t.checker.CheckConfig(cfg) }

// call runs one processor call in its span and reports it.
func call[T any](ctx context.Context, t *tracedProcessor, name string, fn func(context.Context) (T, error)) (T, error) {
	ctx, span := t.tracer.Start(ctx, "processor."+name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("pasarela.gateway", t.gateway)))
	start := time.Now()
	v, err := fn(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	span.End()
	if t.observe != nil {
		t.observe(t.gateway, name, time.Since(start), err)
	}
	return v, err
}

func (t *tracedProcessor) Tokenize(ctx context.Context, cfg processor.Config, card processor.CardInput) (pasarela.Card, error) {
	return call(ctx, t, "tokenize", func(ctx context.Context) (pasarela.Card, error) { return t.Processor.Tokenize(ctx, cfg, card) })
}

func (t *tracedProcessor) Authorize(ctx context.Context, cfg processor.Config, ch processor.Charge) (processor.Result, error) {
	return call(ctx, t, "authorize", func(ctx context.Context) (processor.Result, error) { return t.Processor.Authorize(ctx, cfg, ch) })
}

func (t *tracedProcessor) Resume(ctx context.Context, cfg processor.Config, ref string, approved bool) (processor.Result, error) {
	return call(ctx, t, "resume", func(ctx context.Context) (processor.Result, error) {
		return t.Processor.Resume(ctx, cfg, ref, approved)
	})
}

func (t *tracedProcessor) Capture(ctx context.Context, cfg processor.Config, ref string, amount int64) (processor.Result, error) {
	return call(ctx, t, "capture", func(ctx context.Context) (processor.Result, error) {
		return t.Processor.Capture(ctx, cfg, ref, amount)
	})
}

func (t *tracedProcessor) Cancel(ctx context.Context, cfg processor.Config, ref string) (processor.Result, error) {
	return call(ctx, t, "cancel", func(ctx context.Context) (processor.Result, error) { return t.Processor.Cancel(ctx, cfg, ref) })
}

func (t *tracedProcessor) Refund(ctx context.Context, cfg processor.Config, ref string, amount int64, key string) (processor.Result, error) {
	return call(ctx, t, "refund", func(ctx context.Context) (processor.Result, error) {
		return t.Processor.Refund(ctx, cfg, ref, amount, key)
	})
}

func (t *tracedProcessor) Status(ctx context.Context, cfg processor.Config, ref string) (processor.Result, error) {
	return call(ctx, t, "status", func(ctx context.Context) (processor.Result, error) { return t.Processor.Status(ctx, cfg, ref) })
}

func (t *tracedProcessor) Lookup(ctx context.Context, cfg processor.Config, key string) (processor.Result, error) {
	return call(ctx, t, "lookup", func(ctx context.Context) (processor.Result, error) { return t.Processor.Lookup(ctx, cfg, key) })
}
