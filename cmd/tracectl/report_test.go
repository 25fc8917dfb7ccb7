package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tracectl/internal/render"
)

var reportBlockRE = regexp.MustCompile(`(?s)<script type="application/json" id="tracectl-(data|tail)">(.*?)</script>`)

// reportBlocks runs report -o - from the repository root and returns its
// data and tail blocks, indented.
func reportBlocks(t *testing.T, args ...string) (page string, blocks []byte) {
	t.Helper()
	t.Chdir(repoAbs)
	streams, _, out, errOut := render.Test()
	if code := Main(append([]string{"report", "-o", "-"}, args...), streams); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page = out.String()
	var b bytes.Buffer
	for _, m := range reportBlockRE.FindAllStringSubmatch(page, -1) {
		b.WriteString("-- " + m[1] + " --\n")
		if err := json.Indent(&b, []byte(m[2]), "", "  "); err != nil {
			t.Fatalf("%s block: %v", m[1], err)
		}
		b.WriteString("\n")
	}
	if !strings.Contains(b.String(), "-- tail --") {
		t.Fatalf("blocks missing:\n%s", b.String())
	}
	return page, b.Bytes()
}

// TestGoldenReportData pins the data the page is built from: trace heads,
// spans in tree order with parents, offsets, critical marks, inputs and
// outputs apart from the attributes, check results.
func TestGoldenReportData(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		sample string // a file of sharedSamplesDir, the last argument (skipped without it)
	}{
		{"failing-agent-checks", []string{"--title", "agent", "--forbid", "{ status = error }", "--expect", "{ type = \"LLM\" }", "testdata/insight/failing_agent.json"}, ""},
		{"databricks", []string{"--title", "databricks"}, goldenSamples[0].file},
		{"otlp-jsonl", []string{"--title", "otlp"}, goldenSamples[3].file},
		{"xss", []string{"--title", "<img src=x onerror=window.__xss=1>", "testdata/report/xss.json"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.sample != "" {
				args = append(append([]string(nil), args...), samplePath(t, c.sample))
			}
			_, blocks := reportBlocks(t, args...)
			checkGolden(t, filepath.Join("testdata/golden/report", c.name+".json"), blocks)
		})
	}
}

// TestReportEscapesTraceMarkup: the hostile fixture's markup appears in
// the page only as escaped JSON, never as a tag.
func TestReportEscapesTraceMarkup(t *testing.T) {
	page, blocks := reportBlocks(t, "--title", "</title><script>window.__xss=1</script>", "testdata/report/xss.json")
	lower := strings.ToLower(page)
	for _, tag := range []string{"<img", "<svg", "<iframe", "<b ", "<i>", "<script>window"} {
		if strings.Contains(lower, tag) {
			t.Errorf("the page holds %q", tag)
		}
	}
	if n := strings.Count(lower, "</script"); n != 3 {
		t.Errorf("%d </script in the page, want the template's 3", n)
	}
	if strings.Contains(page, "<!--") {
		t.Error("<!-- in the page")
	}
	// Decoded, the text is all there, unchanged.
	for _, want := range []string{`"name": "<img src=x onerror=window.__xss=1>"`, `"name": "</script><script>window.__xss=1</script>"`, `"title": "</title><script>window.__xss=1</script>"`} {
		if !bytes.Contains(unescapeHTML(blocks), []byte(want)) {
			t.Errorf("data lacks %s", want)
		}
	}
}

// unescapeHTML undoes encoding/json's HTML escaping.
func unescapeHTML(b []byte) []byte {
	r := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	return []byte(r.Replace(string(b)))
}

func TestLooksLikeHTML(t *testing.T) {
	for in, want := range map[string]bool{
		"<!DOCTYPE html>\n<html>": true,
		"\ufeff  <html lang=en>":  true,
		"<!-- saved -->":          true,
		`{"resourceSpans":[]}`:    false,
		"<?xml version":           false,
		"hello":                   false,
	} {
		if got := looksLikeHTML([]byte(in)); got != want {
			t.Errorf("looksLikeHTML(%q) = %v, want %v", in, got, want)
		}
	}
}
