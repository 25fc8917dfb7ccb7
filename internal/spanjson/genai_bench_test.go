package spanjson

import (
	"strconv"
	"testing"
)

// genaiBenchSpans makes n spans in a mix of vocabularies: MLflow spans
// (half of them, each with its type and usage), OTel GenAI chat and tool
// spans as a Jaeger file gives them, OpenInference LLM spans, and plain
// HTTP spans with no GenAI key.
func genaiBenchSpans(n int) []Span {
	spans := make([]Span, n)
	for i := range spans {
		var attrs []Attribute
		switch i % 8 {
		case 0, 1, 2, 3:
			attrs = []Attribute{
				jsn(AttrTraceRequestID, `"tr-0123456789abcdef0123456789abcdef"`), jsn(AttrSpanType, `"CHAT_MODEL"`),
				jsn(AttrInputs, `{"messages":[{"role":"user","content":"hi"}]}`), jsn(AttrOutputs, `{"choices":[]}`),
				jsn(AttrTokenUsage, `{"input_tokens": 27, "output_tokens": 641, "total_tokens": 668}`),
			}
		case 4:
			attrs = []Attribute{
				str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "model-a"), str("gen_ai.provider.name", "example-ai"),
				str("gen_ai.response.model", "model-a"), num("gen_ai.usage.input_tokens", "1840"), num("gen_ai.usage.output_tokens", "260"),
				num("gen_ai.usage.cache_read.input_tokens", "920"), str("gen_ai.input.messages", `[{"role":"user","parts":[]}]`),
				str("otel.scope.name", "x"), str("span.kind", "client"),
			}
		case 5:
			attrs = []Attribute{
				str("gen_ai.operation.name", "execute_tool"), str("gen_ai.tool.name", "search"), str("gen_ai.tool.call.id", "call_"+strconv.Itoa(i)),
				str("gen_ai.tool.call.arguments", `{"q":1}`),
			}
		case 6:
			attrs = []Attribute{
				str("openinference.span.kind", "LLM"), str("llm.model_name", "gpt-4.1"), num("llm.token_count.prompt", "55"),
				num("llm.token_count.completion", "15"), num("llm.token_count.total", "70"),
				str("llm.input_messages.0.message.role", "user"), str("llm.input_messages.0.message.content", "hi"),
			}
		default:
			attrs = []Attribute{str("http.method", "GET"), str("http.url", "/api/v1/query"), num("http.status_code", "200")}
		}
		spans[i] = NewSpan(SpanData{SpanID: SpanID{byte(i), byte(i >> 8), byte(i >> 16), 1}, Name: "s", Attributes: NewAttributes(attrs)})
	}
	return spans
}

// BenchmarkGenAIView reads the view of 100,000 spans. The reference is
// what show read before the view: mlflow.spanType by key and
// Span.TokenUsage. Compare ns/span: view/type-only against ref/type, and
// view/full against ref/type+usage.
func BenchmarkGenAIView(b *testing.B) {
	spans := genaiBenchSpans(100_000)
	perSpan := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(spans)), "ns/span")
	}
	b.Run("ref/type", func(b *testing.B) {
		for b.Loop() {
			for _, s := range spans {
				_, _ = s.Attributes().Raw(AttrSpanType)
			}
		}
		perSpan(b)
	})
	b.Run("view/type-only", func(b *testing.B) {
		for b.Loop() {
			for _, s := range spans {
				_ = GenAITypeOf(s)
			}
		}
		perSpan(b)
	})
	b.Run("ref/type+usage", func(b *testing.B) {
		for b.Loop() {
			for _, s := range spans {
				_, _ = s.Attributes().Raw(AttrSpanType)
				_, _ = s.TokenUsage()
			}
		}
		perSpan(b)
	})
	b.Run("view/full", func(b *testing.B) {
		for b.Loop() {
			for _, s := range spans {
				_ = GenAIOf(s)
			}
		}
		perSpan(b)
	})
	b.Run("view/trace-totals", func(b *testing.B) {
		for b.Loop() {
			_ = TraceGenAIOf(TraceInfo{}, spans)
		}
		perSpan(b)
	})
}
