package spanjson

import (
	"math/rand"
	"testing"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchOTLPTrace is one trace of n generated spans (the generator's span
// shapes, re-parented under one trace id).
func benchOTLPTrace(n int) *Trace {
	r := rand.New(rand.NewSource(1))
	var spans []Span
	var tid TraceID
	for len(spans) < n {
		for _, s := range genOTLPTrace(r, true).Spans {
			d := s.Data()
			if len(spans) == 0 {
				tid = d.TraceID
			}
			d.TraceID = tid
			spans = append(spans, NewSpan(d))
		}
	}
	return &Trace{Info: DeriveInfo(spans, SchemaOTLP), Spans: spans[:n]}
}

func BenchmarkAppendOTLP(b *testing.B) {
	tr := benchOTLPTrace(10_000)
	out, _, _ := appendOTLP(nil, tr)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		out, _, _ = appendOTLP(out[:0], tr)
	}
}

func BenchmarkDecodeOTLP(b *testing.B) {
	doc, _, _ := appendOTLP(nil, benchOTLPTrace(10_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeOTLP(gjson.ParseBytes(doc)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOTLPCollector decodes the same bytes with the collector's
// pdata JSON unmarshaler, as a yardstick for BenchmarkDecodeOTLP.
func BenchmarkDecodeOTLPCollector(b *testing.B) {
	doc, _, _ := appendOTLP(nil, benchOTLPTrace(10_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	u := ptrace.JSONUnmarshaler{}
	for b.Loop() {
		if _, err := u.UnmarshalTraces(doc); err != nil {
			b.Fatal(err)
		}
	}
}
