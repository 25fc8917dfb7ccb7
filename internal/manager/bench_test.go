package manager

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"tracectl/internal/spanjson"
)

// benchSpansPerTrace is the size of a benchmark trace: every that many
// registrations one trace is popped and a new one registered, so the
// figures include the pop (snapshot) cost amortised over the spans.
const benchSpansPerTrace = 64

// benchSpans pre-builds the spans of one trace per worker, so the
// benchmarks measure the manager, not span construction.
func benchSpans(worker int) []*spanjson.LiveSpan {
	spans := make([]*spanjson.LiveSpan, benchSpansPerTrace)
	for i := range spans {
		parent := i - 1
		if i == 0 {
			parent = -1
		}
		spans[i] = liveSpan(worker, i+1, parent, "s", time.Unix(1, 0))
	}
	return spans
}

// BenchmarkRegisterSpan: one op is one RegisterSpan; a trace is registered
// and popped every benchSpansPerTrace spans (included in the figure).
func BenchmarkRegisterSpan(b *testing.B) {
	m := New(Config{MaxSize: 1 << 20})
	defer m.Close()
	spans := benchSpans(0)
	tid := traceID(0)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == 0 {
			m.RegisterTrace(tid, spanjson.TraceInfo{})
		}
		if err := m.RegisterSpan(spans[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == benchSpansPerTrace {
			m.PopTrace(tid)
			i = 0
		}
	}
}

// BenchmarkRegisterSpanParallel8 is BenchmarkRegisterSpan with 8
// goroutines (at least GOMAXPROCS) contending for one manager, each on its
// own traces. ns/op is wall time per op over all goroutines.
func BenchmarkRegisterSpanParallel8(b *testing.B) {
	m := New(Config{MaxSize: 1 << 20})
	defer m.Close()
	var worker atomic.Int32
	b.ReportAllocs()
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		w := int(worker.Add(1))
		spans := benchSpans(w)
		tid := traceID(w)
		i := 0
		for pb.Next() {
			if i == 0 {
				m.RegisterTrace(tid, spanjson.TraceInfo{})
			}
			if err := m.RegisterSpan(spans[i]); err != nil {
				b.Error(err)
				return
			}
			if i++; i == benchSpansPerTrace {
				m.PopTrace(tid)
				i = 0
			}
		}
	})
}

// registerRounds registers rounds traces of benchSpansPerTrace spans each
// (and pops them) through m.
func registerRounds(b *testing.B, m *Manager, spans []*spanjson.LiveSpan, rounds int) {
	tid := spans[0].OTelTraceID()
	for range rounds {
		m.RegisterTrace(tid, spanjson.TraceInfo{})
		for _, s := range spans {
			if err := m.RegisterSpan(s); err != nil {
				b.Error(err)
				return
			}
		}
		m.PopTrace(tid)
	}
}

// BenchmarkRegisterSpanContention measures the same work done by one
// goroutine and by 8 contending goroutines, interleaved in every iteration
// so that load from other processes hits both alike, and reports the
// per-span wall time of each and their ratio (target: ratio ≤ 2).
func BenchmarkRegisterSpanContention(b *testing.B) {
	const goroutines, rounds = 8, 256 // rounds of 64 spans per goroutine
	m := New(Config{MaxSize: 1 << 20})
	defer m.Close()
	spans := make([][]*spanjson.LiveSpan, goroutines)
	for g := range spans {
		spans[g] = benchSpans(g)
	}
	var serial, parallel time.Duration
	var iters int
	for b.Loop() {
		start := time.Now()
		for g := range goroutines { // the same work, one goroutine
			registerRounds(b, m, spans[g], rounds)
		}
		serial += time.Since(start)

		start = time.Now()
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() { registerRounds(b, m, spans[g], rounds) })
		}
		wg.Wait()
		parallel += time.Since(start)
		iters++
	}
	ops := float64(iters * goroutines * rounds * benchSpansPerTrace)
	b.ReportMetric(float64(serial.Nanoseconds())/ops, "1g-ns/span")
	b.ReportMetric(float64(parallel.Nanoseconds())/ops, "8g-ns/span")
	b.ReportMetric(float64(parallel)/float64(serial), "8g/1g")
	b.ReportMetric(0, "ns/op") // an iteration is a fixed batch: ns/op says nothing
}

// BenchmarkTracerSpan: one op is one span started and ended through the
// tracer (traces of 8 spans, exported to a no-op exporter).
func BenchmarkTracerSpan(b *testing.B) {
	discard := ExporterFunc(func(context.Context, *ManagerTrace) error { return nil })
	tr := NewTracer(discard, WithTracingEnabled(true))
	defer tr.Close()
	ctx := context.Background()
	var rootCtx context.Context
	var root spanjson.ActiveSpan
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == 0 {
			rootCtx, root = tr.StartSpan(ctx, "root", WithSpanType("CHAIN"))
		} else {
			_, s := tr.StartSpan(rootCtx, "child", WithInputs("q"))
			s.End()
		}
		if i++; i == 8 {
			root.End()
			i = 0
		}
	}
}

// BenchmarkSpanProcessor: one op is one span started and ended through an
// OpenTelemetry SDK TracerProvider with the processor (traces of 8 spans).
func BenchmarkSpanProcessor(b *testing.B) {
	discard := ExporterFunc(func(context.Context, *ManagerTrace) error { return nil })
	p := NewSpanProcessor(discard, WithTracingEnabled(true))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("bench")
	ctx := context.Background()
	var rootCtx context.Context
	var root oteltrace.Span
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == 0 {
			rootCtx, root = tracer.Start(ctx, "root")
		} else {
			_, s := tracer.Start(rootCtx, "child", oteltrace.WithAttributes(attribute.String("gen_ai.operation.name", "chat")))
			s.End()
		}
		if i++; i == 8 {
			root.End()
			i = 0
		}
	}
}
