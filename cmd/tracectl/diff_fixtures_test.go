package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
)

// The hand-made traces of the diff tests: a small agent run (plan, a loop
// of three searches, summarize with a format step under it) and variants
// that each change one thing. They are written as OTLP JSON with MLflow's
// attributes; TestDiffFixtures keeps the committed files in
// testdata/diff equal to what these make (-update rewrites them).

type fxSpan struct {
	id, parent int
	name, typ  string
	start, end int64 // ms from the trace start
	err        string
	tokens     [3]int // in, out, total; zero: none
	cost       float64
	in, out    string // JSON text
}

// fxBase is the baseline agent trace.
func fxBase() []fxSpan {
	return []fxSpan{
		{id: 1, name: "agent", typ: "AGENT", start: 0, end: 1000, in: `{"question": "weather in Paris?"}`, out: `"It is sunny."`},
		{id: 2, parent: 1, name: "plan", typ: "LLM", start: 10, end: 210, tokens: [3]int{100, 20, 120}, cost: 0.0012, in: `{"messages": [{"role": "user", "content": "weather in Paris?"}]}`, out: `{"plan": ["search", "summarize"]}`},
		{id: 3, parent: 1, name: "search", typ: "TOOL", start: 220, end: 320, in: `{"q": "paris weather"}`, out: `{"hits": 3}`},
		{id: 4, parent: 1, name: "search", typ: "TOOL", start: 330, end: 430, in: `{"q": "paris forecast"}`, out: `{"hits": 5}`},
		{id: 5, parent: 1, name: "search", typ: "TOOL", start: 440, end: 540, in: `{"q": "paris rain"}`, out: `{"hits": 1}`},
		{id: 6, parent: 1, name: "summarize", typ: "LLM", start: 550, end: 950, tokens: [3]int{300, 50, 350}, cost: 0.004, in: `{"messages": [{"role": "user", "content": "summarize"}]}`, out: `"It is sunny."`},
		{id: 7, parent: 6, name: "format", typ: "PARSER", start: 900, end: 905},
	}
}

// fxVariants are the candidates, each one change away from fxBase.
var fxVariants = map[string]func([]fxSpan) []fxSpan{
	"base": func(s []fxSpan) []fxSpan { return s },
	"same": func(s []fxSpan) []fxSpan { return s },
	// summarize takes 400ms more of its own time; the agent ends later.
	"slower": func(s []fxSpan) []fxSpan {
		s[5].end += 400
		s[0].end += 400
		return s
	},
	// format is gone.
	"removed": func(s []fxSpan) []fxSpan { return s[:6] },
	// a cache lookup before the plan.
	"added": func(s []fxSpan) []fxSpan {
		return append(s, fxSpan{id: 8, parent: 1, name: "cache_lookup", typ: "RETRIEVER", start: 2, end: 6})
	},
	// the second search fails.
	"failing": func(s []fxSpan) []fxSpan {
		s[3].err = "TimeoutError: search timed out"
		return s
	},
	// the loop runs a fourth search.
	"loop": func(s []fxSpan) []fxSpan {
		return append(s, fxSpan{id: 8, parent: 1, name: "search", typ: "TOOL", start: 542, end: 548, in: `{"q": "paris wind"}`, out: `{"hits": 2}`})
	},
	// plan takes more tokens (and costs more).
	"tokens": func(s []fxSpan) []fxSpan {
		s[1].tokens = [3]int{150, 30, 180}
		s[1].cost = 0.0018
		return s
	},
	// plan's question changed (for --io).
	"io": func(s []fxSpan) []fxSpan {
		s[1].in = `{"messages": [{"role": "user", "content": "weather in Lyon?"}]}`
		return s
	},
}

// otlpTrace writes spans as one OTLP JSON document; the trace starts at
// 2025-01-01T00:00:00Z.
func otlpTrace(traceID string, spans []fxSpan) []byte {
	const t0 = int64(1735689600000000000)
	type kv map[string]any
	str := func(k, v string) kv { return kv{"key": k, "value": kv{"stringValue": v}} }
	var out []kv
	for _, s := range spans {
		attrs := []kv{str("mlflow.spanType", s.typ)}
		if s.in != "" {
			attrs = append(attrs, str("mlflow.spanInputs", s.in))
		}
		if s.out != "" {
			attrs = append(attrs, str("mlflow.spanOutputs", s.out))
		}
		if s.tokens != [3]int{} {
			attrs = append(attrs, str("mlflow.chat.tokenUsage", fmt.Sprintf(`{"input_tokens": %d, "output_tokens": %d, "total_tokens": %d}`, s.tokens[0], s.tokens[1], s.tokens[2])))
		}
		if s.cost != 0 {
			attrs = append(attrs, kv{"key": "llm.cost.total", "value": kv{"doubleValue": s.cost}})
		}
		sp := kv{
			"traceId": traceID, "spanId": fmt.Sprintf("%016x", s.id), "name": s.name,
			"startTimeUnixNano": strconv.FormatInt(t0+s.start*1e6, 10), "endTimeUnixNano": strconv.FormatInt(t0+s.end*1e6, 10),
			"attributes": attrs, "status": kv{"code": "STATUS_CODE_OK"},
		}
		if s.parent != 0 {
			sp["parentSpanId"] = fmt.Sprintf("%016x", s.parent)
		}
		if s.err != "" {
			typ, msg, _ := cutString(s.err, ": ")
			sp["status"] = kv{"code": "STATUS_CODE_ERROR", "message": s.err}
			sp["events"] = []kv{{"name": "exception", "timeUnixNano": strconv.FormatInt(t0+s.end*1e6, 10), "attributes": []kv{str("exception.type", typ), str("exception.message", msg)}}}
		}
		out = append(out, sp)
	}
	doc := kv{"resourceSpans": []kv{{"resource": kv{"attributes": []kv{str("service.name", "agent")}}, "scopeSpans": []kv{{"scope": kv{"name": "fixture"}, "spans": out}}}}}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func cutString(s, sep string) (before, after string, found bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// fxTraceID is the trace id of a fixture: base, or a variant's.
func fxTraceID(name string) string {
	ids := map[string]string{"base": "0a", "same": "0b", "slower": "0c", "removed": "0d", "added": "0e", "failing": "0f", "loop": "10", "tokens": "11", "io": "12"}
	return "d1ff" + fmt.Sprintf("%028s", ids[name])
}

func TestDiffFixtures(t *testing.T) {
	for name, change := range fxVariants {
		checkGolden(t, filepath.Join("testdata/diff", name+".json"), otlpTrace(fxTraceID(name), change(fxBase())))
	}
}
