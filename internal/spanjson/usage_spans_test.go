package spanjson

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
