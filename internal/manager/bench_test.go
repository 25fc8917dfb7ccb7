package manager

import (
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkRegisterSpanParallel8 is BenchmarkRegisterSpan with
// 8×GOMAXPROCS goroutines (SetParallelism(8)) contending for one manager,
// each on its own traces. ns/op is wall time per op over all goroutines.
func BenchmarkRegisterSpanParallel8(b *testing.B) {
	m := New(Config{MaxSize: 1 << 20})
	defer m.Close()
	var worker atomic.Int32
	b.ReportAllocs()
	b.SetParallelism(8)
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
