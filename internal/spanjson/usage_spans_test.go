package spanjson

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson/spanjsontest"
)

// TestUsageSpansAddUpToTheTraceTotals: the spans UsageSpans lists are the
// ones TraceGenAIOf adds up (without trace metadata), roll-ups left out.
func TestUsageSpansAddUpToTheTraceTotals(t *testing.T) {
	tests := []struct {
		name       string
		spans      []Span
		tokens     []int
		from       string
		cost       []int
		wantTotal  int64
		wantCostOK bool
	}{
		{
			name: "model spans under a roll-up",
			spans: []Span{
				node(1, 0, typ("CHAIN"), num("langsmith.total_tokens", "300"), str("langsmith.total_cost", "0.3")),
				node(2, 1, typ("LLM"), usage(80, 20, 100), str("langsmith.total_cost", "0.1")),
				node(3, 1, typ("CHAT_MODEL"), usage(170, 30, 200), str("langsmith.total_cost", "0.2")),
				node(4, 1, typ("TOOL")),
			},
			tokens: []int{1, 2}, from: UsageFromModelSpans, cost: []int{1, 2}, wantTotal: 300, wantCostOK: true,
		},
		{
			name: "no model span: the topmost spans with counts",
			spans: []Span{
				node(1, 0, typ("AGENT"), usage(40, 10, 50)),
				node(2, 1, typ("CHAIN"), usage(25, 5, 30)),
				node(3, 0, typ("CHAIN"), usage(15, 5, 20)),
			},
			tokens: []int{0, 2}, from: UsageFromTopSpans, wantTotal: 70,
		},
		{name: "nothing", spans: []Span{node(1, 0, typ("LLM"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, from, cost := UsageSpans(tt.spans)
			if diff := cmp.Diff([]any{tt.tokens, tt.from, tt.cost}, []any{tokens, from, cost}); diff != "" {
				t.Fatalf("tokens, from, cost (-want +got):\n%s", diff)
			}
			var sum int64
			for _, i := range tokens {
				sum += GenAIOf(tt.spans[i]).TotalTokens.N
			}
			g := TraceGenAIOf(TraceInfo{}, tt.spans)
			if sum != tt.wantTotal || g.TotalTokens.N != sum {
				t.Errorf("listed spans add up to %d, trace total %d, want %d", sum, g.TotalTokens.N, tt.wantTotal)
			}
			if g.Cost.Known != tt.wantCostOK {
				t.Errorf("cost known = %v", g.Cost.Known)
			}
		})
	}
}

// TraceGenAIOf sums the model spans' counts and costs in its one pass over
// the spans; a sum over what UsageSpans lists, span by span, must agree,
// on generated traces of every shape and on the fixtures.
func TestTraceGenAIOfSumsWhatUsageSpansLists(t *testing.T) {
	var traces [][]Span
	for _, sh := range spanjsontest.Shapes {
		var b bytes.Buffer
		if err := spanjsontest.WriteV3TraceShaped(&b, 400, 3, sh.Shape); err != nil {
			t.Fatal(err)
		}
		docs, err := DecodeAll(&b, sh.Name)
		if err != nil {
			t.Fatal(err)
		}
		traces = append(traces, docs[0].Traces[0].Spans)
	}
	files, _ := filepath.Glob(fixturesDir + "/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, _ := DecodeAll(bytes.NewReader(data), f)
		for _, d := range docs {
			for _, tr := range d.Traces {
				traces = append(traces, tr.Spans)
			}
		}
	}
	withUsage := 0
	for k, spans := range traces {
		tokens, from, cost := UsageSpans(spans)
		var want tokenSum
		for _, i := range tokens {
			want.addTokens(GenAIOf(spans[i]))
		}
		var wantCost tokenSum
		for _, i := range cost {
			wantCost.addCost(GenAIOf(spans[i]))
		}
		g := TraceGenAIOf(TraceInfo{}, spans)
		got := []any{g.InputTokens, g.OutputTokens, g.TotalTokens, g.CachedTokens, g.UsageFrom, g.Cost.Known, g.Cost.USD}
		wantAll := []any{want.in, want.out, want.total, want.cached, from, wantCost.any, roundCost(wantCost.cost)}
		if !want.any {
			wantAll[4] = ""
		}
		if diff := cmp.Diff(wantAll, got); diff != "" {
			t.Errorf("trace %d: TraceGenAIOf against the sum over UsageSpans (-want +got):\n%s", k, diff)
		}
		if want.any {
			withUsage++
		}
	}
	if withUsage < len(spanjsontest.Shapes) {
		t.Errorf("only %d of %d traces had token counts: the test compares little", withUsage, len(traces))
	}
}
