package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeSpec is the YAML block of the README's "Checks for LLM apps".
func readmeSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Checks for LLM apps")
	if !ok {
		t.Fatal(`README.md has no "## Checks for LLM apps" section`)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("the section has no ```yaml block")
	}
	spec, _, _ := strings.Cut(rest, "```")
	return spec
}

// recipeSpan is a span of a hand-made MLflow 3 trace.
type recipeSpan struct {
	id, parent     byte
	name, typ      string
	startMS, endMS int64
	failed         bool
	attrs          map[string]any
}

// recipeTrace writes an MLflow 3 trace named agent.
func recipeTrace(t *testing.T, dir, file, hexID, state string, durMS int64, relevance string, spans []recipeSpan) string {
	t.Helper()
	tid, err := hex.DecodeString(hexID)
	if err != nil {
		t.Fatal(err)
	}
	sid := func(b byte) string { return base64.StdEncoding.EncodeToString([]byte{0, 0, 0, 0, 0, 0, 0, b}) }
	var list []any
	for _, s := range spans {
		attrs := map[string]any{"mlflow.spanType": `"` + s.typ + `"`}
		for k, v := range s.attrs {
			b, _ := json.Marshal(v)
			attrs[k] = string(b)
		}
		var parent any
		if s.parent != 0 {
			parent = sid(s.parent)
		}
		code := "STATUS_CODE_OK"
		if s.failed {
			code = "STATUS_CODE_ERROR"
		}
		list = append(list, map[string]any{
			"trace_id": base64.StdEncoding.EncodeToString(tid), "span_id": sid(s.id), "parent_span_id": parent, "name": s.name,
			"start_time_unix_nano": 1735689600000000000 + s.startMS*1e6, "end_time_unix_nano": 1735689600000000000 + s.endMS*1e6,
			"status": map[string]any{"code": code, "message": ""}, "events": []any{}, "attributes": attrs,
		})
	}
	doc := map[string]any{
		"info": map[string]any{
			"trace_id": "tr-" + hexID, "request_time": "2025-01-01T00:00:00.000Z", "state": state, "execution_duration_ms": durMS,
			"trace_metadata": map[string]any{"mlflow.trace_schema.version": "3"}, "tags": map[string]any{"mlflow.traceName": "agent"},
			"assessments": []any{map[string]any{"assessment_name": "relevance", "trace_id": "tr-" + hexID,
				"source": map[string]any{"source_type": "LLM_JUDGE"}, "feedback": map[string]any{"value": relevance}}},
		},
		"data": map[string]any{"spans": list},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadmeRecipes runs the README's recipes: every one passes on a good
// agent trace, and every one fails on a bad one.
func TestReadmeRecipes(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "checks.yaml")
	if err := os.WriteFile(spec, []byte(readmeSpec(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	usage := func(in, out int) map[string]any {
		return map[string]any{"input_tokens": in, "output_tokens": out, "total_tokens": in + out}
	}
	good := recipeTrace(t, dir, "good.json", "0af7651916cd43dd8448eb211c803101", "OK", 5000, "yes", []recipeSpan{
		{id: 1, name: "agent", typ: "AGENT", endMS: 5000},
		{id: 2, parent: 1, name: "retrieve", typ: "RETRIEVER", startMS: 10, endMS: 200},
		{id: 3, parent: 1, name: "web_search", typ: "TOOL", startMS: 200, endMS: 900, attrs: map[string]any{"gen_ai.tool.name": "web_search"}},
		{id: 4, parent: 1, name: "answer", typ: "CHAT_MODEL", startMS: 900, endMS: 2900,
			attrs: map[string]any{"mlflow.llm.model": "gpt-4o-mini", "mlflow.chat.tokenUsage": usage(900, 100)}},
	})
	bad := []recipeSpan{{id: 1, name: "agent", typ: "AGENT", endMS: 40_000}}
	for k := range 9 { // 9 model calls of 3,000 tokens, one of 12 s, an unapproved model
		bad = append(bad, recipeSpan{id: byte(2 + k), parent: 1, name: "answer", typ: "LLM", startMS: int64(k) * 100, endMS: int64(k)*100 + 50,
			attrs: map[string]any{"mlflow.llm.model": "gpt-3.5-turbo", "mlflow.chat.tokenUsage": usage(2000, 1000)}})
	}
	bad[1].endMS = 12_000
	for k := range 6 { // 6 tool calls, one failed, none a web search
		bad = append(bad, recipeSpan{id: byte(20 + k), parent: 1, name: "calculator", typ: "TOOL", startMS: 1000 + int64(k)*100, endMS: 1050 + int64(k)*100,
			failed: k == 0, attrs: map[string]any{"gen_ai.tool.name": "calculator"}})
	}
	badPath := recipeTrace(t, dir, "bad.json", "0af7651916cd43dd8448eb211c803102", "ERROR", 40_000, "no", bad)

	stdout, stderr, code := runMain(t, "", "check", "--spec", spec, "-o", "json", good)
	var doc checkReportJSON
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	if code != exitOK || len(doc.Checks) < 8 {
		t.Fatalf("good trace: exit %d, %d checks\n%s", code, len(doc.Checks), stderr)
	}
	for _, c := range doc.Checks {
		if c.Passed != 1 {
			t.Errorf("recipe %q does not pass on the good trace: %+v", c.Name, c)
		}
	}

	stdout, stderr, code = runMain(t, "", "check", "--spec", spec, "-o", "json", badPath)
	doc = checkReportJSON{}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	if code != exitCheckFailed {
		t.Fatalf("bad trace: exit %d, want 3\n%s", code, stderr)
	}
	for _, c := range doc.Checks {
		if c.Failed != 1 {
			t.Errorf("recipe %q does not fail on the bad trace: %+v", c.Name, c)
		}
	}
}
