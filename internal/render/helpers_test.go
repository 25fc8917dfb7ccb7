package render

import (
	"flag"
	"path/filepath"
	"testing"
	"time"

	"tracectl/internal/render/rendertest"
	"tracectl/internal/spanjson"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenDir holds this package's golden files (shared testdata/golden tree).
const goldenDir = "../../testdata/golden/render"

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	rendertest.CheckGolden(t, filepath.Join(goldenDir, name), got, *update, "go test ./internal/render -update")
}

// t0 is the start of every hand-made trace.
const t0 = int64(1_700_000_000_000_000_000)

var testTraceID = spanjson.TraceID{0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}

func sid(n int) spanjson.SpanID {
	return spanjson.SpanID{0, 0, 0, 0, 0, 0, byte(n >> 8), byte(n)}
}

// sp is a hand-made span: id n, parent p (0: root), from start to end
// milliseconds after t0.
type sp struct {
	n, p       int
	name, typ  string
	start, end float64 // ms after t0
	status     spanjson.StatusCode
	exc        [2]string // exception type and message
	attrs      []spanjson.Attribute
}

func (s sp) span() spanjson.Span {
	d := spanjson.SpanData{
		TraceID:   testTraceID,
		SpanID:    sid(s.n),
		Name:      s.name,
		StartTime: t0 + int64(s.start*1e6),
		EndTime:   t0 + int64(s.end*1e6),
		Status:    spanjson.Status{Code: s.status},
	}
	if s.p != 0 {
		d.ParentID = sid(s.p)
	}
	attrs := append([]spanjson.Attribute(nil), s.attrs...)
	if s.typ != "" {
		attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrSpanType, Value: `"` + s.typ + `"`})
	}
	d.Attributes = spanjson.NewAttributes(attrs)
	if s.exc[0] != "" {
		d.Status.Message = s.exc[0] + ": " + s.exc[1]
		d.Events = []spanjson.Event{{Name: "exception", Time: d.EndTime, Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: "exception.type", Value: `"` + s.exc[0] + `"`},
			{Key: "exception.message", Value: `"` + s.exc[1] + `"`},
		})}}
	}
	return spanjson.NewSpan(d)
}

// testTree arranges hand-made spans with spanjson.BuildTree; they need no
// repair, so any warning is a mistake in the test data.
func testTree(tb testing.TB, spans []spanjson.Span) *spanjson.Tree {
	tb.Helper()
	tree, warnings := spanjson.BuildTree(spans)
	if len(warnings) > 0 {
		tb.Fatalf("hand-made trace needed repairs: %v", warnings)
	}
	return tree
}

func viewOf(tb testing.TB, info spanjson.TraceInfo, spans ...sp) *TraceView {
	tb.Helper()
	list := make([]spanjson.Span, len(spans))
	for i, s := range spans {
		list[i] = s.span()
	}
	tr := &spanjson.Trace{Info: info, Spans: list}
	return NewTraceView("test.json", spanjson.SchemaMLflowV3, "MLflow 3 trace", tr, testTree(tb, list))
}

func ms(x float64) time.Duration { return time.Duration(x * 1e6) }
