package collect

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
	"tracectl/internal/testclock"
)

func colTID(n int) spanjson.TraceID {
	var id spanjson.TraceID
	id[0] = 0xab
	id[14], id[15] = byte(n>>8), byte(n)
	return id
}

func colSID(n int) spanjson.SpanID {
	var id spanjson.SpanID
	id[0] = 0xcd
	id[6], id[7] = byte(n>>8), byte(n)
	return id
}

// colSpan makes span n of trace t with parent p (0: root), starting at n.
func colSpan(t, n, p int) spanjson.Span {
	d := spanjson.SpanData{TraceID: colTID(t), SpanID: colSID(n), Name: fmt.Sprintf("s%d", n), StartTime: int64(1000 + n), EndTime: int64(2000 + n)}
	if p != 0 {
		d.ParentID = colSID(p)
	}
	return spanjson.NewSpan(d)
}

// colSummary is what a test checks of a let-go trace.
type colSummary struct {
	Trace      string
	Spans      []string
	State      spanjson.TraceState
	Tags       map[string]string
	Incomplete string
	Evicted    bool
}

func colSummarize(cts []*CollectedTrace) []colSummary {
	var out []colSummary
	for _, ct := range cts {
		s := colSummary{Trace: ct.Trace.Info.TraceID, State: ct.Trace.Info.State, Tags: ct.Trace.Info.Tags, Incomplete: ct.Incomplete, Evicted: ct.Evicted}
		for _, sp := range ct.Trace.Spans {
			s.Spans = append(s.Spans, sp.Name())
		}
		out = append(out, s)
	}
	return out
}

func newColAssembler(cfg AssemblerConfig) (*Assembler, *testclock.Clock) {
	clk := testclock.New()
	cfg.Now = clk.Now
	if cfg.Idle == 0 {
		cfg.Idle = 5 * time.Second
	}
	if cfg.TraceTimeout == 0 {
		cfg.TraceTimeout = 60 * time.Second
	}
	return NewAssembler(cfg), clk
}

func TestAssemblerIdleCompletion(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{})
	// Children first, out of order, across several calls; then the root.
	a.Add([]spanjson.Span{colSpan(1, 3, 2)})
	clk.Advance(time.Second)
	a.Add([]spanjson.Span{colSpan(1, 2, 1), colSpan(1, 1, 0)})
	clk.Advance(4 * time.Second)
	if got := a.Expire(); len(got) != 0 {
		t.Fatalf("trace let go %s after its root, before --idle: %v", 4*time.Second, colSummarize(got))
	}
	// A late child keeps the trace open for another idle period.
	a.Add([]spanjson.Span{colSpan(1, 4, 1)})
	clk.Advance(4 * time.Second)
	if got := a.Expire(); len(got) != 0 {
		t.Fatalf("trace let go 4s after a late child: %v", colSummarize(got))
	}
	clk.Advance(time.Second)
	got := a.Expire()
	want := []colSummary{{Trace: colTID(1).MLflowID(), Spans: []string{"s1", "s2", "s3", "s4"}, State: spanjson.StateOK}}
	if diff := cmp.Diff(want, colSummarize(got)); diff != "" {
		t.Errorf("Expire (-want +got):\n%s", diff)
	}
	if n, s := a.Held(); n != 0 || s != 0 {
		t.Errorf("Held() = %d traces, %d spans after the trace left; want 0, 0", n, s)
	}
	// Nothing is let go twice.
	clk.Advance(time.Hour)
	if got := a.Expire(); len(got) != 0 {
		t.Errorf("second Expire returned %v", colSummarize(got))
	}
}

func TestAssemblerTraceTimeout(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{Idle: time.Second, TraceTimeout: 10 * time.Second})
	a.Add([]spanjson.Span{colSpan(1, 2, 1)})
	// Spans keep coming, but the timeout counts from the first.
	for range 9 {
		clk.Advance(time.Second)
		a.Add([]spanjson.Span{colSpan(1, 3, 1)})
		if got := a.Expire(); len(got) != 0 {
			t.Fatalf("rootless trace let go before --trace-timeout: %v", colSummarize(got))
		}
	}
	clk.Advance(time.Second)
	got := a.Expire()
	want := []colSummary{{
		Trace: colTID(1).MLflowID(), Spans: []string{"s2", "s3"}, State: spanjson.StateError,
		Tags: map[string]string{spanjson.TagIncomplete: IncompleteTimeout}, Incomplete: IncompleteTimeout,
	}}
	if diff := cmp.Diff(want, colSummarize(got)); diff != "" {
		t.Errorf("Expire (-want +got):\n%s", diff)
	}
	if len(got) == 1 && got[0].Duplicates != 8 {
		t.Errorf("Duplicates = %d, want 8 (s3 sent 9 times)", got[0].Duplicates)
	}
}

func TestAssemblerRootArrivesBeforeTimeout(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{Idle: 5 * time.Second, TraceTimeout: 6 * time.Second})
	a.Add([]spanjson.Span{colSpan(1, 2, 1)})
	clk.Advance(5 * time.Second)
	a.Add([]spanjson.Span{colSpan(1, 1, 0)})
	clk.Advance(2 * time.Second) // past the timeout, but the root came
	if got := a.Expire(); len(got) != 0 {
		t.Fatalf("trace with a root let go by --trace-timeout: %v", colSummarize(got))
	}
	clk.Advance(3 * time.Second)
	if diff := cmp.Diff([]colSummary{{Trace: colTID(1).MLflowID(), Spans: []string{"s1", "s2"}, State: spanjson.StateOK}}, colSummarize(a.Expire())); diff != "" {
		t.Errorf("Expire (-want +got):\n%s", diff)
	}
}

func TestAssemblerMaxTraces(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{MaxTraces: 2})
	if got := a.Add([]spanjson.Span{colSpan(1, 1, 0)}); len(got) != 0 {
		t.Fatalf("let go under the limit: %v", colSummarize(got))
	}
	clk.Advance(time.Millisecond)
	a.Add([]spanjson.Span{colSpan(2, 2, 1)})
	clk.Advance(time.Millisecond)
	// More spans of a held trace never push anything out.
	if got := a.Add([]spanjson.Span{colSpan(1, 3, 1), colSpan(2, 4, 1)}); len(got) != 0 {
		t.Fatalf("let go when no new trace came: %v", colSummarize(got))
	}
	// A third trace pushes out the oldest (trace 1, complete), then the
	// next one trace 2 (no root: marked incomplete).
	got := a.Add([]spanjson.Span{colSpan(3, 5, 0), colSpan(4, 6, 0)})
	want := []colSummary{
		{Trace: colTID(1).MLflowID(), Spans: []string{"s1", "s3"}, State: spanjson.StateOK, Evicted: true},
		{Trace: colTID(2).MLflowID(), Spans: []string{"s2", "s4"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteEvicted}, Incomplete: IncompleteEvicted, Evicted: true},
	}
	if diff := cmp.Diff(want, colSummarize(got)); diff != "" {
		t.Errorf("Add at the limit (-want +got):\n%s", diff)
	}
	if n, _ := a.Held(); n != 2 {
		t.Errorf("Held() = %d traces, want 2", n)
	}
}

func TestAssemblerDrain(t *testing.T) {
	a, _ := newColAssembler(AssemblerConfig{})
	a.Add([]spanjson.Span{colSpan(1, 1, 0), colSpan(2, 2, 9), colSpan(1, 3, 1)})
	got := a.Drain()
	want := []colSummary{
		{Trace: colTID(1).MLflowID(), Spans: []string{"s1", "s3"}, State: spanjson.StateOK},
		{Trace: colTID(2).MLflowID(), Spans: []string{"s2"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteShutdown}, Incomplete: IncompleteShutdown},
	}
	if diff := cmp.Diff(want, colSummarize(got)); diff != "" {
		t.Errorf("Drain (-want +got):\n%s", diff)
	}
	if got := a.Drain(); len(got) != 0 {
		t.Errorf("second Drain returned %v", colSummarize(got))
	}
}

func TestBuildCollectedInfo(t *testing.T) {
	root := spanjson.NewSpan(spanjson.SpanData{
		TraceID: colTID(1), SpanID: colSID(1), Name: "root", StartTime: 1_700_000_000_000_000_000, EndTime: 1_700_000_001_500_000_000,
		Status: spanjson.Status{Code: spanjson.StatusError, Message: "boom"},
		Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: spanjson.AttrInputs, Value: `{"q":"é"}`},
			{Key: spanjson.AttrOutputs, Value: `"` + colRepeat("ü", 1200) + `"`},
		}),
	})
	ct := buildCollected(colTID(1), []spanjson.Span{colSpan(1, 2, 1), root}, "")
	info := ct.Trace.Info
	if info.TraceID != "tr-ab000000000000000000000000000001" {
		t.Errorf("TraceID = %q", info.TraceID)
	}
	if info.State != spanjson.StateError {
		t.Errorf("State = %s, want ERROR (root span failed)", info.State)
	}
	if !info.RequestTime.Equal(time.Unix(1_700_000_000, 0)) || info.ExecutionDuration != 1500*time.Millisecond || !info.HasDuration {
		t.Errorf("RequestTime, ExecutionDuration = %v, %v (%v); want root start and 1.5s", info.RequestTime, info.ExecutionDuration, info.HasDuration)
	}
	if info.RequestPreview != `{"q":"é"}` {
		t.Errorf("RequestPreview = %q", info.RequestPreview)
	}
	if n := len([]rune(info.ResponsePreview)); n != spanjson.PreviewMaxLength {
		t.Errorf("ResponsePreview has %d characters, want %d", n, spanjson.PreviewMaxLength)
	}
	// The root (start 1.7e18) sorts after s2 (start 1002).
	if ct.Trace.Spans[0].Name() != "s2" || ct.Trace.Spans[1].Name() != "root" {
		t.Errorf("spans not ordered by start time: %s, %s", ct.Trace.Spans[0].Name(), ct.Trace.Spans[1].Name())
	}
}

func colRepeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestAssemblerConcurrentAdd(t *testing.T) {
	a, _ := newColAssembler(AssemblerConfig{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a.Add([]spanjson.Span{colSpan(i, g*1000+i+1, 0)})
				a.Expire()
			}
		}()
	}
	wg.Wait()
	n, spans := a.Held()
	if n != 200 || spans != 800 {
		t.Errorf("Held() = %d traces, %d spans; want 200, 800", n, spans)
	}
}

// Spans that come after their trace was written make a second, rootless
// trace, marked as late rather than as missing its root.
func TestAssemblerLateSpans(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{Idle: time.Second, TraceTimeout: 10 * time.Second})
	a.Add([]spanjson.Span{colSpan(1, 1, 0), colSpan(1, 2, 1)})
	clk.Advance(time.Second)
	if got := a.Expire(); len(got) != 1 {
		t.Fatalf("Expire let go %d traces, want 1", len(got))
	}
	a.Add([]spanjson.Span{colSpan(1, 3, 2)})
	a.Add([]spanjson.Span{colSpan(2, 4, 9)}) // never seen: plainly rootless
	clk.Advance(10 * time.Second)
	want := []colSummary{
		{Trace: colTID(1).MLflowID(), Spans: []string{"s3"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteLate}, Incomplete: IncompleteLate},
		{Trace: colTID(2).MLflowID(), Spans: []string{"s4"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteTimeout}, Incomplete: IncompleteTimeout},
	}
	if diff := cmp.Diff(want, colSummarize(a.Expire())); diff != "" {
		t.Errorf("Expire (-want +got):\n%s", diff)
	}
}

func TestAssemblerForgetsOldWrittenTraces(t *testing.T) {
	a, _ := newColAssembler(AssemblerConfig{})
	id := func(n int) spanjson.TraceID {
		return spanjson.TraceID{12: byte(n >> 24), 13: byte(n >> 16), 14: byte(n >> 8), 15: byte(n)}
	}
	for i := range recentWritten + 10 {
		a.rememberLocked(id(i), []uint64{spanKey(colSID(1))})
	}
	if len(a.recent) != recentWritten || a.recentSpans != recentWritten {
		t.Errorf("remembers %d ids (%d span ids), want %d", len(a.recent), a.recentSpans, recentWritten)
	}
	if _, ok := a.recent[id(0)]; ok {
		t.Error("the oldest id is still remembered")
	}
	if _, ok := a.recent[id(recentWritten+9)]; !ok {
		t.Error("the newest id is not remembered")
	}
	if len(a.recentOrder)-a.recentHead != recentWritten || len(a.recentOrder) > 2*recentWritten {
		t.Errorf("order holds %d ids from %d, want %d", len(a.recentOrder), a.recentHead, recentWritten)
	}
	// Span ids are bounded too: a big trace pushes the oldest out.
	big := make([]uint64, recentSpanIDs-10)
	for i := range big {
		big[i] = 0xcc<<56 | uint64(i)
	}
	a.rememberLocked(id(-1), big)
	if a.recentSpans > recentSpanIDs {
		t.Errorf("%d span ids remembered, over %d", a.recentSpans, recentSpanIDs)
	}
	if _, ok := a.recent[id(-1)]; !ok || len(a.recent) > 11 {
		t.Errorf("after a big trace: %d traces remembered, want it and at most 10 others", len(a.recent))
	}
}

// A span that arrives again after its trace was written (an exporter's
// retry after a lost response, typically an idle period later) is dropped
// and counted; a new span of that trace still comes out, marked late, even
// next to a retried copy, and even when the late part holds a root.
func TestAssemblerDropsLateRetries(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{Idle: time.Second, TraceTimeout: 10 * time.Second})
	export := []spanjson.Span{colSpan(1, 1, 0), colSpan(1, 2, 1)}
	a.Add(export)
	clk.Advance(time.Second)
	if got := a.Expire(); len(got) != 1 {
		t.Fatalf("Expire let go %d traces, want 1", len(got))
	}
	a.Add(export) // the same export, retried
	if n, spans := a.Held(); n != 0 || spans != 0 || a.LateDuplicates() != 2 {
		t.Fatalf("after a late retry: %d traces, %d spans held, %d duplicates; want 0, 0, 2", n, spans, a.LateDuplicates())
	}
	a.Add([]spanjson.Span{colSpan(1, 2, 1), colSpan(1, 3, 2), colSpan(1, 4, 0)})
	clk.Advance(10 * time.Second)
	want := []colSummary{
		{Trace: colTID(1).MLflowID(), Spans: []string{"s3", "s4"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteLate}, Incomplete: IncompleteLate},
	}
	if diff := cmp.Diff(want, colSummarize(a.Expire())); diff != "" {
		t.Errorf("late part (-want +got):\n%s", diff)
	}
	// Both parts are remembered now.
	a.Add([]spanjson.Span{colSpan(1, 1, 0), colSpan(1, 4, 0)})
	if n, _ := a.Held(); n != 0 || a.LateDuplicates() != 5 {
		t.Errorf("after retrying both parts: %d traces held, %d duplicates; want 0, 5", n, a.LateDuplicates())
	}
}

func TestAssemblerMaxSpansPerTrace(t *testing.T) {
	a, clk := newColAssembler(AssemblerConfig{MaxSpansPerTrace: 3})
	// Another trace held meanwhile is left alone.
	a.Add([]spanjson.Span{colSpan(2, 100, 0)})
	got := a.Add([]spanjson.Span{colSpan(1, 1, 0), colSpan(1, 2, 1), colSpan(1, 3, 1), colSpan(1, 4, 1), colSpan(1, 5, 1), colSpan(1, 6, 1), colSpan(1, 7, 1)})
	split := map[string]string{spanjson.TagIncomplete: IncompleteSplit}
	want := []colSummary{
		// The first part has the root and is still tagged: it is not the
		// whole trace.
		{Trace: colTID(1).MLflowID(), Spans: []string{"s1", "s2", "s3"}, State: spanjson.StateError, Tags: split, Incomplete: IncompleteSplit},
		{Trace: colTID(1).MLflowID(), Spans: []string{"s4", "s5", "s6"}, State: spanjson.StateError, Tags: split, Incomplete: IncompleteSplit},
	}
	if diff := cmp.Diff(want, colSummarize(got)); diff != "" {
		t.Fatalf("Add over the cap (-want +got):\n%s", diff)
	}
	for _, ct := range got {
		if !ct.Split {
			t.Errorf("part %v not marked Split", colSummarize([]*CollectedTrace{ct}))
		}
	}
	if n, spans := a.Held(); n != 2 || spans != 2 {
		t.Fatalf("Held() = %d traces, %d spans; want 2, 2 (s7 and trace 2)", n, spans)
	}
	// A retry of spans already written in a part is dropped.
	a.Add([]spanjson.Span{colSpan(1, 2, 1), colSpan(1, 5, 1)})
	if d := a.LateDuplicates(); d != 2 {
		t.Errorf("LateDuplicates() = %d, want 2", d)
	}
	clk.Advance(time.Minute)
	want = []colSummary{
		{Trace: colTID(2).MLflowID(), Spans: []string{"s100"}, State: spanjson.StateOK},
		{Trace: colTID(1).MLflowID(), Spans: []string{"s7"}, State: spanjson.StateError,
			Tags: map[string]string{spanjson.TagIncomplete: IncompleteLate}, Incomplete: IncompleteLate},
	}
	if diff := cmp.Diff(want, colSummarize(a.Expire())); diff != "" {
		t.Errorf("the rest (-want +got):\n%s", diff)
	}
}
