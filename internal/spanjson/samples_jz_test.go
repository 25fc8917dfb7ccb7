package spanjson

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tests over the real Jaeger and Zipkin files in ../shared/samples (see
// its SOURCES.md), which are not copied into the repository: they skip
// when the folder is absent.

// sampleDocs decodes the sample whose name contains part.
func sampleDocs(t *testing.T, part string) []*Document {
	t.Helper()
	files, _ := filepath.Glob(sharedSamplesDir + "/*" + part + "*")
	if len(files) == 0 {
		if _, err := os.Stat(sharedSamplesDir); err != nil {
			t.Skip("no samples in " + sharedSamplesDir)
		}
		t.Fatalf("no sample named *%s*", part)
	}
	if len(files) > 1 {
		t.Fatalf("several samples named *%s*: %v", part, files)
	}
	docs, err := decodeFile(t, files[0])
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// oneSampleTrace decodes a sample that holds one trace and builds its tree.
func oneSampleTrace(t *testing.T, part string) (*Document, *Trace, *Tree, []string) {
	t.Helper()
	docs := sampleDocs(t, part)
	if len(docs) != 1 || len(docs[0].Traces) != 1 {
		t.Fatalf("%d documents, want one with one trace", len(docs))
	}
	tr := &docs[0].Traces[0]
	tree, warns := BuildTree(tr.Spans)
	var ws []string
	for _, w := range warns {
		ws = append(ws, w.String())
	}
	return docs[0], tr, tree, ws
}

func rootNames(tree *Tree) []string {
	var out []string
	for _, i := range tree.Roots {
		out = append(out, tree.Spans[i].Name())
	}
	return out
}

func TestSampleJaegerUI01(t *testing.T) {
	d, tr, tree, treeWarns := oneSampleTrace(t, "model_converter_json_fixtures_ui_01")
	if d.Shape != "Jaeger trace" || len(tr.Spans) != 5 || tr.Info.TraceID != "tr-00000000000000000000000000000001" {
		t.Fatalf("shape %q, %d spans, trace %s", d.Shape, len(tr.Spans), tr.Info.TraceID)
	}
	// Jaeger's own warnings travel on: two of spans, one of the trace.
	ws := warningTexts(d)
	if !hasWarning(ws, "Jaeger warning for span", "some span warning") || !hasWarning(ws, "Jaeger warning for trace", "some trace warning") {
		t.Errorf("warnings %q", ws)
	}
	if tr.Info.Metadata[AttrJaegerWarnings] != `["some trace warning"]` {
		t.Errorf("metadata %v", tr.Info.Metadata)
	}
	// The duplicate span id "2" is a tree warning, not a failure.
	if !hasWarning(treeWarns, `span "some-operation" repeats span id 0000000000000002`) {
		t.Errorf("tree warnings %q", treeWarns)
	}
	if got := rootNames(tree); !slices.Equal(got, []string{"test-general-conversion", "some-operation"}) {
		t.Errorf("roots %q", got)
	}
	// CHILD_OF to another trace and FOLLOWS_FROM to the parent are links.
	ref := spanNamed(t, tr, "reference-test")
	if ref.ParentID.String() != "0000000000000002" || len(ref.Links) != 2 {
		t.Fatalf("reference-test parent %s links %+v", ref.ParentID, ref.Links)
	}
	if ref.Links[0].TraceID.String() != "000000000000000000000000000000ff" || ref.Links[1].SpanID.String() != "0000000000000002" {
		t.Errorf("links %+v", ref.Links)
	}
	var failed SpanData
	for _, s := range tr.Spans {
		if s.Status().Code == StatusError {
			failed = s.Data()
		}
	}
	if failed.Name != "some-operation" {
		t.Fatalf("error span %q", failed.Name)
	}
	for _, want := range []Attribute{
		{"peer.ipv4", "23456", ValueInt},
		{"temperature", "72.5", ValueDouble},
		{"blob", `"AAAwOQ=="`, ValueBytes},
	} {
		if got, _ := failed.Attributes.Lookup(want.Key); got != want {
			t.Errorf("tag %+v, want %+v", got, want)
		}
	}
	first := spanNamed(t, tr, "test-general-conversion")
	if len(first.Events) != 2 || first.Events[0].Name != "some-event" || first.Events[1].Name != "log" {
		t.Errorf("logs %+v", first.Events)
	}
}

func TestSampleJaegerQueryAPI(t *testing.T) {
	d, tr, tree, treeWarns := oneSampleTrace(t, "otlp2jaeger-out")
	if d.Shape != "Jaeger query API response" || len(tr.Spans) != 2 || tr.Info.TraceID != "tr-83a9efd15c1c98a977e0711cc93ee28b" {
		t.Fatalf("shape %q, %d spans, trace %s", d.Shape, len(tr.Spans), tr.Info.TraceID)
	}
	s := tr.Spans[0].Data()
	if s.Kind != SpanKindServer || s.Scope == nil || s.Scope.Name != "telemetrygen" || s.ParentID.String() != "909541b92cf05311" {
		t.Errorf("span kind %v scope %+v parent %s", s.Kind, s.Scope, s.ParentID)
	}
	// Both copies are orphans: roots with warnings.
	if len(tree.Roots) != 2 || !hasWarning(treeWarns, "which is not in the trace: made a root") {
		t.Errorf("roots %d, warnings %q", len(tree.Roots), treeWarns)
	}
}

func TestSampleJaegerSpanArray(t *testing.T) {
	d, tr, _, _ := oneSampleTrace(t, "uiconv_fixtures_trace_success")
	if d.Shape != "array of Jaeger spans" || len(tr.Spans) != 2 || tr.Info.TraceID != "tr-00000000000000002be38093ead7a083" {
		t.Fatalf("shape %q, %d spans, trace %s", d.Shape, len(tr.Spans), tr.Info.TraceID)
	}
	second := tr.Spans[1].Data()
	if second.Status.Code != StatusError || second.Flags != 1 || second.ParentID != tr.Spans[0].SpanID() {
		t.Errorf("second span %+v", second)
	}
	if svc, _ := second.Resource.Attributes.String("service.name"); svc != "3c220036602f839e" {
		t.Errorf("inline process service %q", svc)
	}
}

func TestSampleJaegerGenAI(t *testing.T) {
	_, tr, tree, treeWarns := oneSampleTrace(t, "genaiTestTrace")
	if len(tr.Spans) != 57 || tr.Name() != "POST /api/graphql" || len(tree.Roots) != 1 || len(treeWarns) != 0 {
		t.Fatalf("%d spans, name %q, roots %q, warnings %q", len(tr.Spans), tr.Name(), rootNames(tree), treeWarns)
	}
	resources := map[*Resource]bool{}
	ops, errors := 0, 0
	for _, s := range tr.Spans {
		resources[s.Data().Resource] = true
		if _, ok := s.Attributes().Lookup("gen_ai.operation.name"); ok {
			ops++
		}
		if s.Status().Code == StatusError {
			errors++
		}
	}
	if len(resources) != 10 || ops != 17 || errors != 1 {
		t.Errorf("%d resources (want 10), %d gen_ai.operation.name spans (want 17), %d errors (want 1)", len(resources), ops, errors)
	}
	chat := spanNamed(t, tr, "chat model-a")
	for _, want := range []Attribute{
		{"gen_ai.operation.name", "chat", ValueString},
		{"gen_ai.usage.input_tokens", "1840", ValueInt},
	} {
		if got, _ := chat.Attributes.Lookup(want.Key); got != want {
			t.Errorf("attribute %+v, want %+v", got, want)
		}
	}
	for _, k := range []string{"gen_ai.request.model", "gen_ai.input.messages", "gen_ai.provider.name"} {
		if _, ok := chat.Attributes.Lookup(k); !ok {
			t.Errorf("chat span has no %s", k)
		}
	}
}

func TestSampleJaegerContractCases(t *testing.T) {
	t.Run("parent cycle", func(t *testing.T) {
		_, tr, tree, warns := oneSampleTrace(t, "parent-cycle")
		if len(tr.Spans) != 2 || len(tree.Roots) != 1 || !hasWarning(warns, "parent cycle of 2 spans") {
			t.Errorf("%d spans, roots %q, warnings %q", len(tr.Spans), rootNames(tree), warns)
		}
		if tr.Info.State != StateOK || tr.Info.TraceID != "tr-f77950feed55c1ce91dd8e878966230d" {
			t.Errorf("info %+v", tr.Info)
		}
	})
	t.Run("multi reference", func(t *testing.T) {
		d, tr, tree, warns := oneSampleTrace(t, "multi-reference")
		linked := spanNamed(t, tr, "linked")
		if linked.ParentID.String() != "0000000000000021" || len(linked.Links) != 1 || linked.Links[0].SpanID.String() != "0000000000000022" {
			t.Errorf("linked parent %s links %+v", linked.ParentID, linked.Links)
		}
		if !hasWarning(warningTexts(d), `span "linked" has 2 CHILD_OF parents`) || len(warns) != 0 || len(tree.Roots) != 1 {
			t.Errorf("warnings %q, tree warnings %q", warningTexts(d), warns)
		}
	})
	t.Run("zero start times", func(t *testing.T) {
		d, tr, _, _ := oneSampleTrace(t, "zero-start-times")
		for _, s := range tr.Spans {
			if v, _ := s.Attributes().String(AttrStartUnknown); s.StartTime() != 0 || v != "true" {
				t.Errorf("span %q start %d, mark %q", s.Name(), s.StartTime(), v)
			}
		}
		if !tr.Info.RequestTime.IsZero() || tr.Info.ExecutionDuration != 100_000 || tr.Info.State != StateOK {
			t.Errorf("info request time %v duration %v state %s", tr.Info.RequestTime, tr.Info.ExecutionDuration, tr.Info.State)
		}
		ws := warningTexts(d)
		if !hasWarning(ws, "startTime is 0", "2 times") || !hasWarning(ws, "span without startTime") {
			t.Errorf("warnings %q", ws)
		}
	})
	t.Run("multiple roots", func(t *testing.T) {
		_, tr, tree, _ := oneSampleTrace(t, "multiple-roots")
		if got := rootNames(tree); !slices.Equal(got, []string{"rootOperation", "secondRootOp"}) {
			t.Errorf("roots %q", got)
		}
		if tr.Info.ExecutionDuration != 34_050_000 {
			t.Errorf("duration %v: first root's start to last root's end", tr.Info.ExecutionDuration)
		}
	})
	t.Run("children longer than the parent", func(t *testing.T) {
		_, tr, tree, _ := oneSampleTrace(t, "traceWithOverlappingChildrenLongerThanParent")
		if len(tr.Spans) != 4 || len(tree.Roots) != 1 || tr.Name() != "send" {
			t.Errorf("%d spans, roots %q", len(tr.Spans), rootNames(tree))
		}
	})
}

func TestSampleZipkinYelp(t *testing.T) {
	d, tr, tree, treeWarns := oneSampleTrace(t, "zipkin-lens_testdata_yelp")
	// 16 records, 3 of them server halves of shared spans: 16 spans with
	// unique ids in one tree, without a cycle.
	if len(tr.Spans) != 16 || len(tree.Roots) != 1 || len(treeWarns) != 0 {
		t.Fatalf("%d spans, roots %q, tree warnings %q", len(tr.Spans), rootNames(tree), treeWarns)
	}
	if tr.Info.TraceID != "tr-0000000000000000a03ee8fff1dcd9b9" || tr.Name() != "post /location/update/v4" {
		t.Errorf("trace %s named %q", tr.Info.TraceID, tr.Name())
	}
	n := 0
	for _, w := range warningTexts(d) {
		if strings.Contains(w, "is a client/server pair (shared)") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d shared-span warnings, want 3: %q", n, warningTexts(d))
	}
	for _, s := range tr.Spans {
		if orig, ok := s.Attributes().String(AttrZipkinOriginalSpanID); ok {
			if s.ParentID().String() != orig || s.Kind() != SpanKindServer {
				t.Errorf("server half %q under %s, kind %v; original id %s", s.Name(), s.ParentID(), s.Kind(), orig)
			}
		}
	}
}

func TestSampleZipkinMessaging(t *testing.T) {
	_, tr, tree, treeWarns := oneSampleTrace(t, "messaging2")
	if len(tr.Spans) != 11 || tr.Info.TraceID != "tr-00000000000000000d1a94ebc9256244" {
		t.Fatalf("%d spans, trace %s", len(tr.Spans), tr.Info.TraceID)
	}
	kinds := map[SpanKind]int{}
	for _, s := range tr.Spans {
		kinds[s.Kind()]++
	}
	if kinds[SpanKindProducer] != 1 || kinds[SpanKindConsumer] != 1 || kinds[SpanKindClient] != 4 || kinds[SpanKindServer] != 2 {
		t.Errorf("kinds %v", kinds)
	}
	// The root reuses the trace id as its span id; parents missing from
	// the file make orphans, warned about.
	if !slices.Contains(rootNames(tree), "post") || !hasWarning(treeWarns, "which is not in the trace: made a root") {
		t.Errorf("roots %q, warnings %q", rootNames(tree), treeWarns)
	}
}

func TestSampleZipkinSingleSpan(t *testing.T) {
	d, tr, _, _ := oneSampleTrace(t, "zipkin2-chinese")
	s := tr.Spans[0].Data()
	if d.Shape != "Zipkin v2 span" || s.Name != "个人信息查询" || s.Status != (Status{StatusError, "此用户没有操作权限"}) {
		t.Fatalf("shape %q, span %q status %+v", d.Shape, s.Name, s.Status)
	}
	if s.ParentID.String() != "86154a4ba6e91385" || tr.Info.TraceID != "tr-4d1e00c0db9010db86154a4ba6e91385" {
		t.Errorf("parent %s trace %s", s.ParentID, tr.Info.TraceID)
	}
	if svc, _ := s.Resource.Attributes.String("service.name"); svc != "订单维护服务" {
		t.Errorf("service %q", svc)
	}
	if v, _ := s.Resource.Attributes.String("zipkin.local_endpoint.ipv6"); v != "2001:db8::c001" {
		t.Errorf("ipv6 %q", v)
	}
	if v, _ := s.Attributes.String("peer.service"); v != "个人信息服务" {
		t.Errorf("peer.service %q", v)
	}
}

func TestSampleZipkinCollectorSample(t *testing.T) {
	_, tr, _, _ := oneSampleTrace(t, "zipkinreceiver_testdata_sample3")
	s := tr.Spans[0].Data()
	if s.Status != (Status{StatusError, "Something failed"}) || len(s.Events) != 2 || s.Events[1].Name != "bar" {
		t.Errorf("status %+v events %+v", s.Status, s.Events)
	}
	if _, ok := s.Resource.Attributes.Lookup("service.name"); ok {
		t.Error("an endpoint without serviceName gave a service.name")
	}
	if v, _ := s.Resource.Attributes.String("zipkin.local_endpoint.ipv6"); v != "7::0.128.128.127" {
		t.Errorf("ipv6 %q", v)
	}
}

// Every Jaeger and Zipkin sample converts to MLflow v3, v2 and OTLP, reads
// back with its spans, and reports what it lost.
func TestSamplesJaegerZipkinConvert(t *testing.T) {
	files, _ := filepath.Glob(sharedSamplesDir + "/*.json")
	if len(files) == 0 {
		t.Skip("no samples in " + sharedSamplesDir)
	}
	checked := 0
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasPrefix(base, "jaegertracing-") && !strings.HasPrefix(base, "openzipkin-") && !strings.Contains(base, "zipkinreceiver") {
			continue
		}
		checked++
		docs, err := decodeFile(t, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			for i := range d.Traces {
				tr := &d.Traces[i]
				for _, schema := range []Schema{SchemaMLflowV3, SchemaMLflowV2, SchemaOTLP} {
					out, losses, err := AppendTrace(nil, schema, tr)
					if err != nil {
						t.Fatalf("%s: write %s: %v", base, schema, err)
					}
					back, err := DecodeAll(bytes.NewReader(out), "back")
					if err != nil || len(back) != 1 || len(back[0].Traces) != 1 || len(back[0].Traces[0].Spans) != len(tr.Spans) {
						t.Fatalf("%s: %s written does not read back with its %d spans: %v", base, schema, len(tr.Spans), err)
					}
					if schema != SchemaOTLP && !slices.ContainsFunc(losses, func(l Loss) bool { return l.Field == "span.resource" }) {
						t.Errorf("%s: %s write does not report the lost resources: %v", base, schema, losses)
					}
				}
			}
		}
	}
	if checked != 14 {
		t.Errorf("%d Jaeger and Zipkin samples, want 14", checked)
	}
}

// A same-schema write of a Jaeger or Zipkin trace is refused with an error
// that says what tracectl writes.
func TestWriteReadOnlySchemas(t *testing.T) {
	d := decodeOne(t, "zipkin_span.json")
	for _, schema := range []Schema{SchemaJaeger, SchemaZipkin} {
		_, _, err := AppendTrace(nil, schema, &d.Traces[0])
		if err == nil || !strings.Contains(err.Error(), "tracectl reads it but writes only mlflow-v2, mlflow-v3 or otlp") {
			t.Errorf("AppendTrace(%s) error %v", schema, err)
		}
		var b bytes.Buffer
		if _, err := WriteTrace(&b, schema, &d.Traces[0]); err == nil || b.Len() != 0 {
			t.Errorf("WriteTrace(%s) error %v, wrote %d bytes", schema, err, b.Len())
		}
	}
}
