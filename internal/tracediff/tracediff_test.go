package tracediff

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// view builds a trace from (id, parent, name, start ms, end ms) rows.
func view(t *testing.T, rows ...[5]any) *render.TraceView {
	t.Helper()
	var spans []spanjson.Span
	for _, r := range rows {
		d := spanjson.SpanData{TraceID: spanjson.TraceID{1}, SpanID: spanjson.SpanID{byte(r[0].(int))}, Name: r[2].(string),
			StartTime: int64(r[3].(int)) * 1e6, EndTime: int64(r[4].(int)) * 1e6, Attributes: spanjson.NewAttributes(nil)}
		if p := r[1].(int); p != 0 {
			d.ParentID = spanjson.SpanID{byte(p)}
		}
		spans = append(spans, spanjson.NewSpan(d))
	}
	tree, _ := spanjson.BuildTree(spans)
	tr := &spanjson.Trace{Spans: spans}
	tr.Info = spanjson.DeriveInfo(spans, spanjson.SchemaOTLP)
	return render.NewTraceView("t", spanjson.SchemaOTLP, "", tr, tree)
}

// shape is the merged tree as "marker path" lines.
func shape(d *Diff) []string {
	var out []string
	for i, n := range d.Nodes {
		m := "="
		switch {
		case n.Added():
			m = "+"
		case n.Removed():
			m = "-"
		}
		out = append(out, m+" "+PathText(d.Path(i)))
	}
	return out
}

func TestAlignByNamePathAndSiblingOrder(t *testing.T) {
	base := view(t,
		[5]any{1, 0, "root", 0, 100},
		[5]any{2, 1, "a", 1, 10},
		[5]any{3, 1, "b", 11, 20},
		[5]any{4, 1, "a", 21, 30},
		[5]any{5, 1, "c", 31, 40},
		[5]any{6, 5, "x", 32, 33},
	)
	// b moved after the second a, a third a, c gone, d new.
	cand := view(t,
		[5]any{1, 0, "root", 0, 100},
		[5]any{2, 1, "a", 1, 10},
		[5]any{4, 1, "a", 11, 20},
		[5]any{3, 1, "b", 21, 30},
		[5]any{7, 1, "a", 31, 40},
		[5]any{8, 1, "d", 41, 50},
	)
	d := Compare(base, cand, DefaultOptions)
	want := []string{"= root", "= root / a", "= root / b", "= root / a #2", "- root / c", "+ root / a #3", "+ root / d"}
	if diff := cmp.Diff(want, shape(d)); diff != "" {
		t.Errorf("merged tree (-want +got):\n%s", diff)
	}
	if d.Summary.Removed != 1 || d.Summary.RemovedSpans != 2 || d.Summary.Added != 2 || d.Summary.AddedSpans != 2 {
		t.Errorf("summary %+v", d.Summary)
	}
}

// TestAlignDeepChainWithoutRecursion: a 100,000-deep chain against itself.
func TestAlignDeepChainWithoutRecursion(t *testing.T) {
	const n = 100_000
	var spans []spanjson.Span
	for i := 0; i < n; i++ {
		d := spanjson.SpanData{TraceID: spanjson.TraceID{1}, SpanID: spanjson.SpanID{byte(i >> 16), byte(i >> 8), byte(i), 1}, Name: "s", StartTime: int64(i), EndTime: int64(2*n - i)}
		if i > 0 {
			d.ParentID = spanjson.SpanID{byte((i - 1) >> 16), byte((i - 1) >> 8), byte(i - 1), 1}
		}
		spans = append(spans, spanjson.NewSpan(d))
	}
	tree, _ := spanjson.BuildTree(spans)
	v := render.NewTraceView("t", spanjson.SchemaOTLP, "", &spanjson.Trace{Spans: spans}, tree)
	d := Compare(v, v, DefaultOptions)
	if len(d.Nodes) != n || d.Summary.Changed {
		t.Errorf("%d nodes, changed %v", len(d.Nodes), d.Summary.Changed)
	}
}

func TestSignificant(t *testing.T) {
	o := DefaultOptions
	ms := time.Millisecond
	tests := []struct {
		base, cand time.Duration
		want       bool
	}{
		{100 * ms, 100 * ms, false},
		{100 * ms, 109 * ms, false},                          // 9%
		{100 * ms, 110 * ms, true},                           // 10%
		{100 * ms, 85 * ms, true},                            // faster counts too
		{5 * time.Microsecond, 50 * time.Microsecond, false}, // +900% but under 1ms
		{0, 2 * ms, true},
		{0, 500 * time.Microsecond, false},
	}
	for _, tt := range tests {
		if got := o.Significant(tt.base, tt.cand); got != tt.want {
			t.Errorf("Significant(%v, %v) = %v", tt.base, tt.cand, got)
		}
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in    string
		unit  Unit
		pct   float64
		abs   float64
		isPct bool
		bad   bool
	}{
		{in: "20%", unit: UnitDuration, pct: 20, isPct: true},
		{in: "+10%", unit: UnitCount, pct: 10, isPct: true},
		{in: "0%", unit: UnitCount, isPct: true},
		{in: "500ms", unit: UnitDuration, abs: 5e8},
		{in: "2000", unit: UnitCount, abs: 2000},
		{in: "$0.05", unit: UnitUSD, abs: 0.05},
		{in: "+0.05", unit: UnitUSD, abs: 0.05},
		{in: "-5%", unit: UnitCount, bad: true},
		{in: "fast", unit: UnitDuration, bad: true},
		{in: "500", unit: UnitDuration, bad: true}, // a duration needs its unit
		{in: "NaN%", unit: UnitCount, bad: true},
		{in: "0x10", unit: UnitCount, bad: true},
		{in: "", unit: UnitCount, bad: true},
		{in: "$", unit: UnitUSD, bad: true},
	}
	for _, tt := range tests {
		l, err := ParseLimit(tt.in, tt.unit)
		if (err != nil) != tt.bad {
			t.Errorf("ParseLimit(%q): err %v, want bad %v", tt.in, err, tt.bad)
			continue
		}
		if !tt.bad && (l.Pct != tt.pct || l.Abs != tt.abs || l.IsPct != tt.isPct) {
			t.Errorf("ParseLimit(%q) = %+v", tt.in, l)
		}
	}
}

func TestLimitExceeded(t *testing.T) {
	p20 := Limit{Pct: 20, IsPct: true}
	abs := Limit{Abs: 100}
	tests := []struct {
		l          Limit
		base, cand float64
		want       bool
	}{
		{p20, 100, 120, false}, // exactly the limit passes
		{p20, 100, 121, true},
		{p20, 100, 50, false},
		{p20, 0, 1, true}, // any growth from nothing
		{p20, 0, 0, false},
		{abs, 1000, 1100, false},
		{abs, 1000, 1101, true},
	}
	for _, tt := range tests {
		if got := tt.l.Exceeded(tt.base, tt.cand); got != tt.want {
			t.Errorf("%+v.Exceeded(%v, %v) = %v", tt.l, tt.base, tt.cand, got)
		}
	}
}

func TestQuantileNearestRank(t *testing.T) {
	v := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	if q := quantile(v, 0.5); q != 50 {
		t.Errorf("p50 = %d", q)
	}
	if q := quantile(v, 0.95); q != 100 {
		t.Errorf("p95 = %d", q)
	}
	if q := quantile([]int64{7}, 0.95); q != 7 {
		t.Errorf("p95 of one = %d", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("p50 of none = %d", q)
	}
}

func TestPctRoundsAndSkipsZeroBase(t *testing.T) {
	if p := pct(0, 5); p != nil {
		t.Errorf("pct(0, 5) = %v", *p)
	}
	if p := pct(3, 4); p == nil || *p != 33.3 {
		t.Errorf("pct(3, 4) = %v", p)
	}
	if p := pct(100, 90); p == nil || *p != -10 || math.Signbit(*p) != true {
		t.Errorf("pct(100, 90) = %v", p)
	}
}

func TestShortDiff(t *testing.T) {
	a := "{\n  \"q\": \"paris\",\n  \"n\": 3\n}"
	b := "{\n  \"q\": \"lyon\",\n  \"n\": 3\n}"
	want := []string{`- "q": "paris",`, `+ "q": "lyon",`}
	if diff := cmp.Diff(want, shortDiff(a, b, 8, 160)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := shortDiff(a, a, 8, 160); got != nil {
		t.Errorf("equal texts: %q", got)
	}
	long := strings.Repeat("x\n", 20)
	got := shortDiff("", long, 3, 160)
	if len(got) != 4 || got[3] != "… 17 more changed lines" {
		t.Errorf("clipped diff: %q", got)
	}
}

// TestTextEscapesTraceData: names and exceptions from a trace never put
// control characters on the terminal.
func TestTextEscapesTraceData(t *testing.T) {
	base := view(t, [5]any{1, 0, "root", 0, 100})
	cand := view(t, [5]any{1, 0, "root", 0, 100}, [5]any{2, 1, "evil\x1b[31m\nname", 1, 2})
	d := Compare(base, cand, DefaultOptions)
	var b strings.Builder
	if err := d.WriteText(&b, plainTheme, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `evil\x1b[31m name`) {
		t.Errorf("not escaped:\n%q", b.String())
	}
}
