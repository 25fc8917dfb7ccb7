package spanjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// str and num build attributes the way the readers store them: a typed
// OTLP/Jaeger string or integer, or MLflow JSON text.
func str(k, v string) Attribute { return Attribute{Key: k, Value: v, Type: ValueString} }
func num(k, v string) Attribute { return Attribute{Key: k, Value: v, Type: ValueInt} }
func jsn(k, v string) Attribute { return Attribute{Key: k, Value: v, Type: ValueJSON} }
func cnt(n int64) Count         { return Count{N: n, Known: true} }
func usd(f float64) Cost        { return Cost{USD: f, Known: true} }
func spanOf(name string, attrs ...Attribute) Span {
	return NewSpan(SpanData{Name: name, SpanID: SpanID{1}, Attributes: NewAttributes(attrs)})
}

// TestGenAIOfBySource reads one span per vocabulary of formats-more.md §7.1.
func TestGenAIOfBySource(t *testing.T) {
	tests := []struct {
		name  string
		attrs []Attribute
		want  GenAI
	}{
		{"mlflow", []Attribute{
			jsn(AttrSpanType, `"CHAT_MODEL"`), jsn("mlflow.llm.model", `"gpt-4o"`), jsn("mlflow.llm.provider", `"openai"`),
			jsn(AttrTokenUsage, `{"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}`),
		}, GenAI{Type: "CHAT_MODEL", Model: "gpt-4o", Provider: "openai", InputTokens: cnt(10), OutputTokens: cnt(5), TotalTokens: cnt(15)}},
		{"otel current", []Attribute{
			str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "m-req"), str("gen_ai.response.model", "m-resp"),
			str("gen_ai.provider.name", "example-ai"), num("gen_ai.usage.input_tokens", "1840"), num("gen_ai.usage.output_tokens", "260"),
			num("gen_ai.usage.cache_read.input_tokens", "920"), str("gen_ai.conversation.id", "conv-1"), str("user.id", "u-1"),
		}, GenAI{Type: "CHAT_MODEL", Model: "m-resp", Provider: "example-ai", InputTokens: cnt(1840), OutputTokens: cnt(260),
			TotalTokens: cnt(2100), CachedTokens: cnt(920), Session: "conv-1", User: "u-1"}},
		{"otel tool", []Attribute{
			str("gen_ai.operation.name", "execute_tool"), str("gen_ai.tool.name", "search"), str("gen_ai.tool.call.id", "call_1"),
		}, GenAI{Type: "TOOL", ToolName: "search", ToolCallID: "call_1"}},
		{"otel agent with a string count", []Attribute{
			str("gen_ai.operation.name", "invoke_agent"), str("gen_ai.usage.input_tokens", "7"),
		}, GenAI{Type: "AGENT", InputTokens: cnt(7), TotalTokens: cnt(7)}},
		{"openinference", []Attribute{
			str("openinference.span.kind", "LLM"), str("llm.model_name", "gpt-4.1"), str("llm.provider", "azure"), str("llm.system", "openai"),
			num("llm.token_count.prompt", "55"), num("llm.token_count.completion", "15"), num("llm.token_count.total", "70"),
			num("llm.token_count.prompt_details.cache_read", "3"), Attribute{Key: "llm.cost.total", Value: "0.00023", Type: ValueDouble},
			str("session.id", "s-9"), str("user.id", "alice"),
		}, GenAI{Type: "LLM", Model: "gpt-4.1", Provider: "azure", InputTokens: cnt(55), OutputTokens: cnt(15), TotalTokens: cnt(70),
			CachedTokens: cnt(3), Cost: usd(0.00023), Session: "s-9", User: "alice"}},
		{"openinference kind in lower case, tool", []Attribute{
			str("openinference.span.kind", "tool"), str("tool.name", "get_weather"), str("tool_call.id", "c-7"),
		}, GenAI{Type: "TOOL", ToolName: "get_weather", ToolCallID: "c-7"}},
		{"openinference PROMPT says nothing", []Attribute{str("openinference.span.kind", "PROMPT")}, GenAI{Type: SpanTypeUnknown}},
		{"old gen_ai names and traceloop", []Attribute{
			str("llm.request.type", "chat"), str("gen_ai.system", "anthropic"), str("gen_ai.request.model", "claude"),
			num("gen_ai.usage.prompt_tokens", "100"), num("gen_ai.usage.completion_tokens", "20"), num("llm.usage.total_tokens", "120"),
			num("gen_ai.usage.cache_read_input_tokens", "40"), str("llm.user", "bob"),
		}, GenAI{Type: "CHAT_MODEL", Model: "claude", Provider: "anthropic", InputTokens: cnt(100), OutputTokens: cnt(20),
			TotalTokens: cnt(120), CachedTokens: cnt(40), User: "bob"}},
		{"traceloop tool", []Attribute{str("traceloop.span.kind", "tool"), str("traceloop.entity.name", "calc")},
			GenAI{Type: "TOOL", ToolName: "calc"}},
		{"traceloop workflow: an entity name is not a tool name", []Attribute{str("traceloop.span.kind", "workflow"), str("traceloop.entity.name", "wf")},
			GenAI{Type: "CHAIN"}},
		{"langfuse observation as the reader keeps it", []Attribute{
			str(keyLangfuseType, "GENERATION"), str("langfuse.model", "gpt-4o-mini"),
			jsn("langfuse.usageDetails", `{"input":85,"output":29,"total":114,"prompt_details.cache_read":12}`),
			jsn("langfuse.costDetails", `{"input":0.00017,"output":0.000232,"total":0.000402}`),
		}, GenAI{Type: "LLM", Model: "gpt-4o-mini", InputTokens: cnt(85), OutputTokens: cnt(29), TotalTokens: cnt(114),
			CachedTokens: cnt(12), Cost: usd(0.000402)}},
		{"langsmith run as the reader keeps it", []Attribute{
			str(keyLangSmithRunType, "llm"), num("langsmith.prompt_tokens", "180"), num("langsmith.completion_tokens", "20"),
			num("langsmith.total_tokens", "200"), str("langsmith.total_cost", "0.15"), str("metadata.ls_provider", "anthropic"),
			str("langsmith.invocation_params", `{"model":"claude-sonnet","temperature":0.7}`), str("metadata.thread_id", "th-1"),
			str("metadata.user_id", "carol"), str("langsmith.prompt_token_details", `{"cache_read": 5}`),
		}, GenAI{Type: "LLM", Model: "claude-sonnet", Provider: "anthropic", InputTokens: cnt(180), OutputTokens: cnt(20),
			TotalTokens: cnt(200), CachedTokens: cnt(5), Cost: usd(0.15), Session: "th-1", User: "carol"}},
		{"langsmith tool run: the span name is the tool name", []Attribute{str(keyLangSmithRunType, "tool")},
			GenAI{Type: "TOOL", ToolName: "span"}},
		{"nothing", nil, GenAI{Type: SpanTypeUnknown}},
		{"bad values say nothing", []Attribute{
			str("gen_ai.operation.name", "dance"), str("gen_ai.usage.input_tokens", "many"), num("llm.token_count.prompt", "-3"),
			str("llm.cost.total", "NaN"), jsn("mlflow.llm.model", `null`), jsn(AttrTokenUsage, `"not an object"`),
		}, GenAI{Type: SpanTypeUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spanOf("span", tt.attrs...)
			got := GenAIOf(s)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(GenAI{})); diff != "" {
				t.Errorf("GenAIOf (-want +got):\n%s", diff)
			}
			if typ := GenAITypeOf(s); typ != got.Type {
				t.Errorf("GenAITypeOf = %q, GenAIOf().Type = %q", typ, got.Type)
			}
		})
	}
}

// TestGenAIPrecedence: first hit wins in the order of §7 (MLflow, OTel
// current, OpenInference, old/Traceloop, native), whatever the attribute
// order.
func TestGenAIPrecedence(t *testing.T) {
	attrs := []Attribute{
		str(keyLangSmithRunType, "chain"),                   // native
		str("traceloop.span.kind", "agent"),                 // old
		str("openinference.span.kind", "RETRIEVER"),         // OpenInference
		str("gen_ai.operation.name", "embeddings"),          // OTel
		num("langsmith.prompt_tokens", "1"),                 // native
		num("gen_ai.usage.prompt_tokens", "2"),              // old
		num("llm.token_count.prompt", "3"),                  // OpenInference
		num("gen_ai.usage.input_tokens", "4"),               // OTel
		str("gen_ai.request.model", "requested"),            // OTel, second
		str("llm.model_name", "oi"),                         // OpenInference
		str("gen_ai.response.model", "responded"),           // OTel, first
		jsn(AttrTokenUsage, `{"output_tokens": 9}`),         // MLflow: output only
		num("gen_ai.usage.output_tokens", "8"),              // OTel
		jsn(AttrSpanType, `"UNKNOWN"`),                      // MLflow, but says nothing
		str("metadata.ls_model_name", "native-model-loses"), // native
	}
	for _, order := range [][]Attribute{attrs, reversed(attrs)} {
		g := GenAIOf(spanOf("s", order...))
		want := GenAI{Type: "EMBEDDING", Model: "responded", InputTokens: cnt(4), OutputTokens: cnt(9), TotalTokens: cnt(13)}
		if diff := cmp.Diff(want, g, cmpopts.IgnoreUnexported(GenAI{})); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if typ := GenAITypeOf(spanOf("s", order...)); typ != "EMBEDDING" {
			t.Errorf("GenAITypeOf = %q", typ)
		}
	}
	// An MLflow type wins over every other key.
	if typ := GenAITypeOf(spanOf("s", str("gen_ai.operation.name", "chat"), jsn(AttrSpanType, `"AGENT"`))); typ != "AGENT" {
		t.Errorf("GenAITypeOf = %q, want AGENT", typ)
	}
}

func reversed(a []Attribute) []Attribute {
	out := make([]Attribute, len(a))
	for i, x := range a {
		out[len(a)-1-i] = x
	}
	return out
}

// TestGenAISpanTypeMappings checks §7.2 row by row.
func TestGenAISpanTypeMappings(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{"gen_ai.operation.name", "chat", "CHAT_MODEL"},
		{"gen_ai.operation.name", "text_completion", "LLM"},
		{"gen_ai.operation.name", "generate_content", "LLM"},
		{"gen_ai.operation.name", "response", "LLM"},
		{"gen_ai.operation.name", "embeddings", "EMBEDDING"},
		{"gen_ai.operation.name", "execute_tool", "TOOL"},
		{"gen_ai.operation.name", "create_agent", "AGENT"},
		{"gen_ai.operation.name", "invoke_agent", "AGENT"},
		{"gen_ai.operation.name", "retrieval", "RETRIEVER"},
		{"openinference.span.kind", "LLM", "LLM"},
		{"openinference.span.kind", "CHAIN", "CHAIN"},
		{"openinference.span.kind", "RERANKER", "RERANKER"},
		{"openinference.span.kind", "GUARDRAIL", "GUARDRAIL"},
		{"openinference.span.kind", "EVALUATOR", "EVALUATOR"},
		{"openinference.span.kind", "PROMPT", SpanTypeUnknown},
		{"traceloop.span.kind", "workflow", "CHAIN"},
		{"traceloop.span.kind", "task", "CHAIN"},
		{"traceloop.span.kind", "agent", "AGENT"},
		{"traceloop.span.kind", "unknown", SpanTypeUnknown},
		{"llm.request.type", "completion", "LLM"},
		{"llm.request.type", "rerank", "RERANKER"},
		{keyLangfuseType, "GENERATION", "LLM"},
		{keyLangfuseType, "EVENT", SpanTypeUnknown},
		{keyLangfuseType, "GUARDRAIL", "GUARDRAIL"},
		{keyLangSmithRunType, "parser", "PARSER"},
		{keyLangSmithRunType, "retriever", "RETRIEVER"},
		{keyLangSmithRunType, "prompt", SpanTypeUnknown},
	}
	for _, tt := range tests {
		if got := GenAIOf(spanOf("s", str(tt.key, tt.value))).Type; got != tt.want {
			t.Errorf("%s=%s: type %s, want %s", tt.key, tt.value, got, tt.want)
		}
	}
	// The OTel span kind never gives a type.
	s := NewSpan(SpanData{Name: "s", Kind: SpanKind(3)})
	if got := GenAITypeOf(s); got != SpanTypeUnknown {
		t.Errorf("client span kind: type %s", got)
	}
}

// TestGenAIInputsOutputs: JSON text decoded once more when it holds an
// object or list, OpenInference and Traceloop flattened lists rebuilt by
// index.
func TestGenAIInputsOutputs(t *testing.T) {
	tests := []struct {
		name          string
		attrs         []Attribute
		in, out       string // JSON of the want
		inKey, outKey string
	}{
		{"mlflow", []Attribute{jsn(AttrInputs, `{"q":"hi"}`), jsn(AttrOutputs, `"plain text"`)}, `{"q":"hi"}`, `"plain text"`, AttrInputs, AttrOutputs},
		{"otel messages as text (Jaeger)", []Attribute{
			str("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`),
			str("gen_ai.output.messages", `[{"role":"assistant","parts":[]}]`),
		}, `[{"parts":[{"content":"hi","type":"text"}],"role":"user"}]`, `[{"parts":[],"role":"assistant"}]`, "gen_ai.input.messages", "gen_ai.output.messages"},
		{"otel tool arguments; a number-like string stays text", []Attribute{
			str("gen_ai.tool.call.arguments", `{"window":"1h"}`), str("gen_ai.tool.call.result", "42"),
		}, `{"window":"1h"}`, `"42"`, "gen_ai.tool.call.arguments", "gen_ai.tool.call.result"},
		{"openinference indexed", []Attribute{
			str("llm.input_messages.1.message.role", "user"),
			str("llm.input_messages.1.message.content", "What's the weather?"),
			str("llm.input_messages.0.message.role", "system"),
			str("llm.input_messages.0.message.content", "Be brief."),
			str("llm.output_messages.0.message.role", "assistant"),
			str("llm.output_messages.0.message.tool_calls.0.tool_call.id", "call_1"),
			str("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "get_weather"),
		}, `[{"content":"Be brief.","role":"system"},{"content":"What's the weather?","role":"user"}]`,
			`[{"role":"assistant","tool_calls":[{"function":{"name":"get_weather"},"id":"call_1"}]}]`,
			"llm.input_messages.", "llm.output_messages."},
		{"openinference input.value wins over the messages", []Attribute{
			str("llm.input_messages.0.message.role", "user"), str("input.value", `[{"role":"user","content":"x"}]`),
		}, `[{"content":"x","role":"user"}]`, `null`, "input.value", ""},
		{"traceloop indexed, with a hole", []Attribute{
			str("gen_ai.prompt.0.role", "user"), str("gen_ai.prompt.0.content", "a"),
			str("gen_ai.prompt.2.role", "user"), str("gen_ai.prompt.2.content", "b"),
			str("gen_ai.completion.0.role", "assistant"), str("gen_ai.completion.0.finish_reason", "stop"),
		}, `[{"content":"a","role":"user"},{"content":"b","role":"user"}]`, `[{"finish_reason":"stop","role":"assistant"}]`,
			"gen_ai.prompt.", "gen_ai.completion."},
		{"a huge index is not a list index", []Attribute{str("llm.input_messages.99999999.message.role", "user")},
			`[]`, `null`, "llm.input_messages.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := GenAIOf(spanOf("s", tt.attrs...))
			in, _ := g.Inputs()
			out, _ := g.Outputs()
			if got := mustJSON(t, in); got != tt.in {
				t.Errorf("inputs = %s, want %s", got, tt.in)
			}
			if got := mustJSON(t, out); got != tt.out {
				t.Errorf("outputs = %s, want %s", got, tt.out)
			}
			if ik, ok := g.IOKeys(); ik != tt.inKey || ok != tt.outKey {
				t.Errorf("IOKeys = %q, %q, want %q, %q", ik, ok, tt.inKey, tt.outKey)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzGenAIOf reads attributes made of the fuzz input (one "type key=value"
// per line): the view never panics, its type-only path agrees with the
// full view, inputs and outputs encode as JSON, counts are never negative,
// and the trace totals of one span are that span's counts.
func FuzzGenAIOf(f *testing.F) {
	f.Add("0 mlflow.spanType=\"LLM\"\n0 mlflow.chat.tokenUsage={\"input_tokens\":3}")
	f.Add("1 gen_ai.operation.name=chat\n3 gen_ai.usage.input_tokens=10\n1 gen_ai.input.messages=[{\"role\":\"user\"}]")
	f.Add("1 openinference.span.kind=tool\n1 llm.input_messages.0.message.role=user\n1 llm.input_messages.1.message.tool_calls.0.tool_call.id=x")
	f.Add("1 gen_ai.prompt.7.content=a\n1 gen_ai.prompt.x.content=b\n0 langfuse.usageDetails={\"input\":1.5}")
	f.Add("1 langsmith.run_type=llm\n1 langsmith.total_cost=1e400\n1 metadata.thread_id=t")
	f.Fuzz(func(t *testing.T, text string) {
		var attrs []Attribute
		for _, line := range strings.Split(text, "\n") {
			if len(line) < 2 {
				continue
			}
			k, v, _ := strings.Cut(line[2:], "=")
			attrs = append(attrs, Attribute{Key: k, Value: v, Type: ValueType(line[0] % 8)})
		}
		s := spanOf("fuzz", attrs...)
		g := GenAIOf(s)
		if typ := GenAITypeOf(s); typ != g.Type {
			t.Fatalf("GenAITypeOf = %q, GenAIOf().Type = %q", typ, g.Type)
		}
		for _, c := range []Count{g.InputTokens, g.OutputTokens, g.TotalTokens, g.CachedTokens} {
			if c.N < 0 || !c.Known && c.N != 0 {
				t.Fatalf("count %+v", c)
			}
		}
		in, _ := g.Inputs()
		out, _ := g.Outputs()
		if _, err := json.Marshal([]any{in, out}); err != nil {
			t.Fatalf("inputs/outputs do not encode: %v", err)
		}
		tg := TraceGenAIOf(TraceInfo{}, []Span{s})
		if g.HasUsage() && (tg.TotalTokens != g.TotalTokens || tg.InputTokens != g.InputTokens) {
			t.Fatalf("one span's trace totals %+v %+v, its view %+v %+v", tg.InputTokens, tg.TotalTokens, g.InputTokens, g.TotalTokens)
		}
	})
}

// rowCache gives genaiRows' rows for every key: the same string at the
// same address (a hit), the same text at another address, and keys that
// share a slot.
func TestRowCacheIsGenaiRows(t *testing.T) {
	var c rowCache
	// Every table key, a copy of it elsewhere, and a key of the same
	// length that is in no row: slots are shared by keys of one length.
	keys := []string{"", "a", "llm.token_count.prompt1"}
	for _, k := range genaiTable {
		keys = append(keys, k.key, strings.Clone(k.key), strings.Repeat("x", len(k.key)))
	}
	for round := range 3 {
		for _, k := range keys {
			if got, want := c.lookup(k), genaiRows(k); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d: lookup(%q) = %v, want %v", round, k, got, want)
			}
		}
	}
	var none *rowCache
	if got, want := none.lookup(AttrSpanType), genaiRows(AttrSpanType); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("no cache: %v, want %v", got, want)
	}
}

// TestGenAIUsageIsTheViewsCounts: Usage reads the same counts and cost as
// the whole view, over every vocabulary, and nothing else.
func TestGenAIUsageIsTheViewsCounts(t *testing.T) {
	spans := genaiBenchSpans(64)
	spans = append(spans,
		NewSpan(SpanData{Name: "only counts", Attributes: NewAttributes([]Attribute{
			num("gen_ai.usage.input_tokens", "12"), num("gen_ai.usage.output_tokens", "30")})}), // total from the two
		NewSpan(SpanData{Name: "zero total", Attributes: NewAttributes([]Attribute{
			jsn(AttrTokenUsage, `{"input_tokens": 5, "output_tokens": 7, "total_tokens": 0}`)})}),
		NewSpan(SpanData{Name: "total of its own", Attributes: NewAttributes([]Attribute{
			jsn(AttrTokenUsage, `{"input_tokens": 5, "output_tokens": 7, "total_tokens": 20}`)})}),
		NewSpan(SpanData{Name: "cost", Attributes: NewAttributes([]Attribute{num("gen_ai.usage.cost", "0.25")})}))
	var views GenAIViews
	counted := 0
	for k, s := range spans {
		full, usage := views.Of(s), views.Usage(s)
		want := GenAI{InputTokens: full.InputTokens, OutputTokens: full.OutputTokens, TotalTokens: full.TotalTokens,
			CachedTokens: full.CachedTokens, Cost: full.Cost}
		got := GenAI{InputTokens: usage.InputTokens, OutputTokens: usage.OutputTokens, TotalTokens: usage.TotalTokens,
			CachedTokens: usage.CachedTokens, Cost: usage.Cost}
		if got != want {
			t.Errorf("span %d (%s): usage %+v, the view %+v", k, s.Name(), got, want)
		}
		if usage.Type != "" || usage.Model != "" || usage.ToolName != "" {
			t.Errorf("span %d: usage read more than counts: type %q model %q tool %q", k, usage.Type, usage.Model, usage.ToolName)
		}
		if full.TotalTokens.Known || full.Cost.Known {
			counted++
		}
	}
	if counted < len(spans)/2 {
		t.Fatalf("only %d of %d spans have counts: the test compares little", counted, len(spans))
	}
}

// TestValueMembersAsJSONMember: members read once for several rows
// (valueMembers) are what jsonMember finds for each, on hand-made values
// and on objects made at random from a small alphabet of keys (repeated
// keys, escaped keys, more members than the memo holds, paths, values that
// are no object, broken JSON).
func TestValueMembersAsJSONMember(t *testing.T) {
	values := []string{
		`{"input_tokens": 249, "output_tokens": 276, "total_tokens": 525}`,
		`"{\"input_tokens\": 3, \"total_tokens\": 9}"`,
		`{"a": 1, "a": 2}`,
		`{"input\u005ftokens": 7}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}`,
		`{"prompt_details": {"cache_read": 4}, "prompt_details.cache_read": 5}`,
		`[1, 2]`, `12`, `"text"`, `null`, ``, `{"a": 1,`, `{"a" 1}`, `{`,
	}
	keys := []string{"a", "b", "c", "input_tokens", `in\"put`, "total", "x.y", "d", "e", "f", "g", "h", "i"}
	seed := uint64(1)
	rnd := func(n int) int { seed = seed*6364136223846793005 + 1442695040888963407; return int(seed>>33) % n }
	for range 2000 {
		var b strings.Builder
		b.WriteByte('{')
		for k := range rnd(12) {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"%s": %d`, keys[rnd(len(keys))], rnd(100))
		}
		if rnd(10) > 0 {
			b.WriteByte('}')
		}
		v := b.String()
		if rnd(4) == 0 {
			q, _ := json.Marshal(v)
			v = string(q)
		}
		values = append(values, v)
	}
	members := append(keys, "", "missing", `prompt_details\.cache_read`, "prompt_details.cache_read", "*", "a|b")
	for _, v := range values {
		a := Attribute{Key: "k", Value: v}
		var m valueMembers
		m.reset(a)
		for range 3 { // asked again: read once
			for _, member := range members {
				got, want := memberOf(a, member, &m), jsonMember(a, member)
				if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str {
					t.Fatalf("value %s, member %q: got %v %q, jsonMember %v %q", v, member, got.Type, got.Raw, want.Type, want.Raw)
				}
			}
		}
	}
}
