package spanjson

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The read-only formats (Jaeger, Zipkin, the OTel console dump, Langfuse,
// LangSmith) convert to every schema tracectl writes: each trace of a
// small fixture of each (and of the real samples, when ../shared/samples
// is there) is written as MLflow 3, MLflow 2 and OTLP and read back. What
// every schema carries comes back equal (span count, ids, names, parents,
// times, status, events); what differs otherwise (kinds, resources,
// scopes, links, attribute values, trace info) is in the write's loss
// report.

// newFormatFixtures are the repository's fixtures of the read-only formats.
var newFormatFixtures = []string{
	"jaeger_query.json", "jaeger_spans.json", "jaeger_trace.json", "jaeger_v3.json",
	"zipkin_span.json", "zipkin_spans.json", "zipkin_unshared_pair.json",
	"console_trace.json", "console_array.json", "console_snapshot.json", "console_old_sdk.json", "console_bad_time.json",
	"langfuse_export.json", "langfuse_api_trace.json",
	"langsmith_nested.json", "langsmith_runs.jsonl",
}

// newFormatSamples picks the real samples of the read-only formats.
func newFormatSamples() []string {
	files, _ := filepath.Glob(sharedSamplesDir + "/*.json*")
	var out []string
	for _, f := range files {
		b := filepath.Base(f)
		for _, part := range []string{"jaegertracing-", "openzipkin-", "zipkinreceiver", "_console-", "Arize-ai-phoenix", "langfuse-", "langsmith-"} {
			if strings.Contains(b, part) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// convertedSpan is what is compared of a span after a write and a read.
type convertedSpan struct {
	TraceID, SpanID, ParentID string
	Name                      string
	Start, End                int64
	Status                    Status
	Events                    string // names and times
}

func convertedSpans(spans []Span) []convertedSpan {
	out := make([]convertedSpan, 0, len(spans))
	for _, s := range spans {
		c := convertedSpan{TraceID: s.TraceID().String(), SpanID: s.SpanID().String(), ParentID: s.ParentID().String(),
			Name: s.Name(), Start: s.StartTime(), End: s.EndTime(), Status: s.Status()}
		for _, e := range s.Events() {
			c.Events += fmt.Sprintf("%s@%d;", e.Name, e.Time)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b convertedSpan) int { return strings.Compare(a.SpanID+a.Name, b.SpanID+b.Name) })
	return out
}

// spanDifferences names, for each way a read-back span can differ, the losses
// that must report it (any one of them).
func spanDifferences(had, back Span, schema Schema) map[string][]string {
	diff := map[string][]string{}
	// MLflow spans have no kind: they are INTERNAL, which is not a loss.
	internal := func(k SpanKind) bool { return k == SpanKindUnspecified || k == SpanKindInternal }
	if had.Kind() != back.Kind() && !(internal(had.Kind()) && internal(back.Kind())) {
		diff["kind"] = []string{"span.kind"}
	}
	if (had.Resource() != nil && had.Resource().Attributes.Len() > 0) != (back.Resource() != nil && back.Resource().Attributes.Len() > 0) {
		diff["resource"] = []string{"span.resource"}
	}
	if hs, bs := had.Scope(), back.Scope(); (hs != nil && hs.Name != "") != (bs != nil && bs.Name != "") {
		diff["scope"] = []string{"span.scope"}
	}
	if len(had.Links()) != len(back.Links()) {
		diff["links"] = []string{"span.links"}
	}
	ha, ba := map[string]string{}, map[string]string{}
	for a := range had.Attributes().All() {
		ha[a.Key] = decodedText(a)
	}
	for a := range back.Attributes().All() {
		ba[a.Key] = decodedText(a)
	}
	for k, v := range ha {
		if bv, ok := ba[k]; !ok || (bv != v && !strings.HasPrefix(v, "bytes:")) {
			diff["attribute "+k] = []string{"attribute value type"}
		}
	}
	if schema == SchemaOTLP && had.Data().TraceState != back.Data().TraceState {
		diff["trace_state"] = []string{"span.trace_state"}
	}
	return diff
}

func TestNewFormatsConvertToEverySchema(t *testing.T) {
	files := make([]string, 0, len(newFormatFixtures))
	for _, f := range newFormatFixtures {
		files = append(files, filepath.Join(fixturesDir, f))
	}
	samples := newFormatSamples()
	if len(samples) == 0 {
		t.Log("no samples in " + sharedSamplesDir + ": the fixtures only")
	}
	files = append(files, samples...)
	traces := 0
	for _, f := range files {
		docs, err := decodeFile(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range docs {
			for i := range d.Traces {
				tr := &d.Traces[i]
				traces++
				for _, schema := range []Schema{SchemaMLflowV3, SchemaMLflowV2, SchemaOTLP} {
					name := fmt.Sprintf("%s/%d/%s", filepath.Base(f), traces, schema)
					t.Run(name, func(t *testing.T) { checkConverted(t, tr, schema) })
				}
			}
		}
	}
	if traces < len(newFormatFixtures) {
		t.Errorf("%d traces in %d files", traces, len(files))
	}
}

// checkConverted writes tr in schema, reads it back and compares.
func checkConverted(t *testing.T, tr *Trace, schema Schema) {
	out, losses, err := AppendTrace(nil, schema, tr)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	lost := lossMap(losses)
	docs, err := DecodeAll(bytes.NewReader(out), "back")
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, clipForLog(out))
	}
	var back []Span
	var backInfo *TraceInfo
	for _, d := range docs {
		if d.Schema != schema {
			t.Fatalf("read back as %s", d.Schema)
		}
		for i := range d.Traces {
			back = append(back, d.Traces[i].Spans...)
			backInfo = &d.Traces[i].Info
		}
	}
	if len(back) != len(tr.Spans) {
		t.Fatalf("%d spans read back, want %d", len(back), len(tr.Spans))
	}
	had, got := convertedSpans(tr.Spans), convertedSpans(back)
	if lost["span.opaque_id"] == 0 {
		for i := range had {
			if had[i] != got[i] {
				t.Errorf("span %d:\nhad  %+v\ngot  %+v", i, had[i], got[i])
			}
		}
	} else {
		// undecodable ids are written as their text or stand-ins: the
		// rest of the span still comes back
		for i := range had {
			h, g := had[i], got[i]
			h.TraceID, h.SpanID, h.ParentID, g.TraceID, g.SpanID, g.ParentID = "", "", "", "", "", ""
			if h.Name != g.Name || h.Start != g.Start || h.End != g.End || h.Status != g.Status {
				t.Errorf("span %d (opaque ids):\nhad  %+v\ngot  %+v", i, h, g)
			}
		}
	}
	// Every other difference is reported.
	byID := map[SpanID]Span{}
	for _, s := range back {
		byID[s.SpanID()] = s
	}
	for _, s := range tr.Spans {
		b, ok := byID[s.SpanID()]
		if !ok {
			continue // opaque ids, compared above
		}
		for what, fields := range spanDifferences(s, b, schema) {
			if !slices.ContainsFunc(fields, func(f string) bool { return lost[f] > 0 }) {
				t.Errorf("span %q: %s differs after the write, not reported (losses %v)", s.Name(), what, losses)
			}
		}
	}
	if backInfo == nil {
		return
	}
	if want := WrittenTraceID(schema, tr); backInfo.TraceID != want && len(docs) == 1 {
		t.Errorf("trace id %q read back, WrittenTraceID says %q", backInfo.TraceID, want)
	}
	in := &tr.Info
	if in.Derived {
		return
	}
	// Trace info read with the trace (Langfuse): what OTLP cannot carry is
	// reported.
	if schema == SchemaOTLP {
		for field, n := range map[string]int{"info.trace_metadata": len(in.Metadata), "info.assessments": len(in.Assessments)} {
			if n > 0 && lost[field] != n {
				t.Errorf("%s: %d lost reported, want %d", field, lost[field], n)
			}
		}
		return
	}
	if len(backInfo.Assessments) != len(in.Assessments) {
		t.Errorf("%d assessments read back, want %d", len(backInfo.Assessments), len(in.Assessments))
	}
	for k, v := range in.Tags {
		if backInfo.Tags[k] != v {
			t.Errorf("tag %s = %q read back, want %q", k, backInfo.Tags[k], v)
		}
	}
	if backInfo.State != in.State && lost["info.state"] == 0 {
		t.Errorf("state %s read back, want %s", backInfo.State, in.State)
	}
	if backInfo.RequestPreview != in.RequestPreview && lost["info.request_preview"] == 0 {
		t.Errorf("request preview %q read back, want %q", backInfo.RequestPreview, in.RequestPreview)
	}
}

func clipForLog(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
