package query

import (
	"errors"
	"strings"
	"testing"
)

const goodSpec = `checks:
  - name: no failed tool calls
    forbid: '{ type = "TOOL" && status = error }'
  - name: token budget
    expect: '{} | sum(total_tokens) <= 20000'
  - name: search under the agent
    traces: '{ trace:name = "agent" }'
    expect: '{ type = "AGENT" } >> { span.gen_ai.tool.name = "web_search" }'
  - expect: |
      { type =~ "LLM|CHAT_MODEL" }
        | count() <= 8
`

func TestParseSpec(t *testing.T) {
	checks, err := ParseSpec("checks.yaml", []byte(goodSpec))
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 4 {
		t.Fatalf("got %d checks", len(checks))
	}
	want := []struct {
		name   string
		expect bool
		scoped bool
	}{
		{"no failed tool calls", false, false},
		{"token budget", true, false},
		{"search under the agent", true, true},
		{"{ type =~ \"LLM|CHAT_MODEL\" }\n  | count() <= 8", true, false}, // unnamed: named by its expression
	}
	for k, w := range want {
		c := checks[k]
		if c.Name != w.name || c.Expect != w.expect || (c.Traces != nil) != w.scoped {
			t.Errorf("check %d: %q expect=%v scoped=%v, want %+v", k, c.Name, c.Expect, c.Traces != nil, w)
		}
	}
	tr := agentTrace(t)
	if checks[0].Query.Match(tr) != true || checks[1].Query.Match(tr) != true || checks[2].Traces.Match(tr) != true || checks[2].Query.Match(tr) != true {
		t.Error("the spec's checks do not evaluate as written on the agent trace")
	}
	if checks[0].Kind() != "forbid" || checks[1].Kind() != "expect" {
		t.Error("Kind")
	}
}

func TestParseSpecErrorsAtFileLineCol(t *testing.T) {
	tests := []struct {
		spec      string
		line, col int
		msg       string
	}{
		{"checks:\n  - name: a\n    forbid: '{ status = eror }'\n", 3, 25, "status is one of"},
		{"checks:\n  - name: a\n    forbid: \"{ nme = 1 }\"\n", 3, 16, "unknown field nme"},
		{"checks:\n  - name: a\n    forbid: { nme = 1 }\n", 3, 13, "forbid must be text"},
		{"checks:\n  - name: a\n    expect: |\n      { name = \"x\" }\n        | cnt() > 1\n", 5, 11, "unknown aggregate cnt"},
		{"checks:\n  - name: a\n    traces: '{ trace:nam = \"x\" }'\n    expect: '{}'\n", 3, 16, "unknown field trace:nam"},
		{"checks:\n  - name: a\n    expect: '{}'\n    forbid: '{}'\n", 4, 5, "one expect or forbid"},
		{"checks:\n  - name: a\n", 2, 5, `check "a" has no expect or forbid`},
		{"checks:\n  - name: a\n    expct: '{}'\n", 3, 5, `unknown key "expct"`},
		{"check:\n  - name: a\n", 1, 1, `unknown key "check"`},
		{"checks: []\n", 1, 9, "non-empty list"},
		{"checks:\n  - name: a\n    expect: '{}'\n  - name: a\n    expect: '{}'\n", 4, 5, `named twice (first on line 2)`},
		{"checks:\n  - name: 'a\n", 2, 1, "bad YAML"},
		{"- a\n", 1, 1, "want a mapping"},
	}
	for _, tt := range tests {
		_, err := ParseSpec("c.yaml", []byte(tt.spec))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: %v, want an *Error", tt.spec, err)
			continue
		}
		if e.File != "c.yaml" || e.Line != tt.line || e.Col != tt.col || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%q: %s, want c.yaml:%d:%d and %q", tt.spec, e, tt.line, tt.col, tt.msg)
		}
	}
}

func TestParseSpecEmpty(t *testing.T) {
	_, err := ParseSpec("c.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "c.yaml: empty spec") {
		t.Errorf("got %v", err)
	}
}
