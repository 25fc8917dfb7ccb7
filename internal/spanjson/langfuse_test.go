package spanjson

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeOneTrace decodes a file that holds one document of one trace.
func decodeOneTrace(t *testing.T, path string) (*Document, *Trace) {
	t.Helper()
	docs, err := decodeFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || len(docs[0].Traces) != 1 {
		t.Fatalf("want one document of one trace, got %v", summarize(docs))
	}
	return docs[0], &docs[0].Traces[0]
}

func attrText(t *testing.T, s Span, key string) string {
	t.Helper()
	v, ok := s.Attributes().String(key)
	if !ok {
		t.Errorf("span %q has no %s", s.Name(), key)
	}
	return v
}

func rawAttr(s Span, key string) string {
	v, _ := s.Attributes().Raw(key)
	return v
}

func TestLangfuseExport(t *testing.T) {
	doc, tr := decodeOneTrace(t, fixturesDir+"/langfuse_export.json")
	if doc.Schema != SchemaLangfuse || doc.Shape != "Langfuse trace export" || len(doc.Warnings) != 0 {
		t.Errorf("schema %s, shape %q, warnings %v", doc.Schema, doc.Shape, doc.Warnings)
	}
	const tid = "7d0c3bc6a9e1f2a4b5c6d7e8f9a0b1c2"
	// The full copies at the top level, then the observation only the
	// summaries have.
	got := summarize([]*Document{doc})[0].Traces[0]
	want := traceSum{ID: "tr-" + tid, Spans: []spanSum{
		{tid, "a1b2c3d4e5f60718", "0a0b0c0d0e0f1011", "llm", 1746086400100000000, 1746086401100000000, Status{}, "CHAT_MODEL", 0},
		{tid, "0a0b0c0d0e0f1011", "", "qa", 1746086400000000000, 1746086401500000000, Status{}, "CHAIN", 0},
		{tid, "9999aaaabbbbcccc", "0a0b0c0d0e0f1011", "search", 1746086401100000000, 1746086401200000000, Status{StatusError, "search failed"}, "TOOL", 0},
		{tid, "dddd000011112222", "0a0b0c0d0e0f1011", "note", 1746086401250000000, 1746086401250000000, Status{}, "UNKNOWN", 0},
		{tid, "5555666677778888", "0a0b0c0d0e0f1011", "summary-only", 1746086401300000000, 1746086401400000000, Status{}, "UNKNOWN", 0},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}

	in := tr.Info
	if in.Derived || in.State != StateOK || !in.HasDuration || in.ExecutionDuration != 1500*time.Millisecond ||
		!in.RequestTime.Equal(time.Unix(0, 1746086400000000000)) {
		t.Errorf("info %+v", in)
	}
	wantMeta := map[string]string{
		MetaTraceUser: "user-7", MetaTraceSession: "sess-9",
		"langfuse.projectId": "proj-1", "langfuse.environment": "default", "langfuse.release": "v1.2",
		"langfuse.metadata": `{"resourceAttributes":{"service.name":"qa-app"}}`,
		MetaTokenUsage:      `{"input_tokens":10,"output_tokens":5,"total_tokens":15}`,
	}
	if diff := cmp.Diff(wantMeta, in.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	wantTags := map[string]string{TagTraceName: "qa", "langfuse.tags": `["prod","beta"]`}
	if diff := cmp.Diff(wantTags, in.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	// The trace input is JSON text in a JSON string: decoded twice.
	if in.RequestPreview != `{"question":"why?"}` || in.ResponsePreview != `{"answer":"because"}` {
		t.Errorf("previews %q, %q", in.RequestPreview, in.ResponsePreview)
	}

	// Scores become MLflow feedback, by data type.
	wantAssess := []string{
		`{"assessment_id":"score-1","assessment_name":"correct","trace_id":"tr-` + tid + `","span_id":"a1b2c3d4e5f60718","source":{"source_type":"HUMAN","source_id":"u-1"},"create_time":"2025-05-01T09:00:00.000Z","last_update_time":"2025-05-01T09:00:01.000Z","feedback":{"value":true},"rationale":"looks right","metadata":{"langfuse.dataType":"BOOLEAN","langfuse.source":"ANNOTATION","reviewer":"ann"}}`,
		`{"assessment_id":"score-2","assessment_name":"tone","trace_id":"tr-` + tid + `","source":{"source_type":"CODE"},"create_time":"2025-05-01T09:01:00.000Z","feedback":{"value":"friendly"},"metadata":{"langfuse.dataType":"CATEGORICAL","langfuse.source":"API"}}`,
		`{"assessment_id":"score-3","assessment_name":"relevance","trace_id":"tr-` + tid + `","source":{"source_type":"LLM_JUDGE"},"create_time":"2025-05-01T09:02:00.000Z","feedback":{"value":0.75},"rationale":"mostly on topic","metadata":{"langfuse.configId":"cfg-3","langfuse.dataType":"NUMERIC","langfuse.source":"EVAL"}}`,
	}
	var gotAssess []string
	for _, a := range in.Assessments {
		gotAssess = append(gotAssess, string(a))
	}
	if diff := cmp.Diff(wantAssess, gotAssess); diff != "" {
		t.Errorf("assessments (-want +got):\n%s", diff)
	}

	llm := spanByName(t, tr.Spans, "llm")
	for key, want := range map[string]string{
		AttrInputs:                     `[{"role":"user","content":"why?"}]`,
		AttrOutputs:                    `{"role":"assistant","content":"because"}`,
		AttrTokenUsage:                 `{"input_tokens":10,"output_tokens":5,"total_tokens":15}`,
		"mlflow.llm.model":             `"gpt-4o"`,
		"langfuse.model":               "gpt-4o",
		"langfuse.level":               "WARNING",
		"langfuse.statusMessage":       "slow answer",
		"langfuse.usageDetails":        `{"input":10,"output":5,"total":15,"input_cache_read":2}`,
		"langfuse.completionStartTime": "2025-05-01T08:00:00.400Z",
		"gen_ai.system":                "openai",
		"metadata.thread_id":           "th-1",
	} {
		if got := rawAttr(llm, key); got != want {
			t.Errorf("llm %s = %q, want %q", key, got, want)
		}
	}
	for _, gone := range []string{"langfuse.projectId", "langfuse.createdAt", "langfuse.latency", "langfuse.totalCost", "langfuse.inputUsage"} {
		if _, ok := llm.Attributes().Raw(gone); ok {
			t.Errorf("llm keeps bookkeeping %s", gone)
		}
	}
	d := llm.Data()
	if d.Resource == nil || d.Scope == nil || d.Scope.Name != "langfuse-sdk" || d.Scope.Version != "3.3.0" {
		t.Errorf("resource %+v, scope %+v", d.Resource, d.Scope)
	}
	if root := spanByName(t, tr.Spans, "qa"); root.Data().Resource != d.Resource {
		t.Errorf("spans of one resource do not share it")
	}
	// A Python repr is not JSON: kept as a string. An event has no
	// duration.
	if got := rawAttr(spanByName(t, tr.Spans, "search"), AttrInputs); got != `"{'q': 'why'}"` {
		t.Errorf("search input %q", got)
	}
	note := spanByName(t, tr.Spans, "note")
	if attrText(t, note, "langfuse.type") != "EVENT" || attrText(t, note, "langfuse.level") != "DEBUG" || rawAttr(note, AttrInputs) != `"plain text"` {
		t.Errorf("note %v", note.Attributes().List())
	}
}

// The public API's trace object, from an older SDK: UUID ids, legacy
// usage, and two observations without a parent, put under a root made
// from the trace.
func TestLangfuseAPITrace(t *testing.T) {
	doc, tr := decodeOneTrace(t, fixturesDir+"/langfuse_api_trace.json")
	rootID, _ := textSpanID("b6d7e1c0-1a2b-4c3d-8e9f-0123456789ab/trace")
	postID, _ := textSpanID("obs-2")
	want := []string{"langfuse_api_trace.json:1:1: 2 observations have no parent: they are put under a root span " + rootID.String() + " made from the trace"}
	if diff := cmp.Diff(want, allWarnings([]*Document{doc})); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	const tid = "b6d7e1c01a2b4c3d8e9f0123456789ab"
	got := summarize([]*Document{doc})[0].Traces[0]
	wantTrace := traceSum{ID: "tr-" + tid, Spans: []spanSum{
		{tid, rootID.String(), "", "chat", 1748736000000000000, 1748736002000000000, Status{}, "UNKNOWN", 0},
		{tid, "8a9b0c1d2e3f4a5b", rootID.String(), "gen", 1748736000100000000, 1748736001000000000, Status{}, "LLM", 0},
		{tid, postID.String(), rootID.String(), "post", 1748736001000000000, 1748736002000000000, Status{}, "RETRIEVER", 0},
	}}
	if diff := cmp.Diff(wantTrace, got); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	gen := spanByName(t, tr.Spans, "gen")
	if rawAttr(gen, "langfuse.observation_id") != "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b" || rawAttr(gen, AttrTokenUsage) != `{"input_tokens":3,"output_tokens":4,"total_tokens":7}` {
		t.Errorf("gen %v", gen.Attributes().List())
	}
	if rawAttr(spanByName(t, tr.Spans, "post"), "langfuse.observation_id") != "obs-2" {
		t.Errorf("post keeps no original id")
	}
	root := spanByName(t, tr.Spans, "chat")
	if rawAttr(root, AttrInputs) != `{"q":"hi"}` || rawAttr(root, AttrOutputs) != `"hello"` {
		t.Errorf("root %v", root.Attributes().List())
	}
	in := tr.Info
	if in.Metadata["langfuse.htmlPath"] != "/project/p1/traces/b6d7e1c0-1a2b-4c3d-8e9f-0123456789ab" || in.Metadata["langfuse.totalCost"] != "0.001" ||
		in.ExecutionDuration != 2*time.Second || in.Assessments == nil || len(in.Assessments) != 0 {
		t.Errorf("info %+v", in)
	}
	if _, ok := in.Metadata["langfuse.trace_id"]; ok {
		t.Errorf("a UUID trace id is not hashed: its hex is the id")
	}
}

// The two real Langfuse exports in ../shared/samples.
func TestLangfuseSamples(t *testing.T) {
	t.Run("openai agents", func(t *testing.T) {
		doc, tr := decodeOneTrace(t, sharedSample(t, "langfuse-langfuse__*openai-agents-*.trace.json"))
		if len(doc.Warnings) != 0 {
			t.Errorf("warnings %v", doc.Warnings)
		}
		const tid = "fee618f96dc31e0ca38b2f7b26eb8b29"
		got := summarize([]*Document{doc})[0].Traces[0]
		want := traceSum{ID: "tr-" + tid, Spans: []spanSum{
			{tid, "e5a76f27f51ad40e", "", "Agent workflow", 1759223039962000000, 1759223042152000000, Status{}, "AGENT", 0},
			{tid, "d950b668796240b5", "e5a76f27f51ad40e", "Hello world", 1759223039962000000, 1759223042152000000, Status{}, "AGENT", 0},
			{tid, "90d94774e8e3724d", "d950b668796240b5", "response", 1759223041001000000, 1759223042151000000, Status{}, "CHAT_MODEL", 0},
			{tid, "98870087af69bf06", "d950b668796240b5", "response", 1759223039963000000, 1759223040999000000, Status{}, "CHAT_MODEL", 0},
			{tid, "5b99c3e3411ed17b", "d950b668796240b5", "get_weather", 1759223041000000000, 1759223041000000000, Status{}, "TOOL", 0},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		in := tr.Info
		if in.ExecutionDuration != 2190*time.Millisecond || in.State != StateOK || in.Tags[TagTraceName] != "Agent workflow" ||
			in.Metadata[MetaTokenUsage] != `{"input_tokens":140,"output_tokens":44,"total_tokens":184}` {
			t.Errorf("info %+v", in)
		}
		var names []string
		for _, a := range in.Assessments {
			var x struct {
				Name     string `json:"assessment_name"`
				Feedback struct {
					Value json.Number `json:"value"`
				} `json:"feedback"`
				Source struct {
					Type string `json:"source_type"`
				} `json:"source"`
			}
			if err := json.Unmarshal(a, &x); err != nil {
				t.Fatal(err)
			}
			names = append(names, x.Name+"="+x.Feedback.Value.String()+"/"+x.Source.Type)
		}
		if diff := cmp.Diff([]string{"toxicity=0.8/LLM_JUDGE", "hallucination=0/LLM_JUDGE"}, names); diff != "" {
			t.Errorf("assessments (-want +got):\n%s", diff)
		}
		if v := rawAttr(spanByName(t, tr.Spans, "get_weather"), AttrInputs); v != `{"city":"Tokyo"}` {
			t.Errorf("tool input %q", v)
		}
	})
	t.Run("langgraph", func(t *testing.T) {
		doc, tr := decodeOneTrace(t, sharedSample(t, "langfuse-langfuse__*langgraph-python-*.trace.json"))
		if len(doc.Warnings) != 0 || len(tr.Spans) != 9 {
			t.Fatalf("%d spans, warnings %v", len(tr.Spans), doc.Warnings)
		}
		root, _ := RootSpan(tr.Spans)
		if root.Name() != "LangGraph" || root.SpanID().String() != "b024c7ee7680b708" || root.StartTime() != 1755855536228000000 || root.EndTime() != 1755855538838000000 {
			t.Errorf("root %+v", root.Data())
		}
		generations := 0
		for _, s := range tr.Spans {
			if s.SpanType() == "CHAT_MODEL" {
				generations++
			}
			if s.SpanID().String() == "21441266a9f21251" && (s.ParentID().String() != "c8a18a38a3a115cb" || rawAttr(s, AttrInputs) != `"{'query': 'example'}"`) {
				t.Errorf("Web-Search %+v", s.Data())
			}
		}
		in := tr.Info
		if generations != 2 || in.Metadata[MetaTokenUsage] != `{"input_tokens":168,"output_tokens":66,"total_tokens":234}` ||
			!strings.HasPrefix(in.RequestPreview, `{"messages":[{"content":"Search the web for 'example' and summarize."`) || len(in.Assessments) != 2 {
			t.Errorf("%d generations, info %+v", generations, in)
		}
		if v := attrText(t, root, "metadata.thread_id"); v != "demo-thread-1" {
			t.Errorf("thread_id %q", v)
		}
	})
}
