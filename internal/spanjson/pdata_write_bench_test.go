package spanjson

import (
	"testing"
)

// BenchmarkPdataFromTrace converts a 10,000-span trace to pdata, against
// the OTLP JSON write alone (its first half) in the same run: the ratio is
// what reading the JSON back with pdata costs on top.
func BenchmarkPdataFromTrace(b *testing.B) {
	tr := benchOTLPTrace(10_000)
	b.Run("write-json-reference", func(b *testing.B) {
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			out, _, _ = appendOTLPWith(out[:0], streamOut{}, tr, true)
		}
		b.ReportMetric(float64(len(tr.Spans)*b.N)/b.Elapsed().Seconds(), "spans/s")
	})
	b.Run("pdata", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := PdataFromTrace(tr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(tr.Spans)*b.N)/b.Elapsed().Seconds(), "spans/s")
	})
}
