package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

const t0 = int64(1_700_000_000_000_000_000)

// genTrace makes trace k: a root AGENT span carrying a roll-up of its
// children's tokens, and n children named step-0…step-4 of random
// durations (a long tail), some failing, the LLM ones with token counts.
func genTrace(r *rand.Rand, k, n int) (*render.TraceView, []child) {
	tid := spanjson.TraceID{byte(k >> 8), byte(k), 1}
	var kids []child
	var spans []spanjson.Span
	var rollup int64
	end := t0
	for c := 1; c <= n; c++ {
		d := int64(r.ExpFloat64()*5e6) + 1000 // ns
		if r.IntN(50) == 0 {
			d *= 100
		}
		ch := child{name: fmt.Sprint("step-", r.IntN(5)), dur: d, failed: r.IntN(10) == 0}
		attrs := []spanjson.Attribute{}
		typ := "TOOL"
		if ch.name == "step-0" || ch.name == "step-1" {
			typ, ch.tokens = "LLM", int64(10+r.IntN(100))
			rollup += ch.tokens
			attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrTokenUsage, Value: fmt.Sprintf(`{"input_tokens": %d, "output_tokens": 0, "total_tokens": %d}`, ch.tokens, ch.tokens)})
		}
		attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrSpanType, Value: `"` + typ + `"`})
		st := spanjson.Status{Code: spanjson.StatusOK}
		if ch.failed {
			st.Code = spanjson.StatusError
		}
		spans = append(spans, spanjson.NewSpan(spanjson.SpanData{TraceID: tid, SpanID: spanjson.SpanID{0, 0, byte(c >> 8), byte(c), 1}, ParentID: spanjson.SpanID{9},
			Name: ch.name, StartTime: t0 + int64(c), EndTime: t0 + int64(c) + d, Status: st, Attributes: spanjson.NewAttributes(attrs)}))
		end = max(end, t0+int64(c)+d)
		kids = append(kids, ch)
	}
	root := spanjson.NewSpan(spanjson.SpanData{TraceID: tid, SpanID: spanjson.SpanID{9}, Name: "agent", StartTime: t0, EndTime: end + 1,
		Status: spanjson.Status{Code: spanjson.StatusOK}, Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: spanjson.AttrSpanType, Value: `"AGENT"`},
			{Key: spanjson.AttrTokenUsage, Value: fmt.Sprintf(`{"input_tokens": %d, "output_tokens": 0, "total_tokens": %d}`, rollup, rollup)},
		})})
	spans = append([]spanjson.Span{root}, spans...)
	tree, _ := spanjson.BuildTree(spans)
	tr := &spanjson.Trace{Spans: spans}
	tr.Info = spanjson.DeriveInfo(spans, spanjson.SchemaOTLP)
	return render.NewTraceView(fmt.Sprint("f", k%3, ".json"), spanjson.SchemaMLflowV3, "", tr, tree), kids
}

type child struct {
	name   string
	dur    int64
	failed bool
	tokens int64
}

// TestByNameAgainstBruteForce adds up 400 generated traces by span name
// and checks every figure against a brute-force computation over all the
// values: counts and tokens exactly, quantiles within the stated relative
// accuracy of the exact ones (exactly for groups of up to 64).
func TestByNameAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a, _ := New(ByName)
	durs := map[string][]int64{}
	type want struct{ traces, count, errors, tokens int64 }
	wants := map[string]*want{}
	for k := range 400 {
		v, kids := genTrace(r, k, 1+r.IntN(12))
		a.Add(v)
		seen := map[string]bool{}
		root := v.Spans()[0]
		for _, c := range append([]child{{name: "agent", dur: root.EndTime() - root.StartTime()}}, kids...) {
			w := wants[c.name]
			if w == nil {
				w = &want{}
				wants[c.name] = w
			}
			if !seen[c.name] {
				seen[c.name] = true
				w.traces++
			}
			w.count++
			if c.failed {
				w.errors++
			}
			w.tokens += c.tokens // the root's roll-up is not added: only LLM spans count
			durs[c.name] = append(durs[c.name], c.dur)
		}
	}
	rows := a.Rows()
	if len(rows) != len(wants) {
		t.Fatalf("%d groups, want %d", len(rows), len(wants))
	}
	for _, row := range rows {
		w := wants[row.Group]
		if w == nil {
			t.Fatalf("unexpected group %q", row.Group)
		}
		if row.Traces != w.traces || row.Count != w.count || row.Errors != w.errors {
			t.Errorf("%s: traces/count/errors = %d/%d/%d, want %d/%d/%d", row.Group, row.Traces, row.Count, row.Errors, w.traces, w.count, w.errors)
		}
		if got := float64(row.Errors) / float64(row.Count); row.ErrorRate != got {
			t.Errorf("%s: error rate %v, want %v", row.Group, row.ErrorRate, got)
		}
		var gotTokens int64
		if row.TotalTokens != nil {
			gotTokens = *row.TotalTokens
		}
		if gotTokens != w.tokens {
			t.Errorf("%s: tokens %d, want %d (roll-ups must not count)", row.Group, gotTokens, w.tokens)
		}
		values := durs[row.Group]
		sorted := slices.Sorted(slices.Values(values))
		if row.Duration.Max != sorted[len(sorted)-1] {
			t.Errorf("%s: max %d, want %d", row.Group, row.Duration.Max, sorted[len(sorted)-1])
		}
		for _, q := range []struct {
			q   float64
			got int64
		}{{0.5, row.Duration.P50}, {0.9, row.Duration.P90}, {0.95, row.Duration.P95}, {0.99, row.Duration.P99}} {
			exact := sorted[int(q.q*float64(len(sorted)-1))]
			bound := RelativeAccuracy * float64(exact)
			if len(sorted) <= exactLimit {
				bound = 0
			}
			if math.Abs(float64(q.got-exact)) > bound+1 { // +1: rounding to whole ns
				t.Errorf("%s (%d values): p%v = %d, exact %d: off by more than %.0f", row.Group, len(sorted), q.q*100, q.got, exact, bound)
			}
		}
	}
	// The sketch was used: some group has more values than exactLimit.
	if len(durs["step-0"]) <= exactLimit {
		t.Fatalf("step-0 has %d values: the test does not reach the sketch", len(durs["step-0"]))
	}
}

// TestMergeIsOneAggregator splits the same traces over three aggregators
// (as the workers do) and checks the merged rows are those of one.
func TestMergeIsOneAggregator(t *testing.T) {
	for _, by := range Groupings {
		t.Run(by, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			one, _ := New(by)
			parts := make([]*Aggregator, 3)
			for k := range parts {
				parts[k], _ = New(by)
			}
			for k := range 300 {
				v, _ := genTrace(r, k, 1+r.IntN(8))
				one.Add(v)
				parts[(k*7)%3].Add(v)
			}
			for _, p := range parts[1:] {
				parts[0].Merge(p)
			}
			if diff := cmp.Diff(one.Rows(), parts[0].Rows()); diff != "" {
				t.Errorf("merged rows differ from one aggregator's (-one +merged):\n%s", diff)
			}
		})
	}
}

// TestByTraceUsesTraceTotals: a trace's tokens are its total
// (TraceGenAIOf: the LLM spans, not the AGENT roll-up beside them).
func TestByTraceUsesTraceTotals(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	v, kids := genTrace(r, 1, 10)
	a, _ := New(ByTrace)
	a.Add(v)
	rows := a.Rows()
	var want int64
	for _, c := range kids {
		want += c.tokens
	}
	if len(rows) != 1 || rows[0].Group != v.TraceID() || rows[0].Count != 1 {
		t.Fatalf("rows = %+v", rows)
	}
	if rows[0].TotalTokens == nil || *rows[0].TotalTokens != want || *rows[0].TokensPerTrace != float64(want) {
		t.Errorf("tokens = %v, want %d", rows[0].TotalTokens, want)
	}
	if d, _ := v.Trace.Duration(); rows[0].Duration.P50 != int64(d) || rows[0].Duration.Max != int64(d) {
		t.Errorf("duration = %+v, want %d", rows[0].Duration, d)
	}
}

func TestExactQuantile(t *testing.T) {
	for _, c := range []struct {
		values []int64
		q      float64
		want   int64
	}{
		{nil, 0.5, 0},
		{[]int64{7}, 0.99, 7},
		{[]int64{4, 1, 3, 2}, 0.5, 2}, // rank floor(0.5*3) = 1
		{[]int64{4, 1, 3, 2}, 0.99, 3},
		{[]int64{4, 1, 3, 2}, 1, 4},
	} {
		if got := ExactQuantile(slices.Clone(c.values), c.q); got != c.want {
			t.Errorf("ExactQuantile(%v, %v) = %d, want %d", c.values, c.q, got, c.want)
		}
	}
}

func TestNewRejectsUnknownGrouping(t *testing.T) {
	if _, err := New("colour"); err == nil {
		t.Error("New(colour) = nil error")
	}
}
