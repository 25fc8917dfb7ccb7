package render

import (
	"fmt"
	"io"
	"testing"

	"tracectl/internal/spanjson"
)

// wideTrace is a root with fanout children, each with fanout leaves; names
// repeat so that folding has runs to fold.
func wideTrace(fanout int) []spanjson.Span {
	spans := []spanjson.Span{sp{n: 1, name: "root", typ: "AGENT", start: 0, end: 1e6}.span()}
	id := 1
	mk := func(parent int, name, typ string, start float64, status spanjson.StatusCode) spanjson.Span {
		id++
		d := sp{name: name, typ: typ, start: start, end: start + 1, status: status}.span().Data()
		d.SpanID = spanjson.SpanID{0, 0, 0, 0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
		d.ParentID = spanjson.SpanID{0, 0, 0, 0, byte(parent >> 24), byte(parent >> 16), byte(parent >> 8), byte(parent)}
		return spanjson.NewSpan(d)
	}
	for c := 0; c < fanout; c++ {
		spans = append(spans, mk(1, fmt.Sprint("step-", c%7), "CHAIN", float64(c), spanjson.StatusOK))
		parent := id
		for l := 0; l < fanout; l++ {
			st := spanjson.StatusOK
			if l%97 == 0 {
				st = spanjson.StatusError
			}
			spans = append(spans, mk(parent, "tool", "TOOL", float64(c)+float64(l)*1e-3, st))
		}
	}
	return spans
}

// BenchmarkShow renders a 250,000-span trace into a pipe: analysis,
// folding and printing must stay linear in the span count.
func BenchmarkShow(b *testing.B) {
	for _, fanout := range []int{100, 500} {
		spans := wideTrace(fanout)
		tree := testTree(b, spans)
		b.Run(fmt.Sprint(len(spans), "-spans"), func(b *testing.B) {
			streams, _, _, _ := Test()
			streams.Out = io.Discard
			for b.Loop() {
				v := NewTraceView("bench", spanjson.SchemaMLflowV3, "", &spanjson.Trace{Spans: spans}, tree)
				p := NewPrinter(streams)
				p.Show(v, ShowOptions{})
				if err := p.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(spans)), "ns/span")
		})
	}
}

// BenchmarkSpanTable draws the `spans` table of 20,000 rows into a pipe
// with tablewriter (writeTable) and with the hand-written drawer
// (writeTableFast), same run. Target for spans over a million-span file:
// tablewriter within 2x of the hand-written drawer's time and memory.
// Measured (2 cores, tablewriter v1.1.5): 20,000 rows 1.00 s and 238 MB
// allocated against 22 ms and 4 MB (45x); 100,000 rows 11.7 s and 1.19 GB
// against 155 ms and 19 MB (75x, and growing faster than the rows). So the
// spans table keeps the hand-written drawer; roots, status and stats (one
// row per trace or group) are drawn with tablewriter.
func BenchmarkSpanTable(b *testing.B) {
	spans := wideTrace(141) // 20,023 spans
	tree := testTree(b, spans)
	v := NewTraceView("bench", spanjson.SchemaMLflowV3, "", &spanjson.Trace{Spans: spans}, tree)
	rows := make([]SpanRow, len(spans))
	for i := range spans {
		rows[i] = v.SpanRowOf(i)
	}
	streams, _, _, _ := Test()
	streams.Out = io.Discard
	var took [2]float64
	for k, name := range []string{"tablewriter", "hand-written"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := NewPrinter(streams)
				if k == 0 {
					p.writeTable(p.spanColumns(rows, true))
				} else {
					p.writeTableFast(p.spanColumns(rows, true))
				}
				if err := p.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			took[k] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(took[k]/float64(len(rows)), "ns/row")
		})
	}
	if took[1] > 0 {
		b.Logf("tablewriter/hand-written time: %.1fx", took[0]/took[1])
	}
}

// BenchmarkTraceTables draws the roots and status tables of 20,000 traces
// (a big dump, one row per trace) with tablewriter (writeTable) and with
// the hand-written drawer (writeTableFast), same run. Measured (2 cores,
// quiet, tablewriter v1.1.5): roots 644 ms and 206 MB allocated against
// 24 ms and 14 MB (27x); status 448 ms and 171 MB against 14 ms and 11 MB
// (32x). On the 20,000-trace dump roots takes 4.8 s in all
// (BenchmarkManyTracesVsJQ, whose target is 8x jq): tablewriter alone would
// be an eighth of it. So roots and status keep the hand-written drawer;
// stats, assessments and the critical-path listing (a few rows) use
// tablewriter.
func BenchmarkTraceTables(b *testing.B) {
	const n = 20_000
	roots := make([]RootJSON, n)
	status := make([]StatusReportJSON, n)
	for i := range roots {
		id := fmt.Sprintf("tr-%032x", i)
		roots[i] = RootJSON{TraceID: id, RootSpanID: fmt.Sprintf("%016x", i), RootName: "agent", State: "OK", DurationNS: int64(i) * 1000, SpanCount: 44}
		status[i] = StatusReportJSON{TraceID: id, State: "OK", SpanCount: 44}
	}
	streams, _, _, _ := Test()
	streams.Out = io.Discard
	for _, table := range []string{"roots", "status"} {
		var took [2]float64
		for k, drawer := range []string{"tablewriter", "hand-written"} {
			b.Run(table+"/"+drawer, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := NewPrinter(streams)
					var cols []column
					if table == "roots" {
						cols = p.rootColumns(roots)
					} else {
						cols, _ = p.statusColumns(status)
					}
					if k == 0 {
						p.writeTable(cols)
					} else {
						p.writeTableFast(cols)
					}
					if err := p.Flush(); err != nil {
						b.Fatal(err)
					}
				}
				took[k] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			})
		}
		if took[1] > 0 {
			b.Logf("%s: tablewriter/hand-written time: %.1fx", table, took[0]/took[1])
		}
	}
}
