package spanjson

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// node builds a span of a hand-made trace: id and parent are small
// numbers (0: no parent).
func node(id, parent byte, attrs ...Attribute) Span {
	d := SpanData{TraceID: TraceID{9}, SpanID: SpanID{id}, Name: "n", StartTime: int64(id), EndTime: 100}
	if parent != 0 {
		d.ParentID = SpanID{parent}
	}
	d.Attributes = NewAttributes(attrs)
	return NewSpan(d)
}

func usage(in, out, total int) Attribute {
	return jsn(AttrTokenUsage, `{"input_tokens":`+itoa(in)+`,"output_tokens":`+itoa(out)+`,"total_tokens":`+itoa(total)+`}`)
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func typ(t string) Attribute { return jsn(AttrSpanType, `"`+t+`"`) }

// TestTraceGenAITokensNeverDoubleCount: parents that carry the totals of
// their descendants (LangSmith chain runs, Langfuse/OTel agent spans) are
// not added to their children's counts.
func TestTraceGenAITokensNeverDoubleCount(t *testing.T) {
	tests := []struct {
		name            string
		info            TraceInfo
		spans           []Span
		in, out, total  Count
		cached          Count
		from            string
		naiveTotalWrong int64 // what summing every span would say
	}{
		{
			name: "langsmith roll-ups on the root and a chain",
			spans: []Span{
				node(1, 0, typ("CHAIN"), num("langsmith.prompt_tokens", "250"), num("langsmith.completion_tokens", "50"), num("langsmith.total_tokens", "300")),
				node(2, 1, typ("CHAIN"), num("langsmith.total_tokens", "300")),
				node(3, 2, typ("LLM"), usage(80, 20, 100)),
				node(4, 2, typ("CHAT_MODEL"), usage(170, 30, 200)),
				node(5, 1, typ("TOOL")),
			},
			in: cnt(250), out: cnt(50), total: cnt(300), from: UsageFromModelSpans, naiveTotalWrong: 900,
		},
		{
			name: "otel invoke_agent carrying the sum of its chats",
			spans: []Span{
				node(1, 0, str("gen_ai.operation.name", "invoke_agent"), num("gen_ai.usage.input_tokens", "30"), num("gen_ai.usage.output_tokens", "6")),
				node(2, 1, str("gen_ai.operation.name", "chat"), num("gen_ai.usage.input_tokens", "10"), num("gen_ai.usage.output_tokens", "2"), num("gen_ai.usage.cache_read.input_tokens", "4")),
				node(3, 1, str("gen_ai.operation.name", "chat"), num("gen_ai.usage.input_tokens", "20"), num("gen_ai.usage.output_tokens", "4"), num("gen_ai.usage.cache_read.input_tokens", "8")),
				node(4, 1, str("gen_ai.operation.name", "embeddings"), num("gen_ai.usage.input_tokens", "5")),
			},
			in: cnt(35), out: cnt(6), total: cnt(41), cached: cnt(12), from: UsageFromModelSpans, naiveTotalWrong: 77,
		},
		{
			name: "no model span has counts: the topmost spans with counts",
			spans: []Span{
				node(1, 0, typ("AGENT"), usage(40, 10, 50)),
				node(2, 1, typ("CHAIN"), usage(25, 5, 30)),   // under the agent: part of its 50
				node(3, 2, typ("UNKNOWN"), usage(20, 4, 24)), // deeper still
				node(4, 0, typ("CHAIN"), usage(15, 5, 20)),   // another root
				node(5, 9, typ("CHAIN"), usage(1, 1, 2)),     // its parent is missing
			},
			in: cnt(56), out: cnt(16), total: cnt(72), from: UsageFromTopSpans, naiveTotalWrong: 126,
		},
		{
			name: "the trace metadata wins",
			info: TraceInfo{Metadata: map[string]string{MetaTokenUsage: `{"input_tokens": 27, "output_tokens": 641, "total_tokens": 668}`}},
			spans: []Span{
				node(1, 0, typ("AGENT"), usage(27, 641, 668)),
				node(2, 1, typ("CHAT_MODEL"), usage(27, 641, 668)),
			},
			in: cnt(27), out: cnt(641), total: cnt(668), from: UsageFromMetadata, naiveTotalWrong: 1336,
		},
		{
			name: "metadata without a cached count: the spans give it",
			info: TraceInfo{Metadata: map[string]string{MetaTokenUsage: `{"input_tokens": 5, "output_tokens": 1, "total_tokens": 6}`}},
			spans: []Span{
				node(1, 0, str("gen_ai.operation.name", "chat"), num("gen_ai.usage.input_tokens", "5"), num("gen_ai.usage.output_tokens", "1"), num("gen_ai.usage.cache_read.input_tokens", "2")),
			},
			in: cnt(5), out: cnt(1), total: cnt(6), cached: cnt(2), from: UsageFromMetadata,
		},
		{
			name: "metadata without a total",
			info: TraceInfo{Metadata: map[string]string{MetaTokenUsage: `{"input_tokens": 3, "output_tokens": 4}`}},
			in:   cnt(3), out: cnt(4), total: cnt(7), from: UsageFromMetadata,
		},
		{
			name:  "a parent cycle ends the walk",
			spans: []Span{node(1, 2, typ("CHAIN"), usage(1, 1, 2)), node(2, 1, typ("CHAIN"), usage(2, 2, 4))},
			// The tree breaks the cycle (span 1, the earlier, becomes the
			// root): span 2 is under it, and only span 1 counts.
			in: cnt(1), out: cnt(1), total: cnt(2), from: UsageFromTopSpans, naiveTotalWrong: 6,
		},
		{name: "no counts at all", spans: []Span{node(1, 0, typ("LLM"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := TraceGenAIOf(tt.info, tt.spans)
			got := []any{g.InputTokens, g.OutputTokens, g.TotalTokens, g.CachedTokens, g.UsageFrom}
			want := []any{tt.in, tt.out, tt.total, tt.cached, tt.from}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("in, out, total, cached, from (-want +got):\n%s", diff)
			}
			// TokenCountsOf, which skips the spans when the metadata
			// has the counts, gives TraceGenAIOf's three.
			in, out, total := TokenCountsOf(tt.info, tt.spans)
			if diff := cmp.Diff([]Count{g.InputTokens, g.OutputTokens, g.TotalTokens}, []Count{in, out, total}); diff != "" {
				t.Errorf("TokenCountsOf differs from TraceGenAIOf (-TraceGenAIOf +TokenCountsOf):\n%s", diff)
			}
			if tt.naiveTotalWrong > 0 && g.TotalTokens.N == tt.naiveTotalWrong {
				t.Errorf("total %d is the naive sum over every span", g.TotalTokens.N)
			}
		})
	}
}

func TestTraceGenAICostSessionUserModels(t *testing.T) {
	spans := []Span{
		node(1, 0, typ("CHAIN"), str("langsmith.total_cost", "0.46"), str("metadata.thread_id", "root-thread"), str("gen_ai.request.model", "m-b")),
		node(2, 1, typ("LLM"), str("langsmith.total_cost", "0.1"), str("metadata.ls_model_name", "m-a"), str("metadata.ls_provider", "p")),
		node(3, 1, typ("LLM"), str("langsmith.total_cost", "0.2"), str("metadata.ls_model_name", "m-a"), str("metadata.user_id", "first-user")),
		node(4, 1, typ("EMBEDDING"), str("llm.model_name", "emb"), str("gen_ai.provider.name", "p2")),
	}
	g := TraceGenAIOf(TraceInfo{}, spans)
	if !g.Cost.Known || g.Cost.USD != 0.3 { // 0.1+0.2 without float noise, the root's roll-up left out
		t.Errorf("cost = %+v, want 0.3", g.Cost)
	}
	if g.Session != "root-thread" || g.User != "first-user" {
		t.Errorf("session, user = %q, %q", g.Session, g.User)
	}
	if diff := cmp.Diff([]string{"emb", "m-a", "m-b"}, g.Models); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"p", "p2"}, g.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}

	// The trace metadata comes first.
	info := TraceInfo{Metadata: map[string]string{MetaTraceSession: "meta-session", "mlflow.traceUser": "meta-user", "mlflow.trace.cost": "1.25"}}
	g = TraceGenAIOf(info, spans)
	if g.Session != "meta-session" || g.User != "meta-user" || g.Cost != usd(1.25) {
		t.Errorf("with metadata: session %q user %q cost %+v", g.Session, g.User, g.Cost)
	}

	// No model span has a cost: the topmost spans with one.
	g = TraceGenAIOf(TraceInfo{}, []Span{
		node(1, 0, typ("AGENT"), str("llm.cost.total", "0.5")),
		node(2, 1, typ("TOOL"), str("llm.cost.total", "0.5")),
	})
	if g.Cost != usd(0.5) {
		t.Errorf("topmost cost = %+v, want 0.5", g.Cost)
	}
}
