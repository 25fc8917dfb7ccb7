package query

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input makes the parser or the evaluator panic; every
// error is an *Error whose column lies within the expression's line; a
// query that parses evaluates on a hand-made trace.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `{ status = error }`, `{ type = "TOOL" && status = error }`,
		`{ type = "AGENT" } >> { span.gen_ai.tool.name = "web_search" }`,
		`{} | sum(total_tokens) <= 20000`, `{ type = "LLM" } | count() <= 8`,
		`{ duration > 1m30s || name =~ "a.*" }`, `({ a = 1 } || { b = nil }) > { !(c != "x") }`,
		`{ trace:tag.env = "prod" && assessment.relevance = "yes" }`, "{ name = `x\\d` }",
		`{ name = "a\u00e9" } && { kind = server }`, `{ span.x >= -1.5e3 }`,
	} {
		f.Add(s)
	}
	tr := agentTrace(f)
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): %T %v, want *Error", src, err, err)
			}
			if e.Line < 1 || e.Col < 1 || e.Col > utf8.RuneCountInString(e.Source)+1 {
				t.Fatalf("Parse(%q): line %d col %d outside %q", src, e.Line, e.Col, e.Source)
			}
			return
		}
		r := q.Eval(tr)
		if q.agg == nil && r.Match != (len(r.Spans) > 0) {
			t.Fatalf("%q: Match %v with %d spans", src, r.Match, len(r.Spans))
		}
	})
}
