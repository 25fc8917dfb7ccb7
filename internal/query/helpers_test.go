package query

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"tracectl/internal/spanjson"
)

// hs is a hand-made span: an id, a parent id (0: root) and what it has.
type hs struct {
	id, parent int
	name       string
	typ        string
	status     spanjson.StatusCode
	startMS    int64
	durMS      int64 // -1: still running
	kind       spanjson.SpanKind
	attrs      map[string]string // JSON text, as MLflow stores it
	exception  string
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano()

var testResource = &spanjson.Resource{Attributes: spanjson.NewAttributes([]spanjson.Attribute{
	{Key: "service.name", Value: "chatbot", Type: spanjson.ValueString},
	{Key: "deployment", Value: `{"region":"eu","replicas":3}`, Type: spanjson.ValueKVList},
})}

func makeSpan(traceID spanjson.TraceID, h hs) spanjson.Span {
	var attrs []spanjson.Attribute
	if h.typ != "" {
		attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrSpanType, Value: strconv.Quote(h.typ)})
	}
	for k, v := range h.attrs {
		attrs = append(attrs, spanjson.Attribute{Key: k, Value: v})
	}
	d := spanjson.SpanData{
		TraceID:    traceID,
		SpanID:     spanjson.SpanID{0, 0, 0, 0, 0, 0, 0, byte(h.id)},
		Name:       h.name,
		StartTime:  t0 + h.startMS*1e6,
		Status:     spanjson.Status{Code: h.status},
		Kind:       h.kind,
		Attributes: spanjson.NewAttributes(attrs),
		Resource:   testResource,
	}
	if h.parent != 0 {
		d.ParentID = spanjson.SpanID{0, 0, 0, 0, 0, 0, 0, byte(h.parent)}
	}
	if h.durMS >= 0 {
		d.EndTime = d.StartTime + h.durMS*1e6
	}
	if h.exception != "" {
		d.Events = []spanjson.Event{{Name: "exception", Time: d.EndTime, Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: "exception.type", Value: `"ToolError"`}, {Key: "exception.message", Value: strconv.Quote(h.exception)},
		})}}
	}
	return spanjson.NewSpan(d)
}

func makeTrace(tb testing.TB, info spanjson.TraceInfo, spans ...hs) *Trace {
	tb.Helper()
	id := spanjson.TraceID{1, 2, 3}
	tr := &spanjson.Trace{Info: info}
	for _, h := range spans {
		tr.Spans = append(tr.Spans, makeSpan(id, h))
	}
	tree, _ := spanjson.BuildTree(tr.Spans)
	return NewTrace(tr, tree)
}

func assessments(tb testing.TB, list ...map[string]any) []json.RawMessage {
	var out []json.RawMessage
	for _, a := range list {
		b, err := json.Marshal(a)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// agentTrace is an agent run: two model calls, a failed web search, a
// chain with a calculator under it, and one span still running.
func agentTrace(tb testing.TB) *Trace {
	info := spanjson.TraceInfo{
		TraceID:           "tr-0102030000000000000000000000000f",
		State:             spanjson.StateOK,
		ExecutionDuration: 10 * time.Second, HasDuration: true,
		Tags:     map[string]string{spanjson.TagTraceName: "agent", "env": "prod", "attempt": "2"},
		Metadata: map[string]string{"app.version": "1.4.0", spanjson.MetaTokenUsage: `{"total_tokens": 550}`},
		Assessments: assessments(tb,
			map[string]any{"assessment_name": "relevance", "feedback": map[string]any{"value": "yes"}},
			map[string]any{"assessment_name": "groundedness", "feedback": map[string]any{"value": 0.8}},
			map[string]any{"assessment_name": "safe", "feedback": map[string]any{"value": true}, "valid": false},
			map[string]any{"assessment_name": "safe", "feedback": map[string]any{"value": false}},
			map[string]any{"assessment_name": "expected_answer", "expectation": map[string]any{"value": "Paris"}},
		),
	}
	return makeTrace(tb, info,
		hs{id: 1, name: "agent", typ: "AGENT", status: spanjson.StatusOK, durMS: 10_000, kind: spanjson.SpanKindServer,
			attrs: map[string]string{"user": `{"id":"u1","tier":"gold","tags":["a","b"]}`, "retries": "2", "cached": "false"}},
		hs{id: 2, parent: 1, name: "plan", typ: "LLM", status: spanjson.StatusOK, startMS: 10, durMS: 2_000, kind: spanjson.SpanKindClient,
			attrs: map[string]string{"mlflow.llm.model": `"gpt-4o"`, spanjson.AttrTokenUsage: `{"input_tokens": 100, "output_tokens": 50, "total_tokens": 150}`, "llm.cost.total": "0.002"}},
		hs{id: 3, parent: 1, name: "web_search", typ: "TOOL", status: spanjson.StatusError, startMS: 2_100, durMS: 1_000,
			attrs: map[string]string{"gen_ai.tool.name": `"web_search"`}, exception: "rate limited"},
		hs{id: 4, parent: 1, name: "answer", typ: "CHAT_MODEL", status: spanjson.StatusOK, startMS: 3_200, durMS: 4_000, kind: spanjson.SpanKindClient,
			attrs: map[string]string{"gen_ai.request.model": `"claude-3"`, "gen_ai.usage.input_tokens": "300", "gen_ai.usage.output_tokens": "100"}},
		hs{id: 5, parent: 1, name: "tools", typ: "CHAIN", status: spanjson.StatusUnset, startMS: 7_300, durMS: 500},
		hs{id: 6, parent: 5, name: "calculator", typ: "TOOL", status: spanjson.StatusOK, startMS: 7_310, durMS: 100,
			attrs: map[string]string{"gen_ai.tool.name": `"calculator"`}},
		hs{id: 7, parent: 6, name: "still running", status: spanjson.StatusUnset, startMS: 7_320, durMS: -1},
	)
}
