package query

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
)

func spanNames(t *Trace, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, t.Spans()[i].Name())
	}
	return out
}

func TestEvalSelectsSpans(t *testing.T) {
	tr := agentTrace(t)
	tests := []struct {
		expr string
		want []string // selected spans in tree order; nil: no match
	}{
		{`{}`, []string{"agent", "plan", "web_search", "answer", "tools", "calculator", "still running"}},
		{`{ true }`, []string{"agent", "plan", "web_search", "answer", "tools", "calculator", "still running"}},
		{`{ false }`, nil},
		// name, = != =~ !~ < >
		{`{ name = "plan" }`, []string{"plan"}},
		{`{ name != "plan" && type = "TOOL" }`, []string{"web_search", "calculator"}},
		{`{ name =~ "web.*" }`, []string{"web_search"}},
		{`{ name =~ "web" }`, nil}, // anchored: the whole name must match
		{`{ name !~ "[a-s].*" }`, []string{"web_search", "tools"}},
		{`{ name < "b" }`, []string{"agent", "answer"}},
		{`{ name >= "t" }`, []string{"web_search", "tools"}},
		// status
		{`{ status = error }`, []string{"web_search"}},
		{`{ status = "ERROR" }`, []string{"web_search"}},
		{`{ status != ok }`, []string{"web_search", "tools", "still running"}},
		{`{ status = unset }`, []string{"tools", "still running"}},
		// duration (a running span has none)
		{`{ duration > 3s }`, []string{"agent", "answer"}},
		{`{ duration <= 100ms }`, []string{"calculator"}},
		{`{ duration < 10s && duration >= 1s }`, []string{"plan", "web_search", "answer"}},
		{`{ duration = nil }`, []string{"still running"}},
		// kind
		{`{ kind = server }`, []string{"agent"}},
		{`{ kind = client }`, []string{"plan", "answer"}},
		{`{ kind = unspecified && type = "TOOL" }`, []string{"web_search", "calculator"}},
		// type (compared upper case)
		{`{ type = "TOOL" }`, []string{"web_search", "calculator"}},
		{`{ type = "tool" }`, []string{"web_search", "calculator"}},
		{`{ type =~ "LLM|CHAT_MODEL" }`, []string{"plan", "answer"}},
		{`{ type = "UNKNOWN" }`, []string{"still running"}},
		// model: mlflow.llm.model, then gen_ai.*
		{`{ model = "gpt-4o" }`, []string{"plan"}},
		{`{ model =~ "claude.*" }`, []string{"answer"}},
		{`{ model != nil }`, []string{"plan", "answer"}},
		{`{ model !~ "gpt-4o|claude-3" }`, nil},
		// tokens: mlflow.chat.tokenUsage, then gen_ai.usage.*
		{`{ input_tokens = 100 }`, []string{"plan"}},
		{`{ output_tokens > 60 }`, []string{"answer"}},
		{`{ total_tokens = 400 }`, []string{"answer"}},
		{`{ total_tokens >= 150 }`, []string{"plan", "answer"}},
		{`{ cost > 0.001 }`, []string{"plan"}},
		{`{ cost = nil && type = "LLM" }`, nil},
		// span attributes: plain, nested, arrays, numbers, booleans
		{`{ span.gen_ai.tool.name = "web_search" }`, []string{"web_search"}},
		{`{ span.user.tier = "gold" }`, []string{"agent"}},
		{`{ span.user.tags.1 = "b" }`, []string{"agent"}},
		{`{ span.retries = 2 }`, []string{"agent"}},
		{`{ span.retries > 1.5 }`, []string{"agent"}},
		{`{ span.cached = false }`, []string{"agent"}},
		{`{ span.cached != true }`, []string{"agent"}},
		{`{ span.retries = "2" }`, nil}, // a number is not the string "2"
		{`{ span.missing = nil && name = "plan" }`, []string{"plan"}},
		{`{ span.missing != "x" }`, nil}, // an absent field meets nothing
		{`{ span.user != nil }`, []string{"agent"}},
		// resource attributes
		{`{ resource.service.name = "chatbot" && name = "plan" }`, []string{"plan"}},
		{`{ resource.deployment.region = "eu" && name = "plan" }`, []string{"plan"}},
		{`{ resource.deployment.replicas >= 3 && name = "plan" }`, []string{"plan"}},
		// trace-level fields in a span selector
		{`{ trace:name = "agent" && name = "plan" }`, []string{"plan"}},
		{`{ trace:state = ok && name = "plan" }`, []string{"plan"}},
		{`{ trace:state = error }`, nil},
		{`{ trace:duration >= 10s && name = "plan" }`, []string{"plan"}},
		{`{ trace:spans = 7 && name = "plan" }`, []string{"plan"}},
		{`{ trace:id = "tr-0102030000000000000000000000000f" && name = "plan" }`, []string{"plan"}},
		{`{ trace:tag.env = "prod" && name = "plan" }`, []string{"plan"}},
		{`{ trace:tag.attempt = 2 && name = "plan" }`, []string{"plan"}}, // tags are text: read as the literal's type
		{`{ trace:tag.missing = nil && name = "plan" }`, []string{"plan"}},
		{`{ trace:metadata.app.version =~ "1\\..*" && name = "plan" }`, []string{"plan"}},
		// assessments: feedback, expectation, the overridden one skipped
		{`{ assessment.relevance = "yes" && name = "plan" }`, []string{"plan"}},
		{`{ assessment.groundedness >= 0.7 && name = "plan" }`, []string{"plan"}},
		{`{ assessment.safe = false && name = "plan" }`, []string{"plan"}},
		{`{ assessment.expected_answer = "Paris" && name = "plan" }`, []string{"plan"}},
		{`{ assessment.missing = nil && name = "plan" }`, []string{"plan"}},
		// && || ! and parentheses
		{`{ type = "TOOL" && status = error || name = "plan" }`, []string{"plan", "web_search"}},
		{`{ type = "TOOL" && (status = error || name = "plan") }`, []string{"web_search"}},
		{`{ !(type = "TOOL") && status = ok }`, []string{"agent", "plan", "answer"}},
		{`{ !!(name = "plan") }`, []string{"plan"}},
		// structure
		{`{ type = "AGENT" } > { type = "TOOL" }`, []string{"web_search"}},
		{`{ type = "AGENT" } >> { type = "TOOL" }`, []string{"web_search", "calculator"}},
		{`{ type = "CHAIN" } > { type = "TOOL" }`, []string{"calculator"}},
		{`{ type = "TOOL" } >> {}`, []string{"still running"}},
		{`{ type = "LLM" } >> {}`, nil},
		{`{ name = "agent" } > { name = "tools" } > { name = "calculator" }`, []string{"calculator"}},
		{`{ type = "AGENT" } >> { span.gen_ai.tool.name = "web_search" }`, []string{"web_search"}},
		// span sets: && (both non-empty), || (union), parentheses
		{`{ name = "plan" } && { name = "answer" }`, []string{"plan", "answer"}},
		{`{ name = "plan" } && { name = "nope" }`, nil},
		{`{ name = "nope" } || { name = "answer" }`, []string{"answer"}},
		{`({ type = "AGENT" } >> { type = "TOOL" }) && { status = error }`, []string{"web_search", "calculator"}},
	}
	for _, tt := range tests {
		q, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.expr, err)
			continue
		}
		r := q.Eval(tr)
		if got := spanNames(tr, r.Spans); !cmp.Equal(got, tt.want) {
			t.Errorf("%s selects %q, want %q", tt.expr, got, tt.want)
		}
		if r.Match != (tt.want != nil) {
			t.Errorf("%s: Match = %v with spans %q", tt.expr, r.Match, tt.want)
		}
	}
}

func TestEvalAggregates(t *testing.T) {
	tr := agentTrace(t)
	tests := []struct {
		expr  string
		match bool
		value string
	}{
		{`{ type =~ "LLM|CHAT_MODEL" } | count() = 2`, true, "2"},
		{`{ type =~ "LLM|CHAT_MODEL" } | count() <= 1`, false, "2"},
		{`{ type = "RETRIEVER" } | count() = 0`, true, "0"}, // no spans: count 0
		{`{} | sum(total_tokens) = 550`, true, "550"},
		{`{} | sum(total_tokens) <= 500`, false, "550"},
		{`{ type = "RETRIEVER" } | sum(total_tokens) = 0`, true, "0"},
		{`{} | avg(total_tokens) = 275`, true, "275"},
		{`{} | min(input_tokens) = 100`, true, "100"},
		{`{} | max(output_tokens) > 99`, true, "100"},
		{`{ type = "RETRIEVER" } | max(duration) < 1s`, false, "nil"}, // no values: nothing holds
		{`{ type =~ "LLM|CHAT_MODEL" } | max(duration) <= 4s`, true, "4s"},
		{`{ type =~ "LLM|CHAT_MODEL" } | max(duration) < 4s`, false, "4s"},
		{`{ type =~ "LLM|CHAT_MODEL" } | avg(duration) = 3s`, true, "3s"},
		{`{ type =~ "LLM|CHAT_MODEL" } | sum(duration) >= 6s`, true, "6s"},
		{`{} | min(duration) = 100ms`, true, "100ms"},
		{`{} | sum(cost) != 0`, true, "0.002"},
		{`{ name = "agent" } | sum(span.retries) = 2`, true, "2"},
		{`{ type = "TOOL" } | count() > 1`, true, "2"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.expr, err)
			continue
		}
		r := q.Eval(tr)
		if r.Match != tt.match || r.Value != tt.value {
			t.Errorf("%s: Match %v value %s, want %v %s", tt.expr, r.Match, r.Value, tt.match, tt.value)
		}
	}
}

func TestEvalResultDescribesAggregate(t *testing.T) {
	r := MustParse(`{} | sum(total_tokens) <= 500`).Eval(agentTrace(t))
	if r.Aggregate != "sum(total_tokens)" || r.Want != "<= 500" || r.Value != "550" {
		t.Errorf("got %q %q %q", r.Aggregate, r.Value, r.Want)
	}
}

// An aggregate without a value says why: no span was selected, or none
// of the selected spans has the field; one with a value says nothing.
func TestEvalResultSaysWhyNoValue(t *testing.T) {
	tr := agentTrace(t)
	for expr, want := range map[string]string{
		`{ type = "RETRIEVER" } | max(duration) < 1s`: "no span selected",
		`{ type = "TOOL" } | max(input_tokens) < 10`:  "no selected span has input_tokens",
		`{ type = "TOOL" } | avg(cost) < 10`:          "no selected span has cost",
		`{} | max(input_tokens) < 10`:                 "",
		`{ type = "RETRIEVER" } | sum(cost) = 0`:      "",
	} {
		r := MustParse(expr).Eval(tr)
		if r.NoValue != want || (want != "") != (r.Value == "nil") {
			t.Errorf("%s: value %s, NoValue %q, want %q", expr, r.Value, r.NoValue, want)
		}
	}
}

func TestEvalDeepChainWithoutRecursion(t *testing.T) {
	const n = 100_000
	id := func(k int) spanjson.SpanID {
		var s spanjson.SpanID
		binary.BigEndian.PutUint64(s[:], uint64(k))
		return s
	}
	tr := &spanjson.Trace{}
	for k := 1; k <= n; k++ {
		d := spanjson.SpanData{TraceID: spanjson.TraceID{1}, SpanID: id(k), Name: "mid", StartTime: t0 + int64(k), EndTime: t0 + 2*n - int64(k)}
		if k > 1 {
			d.ParentID = id(k - 1)
		}
		switch k {
		case 1:
			d.Name = "root"
		case n:
			d.Name = "leaf"
		}
		tr.Spans = append(tr.Spans, spanjson.NewSpan(d))
	}
	r := MustParse(`{ name = "root" } >> { name = "leaf" }`).Eval(NewTrace(tr, nil))
	if !r.Match || len(r.Spans) != 1 {
		t.Fatalf("deep chain: got %d spans", len(r.Spans))
	}
}
