package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"tracectl/internal/render"
)

// v3Doc is an MLflow 3 trace document (info and spans) with the span dicts
// given.
func v3Doc(traceID, state, spans string) string {
	return `{"info":{"trace_id":"` + traceID + `","request_time":"2025-01-01T00:00:00.000Z","execution_duration_ms":5,"state":"` + state + `","trace_metadata":{},"tags":{}},"data":{"spans":[` + spans + `]}}`
}

// v3Span is an MLflow 3 span dict of trace 0af7651916cd43dd8448eb211c80319c.
func v3Span(id, parent, name, code string, start, end int64, extra string) string {
	p := "null"
	if parent != "" {
		p = `"` + parent + `"`
	}
	return `{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"` + id + `","parent_span_id":` + p + `,"name":"` + name + `","start_time_unix_nano":` + strconv.FormatInt(start, 10) + `,"end_time_unix_nano":` + strconv.FormatInt(end, 10) + `,"status":{"code":"` + code + `","message":""},"attributes":{}` + extra + `}`
}

const (
	spanRoot  = "EAAAAAAAAAE=" // 1000000000000001
	spanChild = "EAAAAAAAAAI=" // 1000000000000002
	spanOther = "EAAAAAAAAAM=" // 1000000000000003
)

func TestShowErrorsOnlySkipsCleanTracesAndCountsHiddenSpans(t *testing.T) {
	failed := v3Doc("tr-failed", "ERROR",
		v3Span(spanRoot, "", "root", "STATUS_CODE_ERROR", 10, 100, "")+","+
			v3Span(spanChild, spanRoot, "healthy", "STATUS_CODE_OK", 20, 30, "")+","+
			v3Span(spanOther, spanRoot, "broken", "STATUS_CODE_ERROR", 40, 50, ""))
	clean := func(id string) string {
		return v3Doc(id, "OK", v3Span(spanRoot, "", "fine", "STATUS_CODE_OK", 10, 100, ""))
	}
	out, _, code := runMain(t, clean("tr-clean1")+"\n"+failed+"\n"+clean("tr-clean2"), "show", "--errors-only")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "tr-clean") || strings.Contains(out, "no failing spans") {
		t.Errorf("clean traces printed:\n%s", out)
	}
	if !strings.Contains(out, "tr-failed") {
		t.Errorf("the failed trace is missing:\n%s", out)
	}
	if !strings.Contains(out, "root (+1 nested)") || strings.Contains(out, "healthy") {
		t.Errorf("the healthy child must be counted on its parent, not printed:\n%s", out)
	}
	if !strings.HasSuffix(out, "2 traces without failures not shown\n") {
		t.Errorf("no summary of clean traces at the end:\n%s", out)
	}
}

func TestRootsSingularRoot(t *testing.T) {
	streams, _, out, _ := render.Test()
	p := render.NewPrinter(streams)
	p.RootRows([]render.RootJSON{{TraceID: "tr-x", RootName: "a", RootCount: 2, State: "OK"}, {TraceID: "tr-y", RootName: "b", RootCount: 3, State: "OK"}})
	p.Flush()
	if !strings.Contains(out.String(), "a (+1 root) ") || !strings.Contains(out.String(), "b (+2 roots)") {
		t.Errorf("root counts:\n%s", out)
	}
}

func TestShowEventWithoutTimestamp(t *testing.T) {
	doc := v3Doc("tr-ev", "OK", v3Span(spanRoot, "", "root", "STATUS_CODE_OK", 1735689600000000000, 1735689600005000000,
		`,"events":[{"name":"untimed","timestamp":0,"attributes":{}}]`))
	out, _, _ := runMain(t, doc, "show", "--events")
	if !strings.Contains(out, "@- untimed") {
		t.Errorf("an event without a time must show @-:\n%s", out)
	}
}

func TestPreviewNullIsDash(t *testing.T) {
	doc := `{"info":{"trace_id":"tr-nothing","request_time":"2025-01-01T00:00:00.000Z","execution_duration_ms":5,"state":"OK","request_preview":"null","response_preview":"null","trace_metadata":{},"tags":{}},"data":{"spans":[]}}`
	out, _, _ := runMain(t, doc, "preview")
	if strings.Contains(out, "null") || !strings.Contains(out, "request   -") || !strings.Contains(out, "response  -") {
		t.Errorf("null previews must print as -:\n%s", out)
	}
}

func TestSpanEndingBeforeItStartsWarnsOnce(t *testing.T) {
	in := otlpLine(traceA, "0000000000000001", "", "root", 50, 40) + "\n" +
		otlpLine(traceA, "0000000000000002", "0000000000000001", "child", 45, 41)
	_, warnings := loadString(t, in)
	var n int
	for _, w := range warnings {
		if strings.Contains(w.Msg, "before") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d warnings about spans ending before they start, want 1: %v", n, warnings)
	}
}

func TestShowFitsNarrowTerminal(t *testing.T) {
	long := "a_really_long_span_name_that_goes_on_and_on_and_on"
	doc := v3Doc("tr-narrow", "OK",
		v3Span(spanRoot, "", long, "STATUS_CODE_OK", 1735689600000000000, 1735689600005000000, "")+","+
			v3Span(spanChild, spanRoot, long+"_child", "STATUS_CODE_OK", 1735689600001000000, 1735689600002000000, ""))
	streams, in, out, _ := render.Test()
	in.WriteString(doc)
	streams.OutTTY = true
	streams.Width = 60
	if code := Main([]string{"--color", "never", "show"}, streams); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if w := ansi.StringWidth(line); w > 60 {
			t.Errorf("line of %d cells at width 60: %q", w, line)
		}
	}
	if !strings.Contains(out.String(), "…") {
		t.Errorf("long names are not clipped with …:\n%s", out)
	}
}
