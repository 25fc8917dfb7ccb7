package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	for _, src := range []string{
		`{}`,
		`{ }`,
		"{\n  status = error\n}",
		`{ name = 'single quoted' }`,
		"{ name =~ `raw\\d+` }",
		`{ name == "forgiving equals" }`,
		`{ duration > 1.5s }`,
		`{ duration > 1m30s }`,
		`{ duration >= 250us && duration < 2h }`,
		`{ span.x > -3 }`,
		`{ span.x = 1e3 }`,
		`{ span.x = .5 }`,
		`{ span.http.status_code >= 500 }`,
		`{ span.a-b = "dash" }`,
		`{ trace:tag.release = "v1" }`,
		`{ assessment.relevance = "yes" }`,
		`{ kind = producer || kind = consumer }`,
		`{ trace:state = in_progress }`,
		`{ span.a = nil }`,
		`{ type = "AGENT" } > { type = "TOOL" } >> { status = error }`,
		`({ name = "a" } || { name = "b" }) && { name = "c" }`,
		`{} | count() > 2`,
		`{ type = "LLM" } | avg(duration) < 2s`,
		`{} | sum(span.tokens) <= 10`,
		`{} | max(cost) < 0.5`,
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

func TestParseErrorsPointAtTheColumn(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		msg       string // a part of the message
	}{
		{``, 1, 1, "empty expression"},
		{`status = error`, 1, 1, "want a span selector"},
		{`{ status = error`, 1, 17, "want }"},
		{`{ status = eror }`, 1, 12, "status is one of ok, error, unset"},
		{`{ status > ok }`, 1, 10, "compares with = != =~ !~ only"},
		{`{ duration > 5 }`, 1, 14, "duration is a duration"},
		{`{ duration > "5s" }`, 1, 14, "duration is a duration"},
		{`{ total_tokens > 1s }`, 1, 18, "total_tokens is a number"},
		{`{ name = 3 }`, 1, 10, "name is a string"},
		{`{ nme = "x" }`, 1, 3, "unknown field nme"},
		{`{ span. = 1 }`, 1, 8, "span. needs a key"},
		{`{ name = foo }`, 1, 10, `unknown value foo: quote a string ("foo")`},
		{`{ name =~ "(" }`, 1, 11, "bad regular expression"},
		{`{ name =~ 3 }`, 1, 11, "takes a regular expression in quotes"},
		{`{ duration =~ "1s" }`, 1, 12, "regular expressions match text fields"},
		{`{ name = "abc }`, 1, 10, "string not closed"},
		{`{ name = "a\q" }`, 1, 10, "bad escape"},
		{`{ duration > 5xs }`, 1, 14, "bad duration"},
		{`{ name # "x" }`, 1, 8, "unexpected character '#'"},
		{`{ name "x" }`, 1, 8, "want a comparison"},
		{`{ span.a > true }`, 1, 10, "true and false compare with = or != only"},
		{`{ span.a < nil }`, 1, 10, "nil compares with = or != only"},
		{`{ name = "a" } >`, 1, 17, "want a span selector"},
		{`{} | count()`, 1, 13, "want a comparison"},
		{`{} | count() > 1s`, 1, 16, "count() compares with a number"},
		{`{} | sum(duration) > 5`, 1, 22, "sum() compares with a duration"},
		{`{} | sum(name) > 5`, 1, 10, "not a number or a duration"},
		{`{} | median(duration) > 5`, 1, 6, "unknown aggregate median"},
		{`{} | count() > 1 | count() > 2`, 1, 18, "one aggregate per expression"},
		{`{ name = "a" } { name = "b" }`, 1, 16, "unexpected"},
		{"{\n  name = \"a\" &&\n  bogus = 1\n}", 3, 3, "unknown field bogus"},
		{`{ name = "é" && nme = "x" }`, 1, 17, "unknown field nme"}, // columns count characters
		{strings.Repeat("(", 300) + "{}" + strings.Repeat(")", 300), 1, 201, "nested too deeply"},
		{"{ " + strings.Repeat("!", 300) + "true }", 1, 202, "nested too deeply"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tt.src, err)
			continue
		}
		if e.Line != tt.line || e.Col != tt.col || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q): line %d col %d %q, want line %d col %d and %q", tt.src, e.Line, e.Col, e.Msg, tt.line, tt.col, tt.msg)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse(`{ nme = "x" }`)
	if got := err.Error(); !strings.HasPrefix(got, "column 3: unknown field nme") {
		t.Errorf("got %q", got)
	}
	e := &Error{File: "checks.yaml", Line: 4, Col: 9, Msg: "bad"}
	if got := e.Error(); got != "checks.yaml:4:9: bad" {
		t.Errorf("got %q", got)
	}
}
