package manager

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"tracectl/internal/spanjson"
)

// flushingExporter is a fakeExporter that counts ForceFlush calls.
type flushingExporter struct {
	fakeExporter
	flushes atomic.Int32
}

func (f *flushingExporter) ForceFlush(context.Context) error {
	f.flushes.Add(1)
	return nil
}

func newTestProvider(t *testing.T, opts ...Option) (*sdktrace.TracerProvider, *SpanProcessor, *flushingExporter) {
	t.Helper()
	exp := &flushingExporter{}
	p := NewSpanProcessor(exp, append([]Option{WithTracingEnabled(true)}, opts...)...)
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithResource(res))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, p, exp
}

// attrView is an attribute as the test compares it.
type attrView struct {
	Value string
	Type  spanjson.ValueType
}

func attrMap(a spanjson.Attributes) map[string]attrView {
	m := map[string]attrView{}
	for at := range a.All() {
		m[at.Key] = attrView{at.Value, at.Type}
	}
	return m
}

func TestSpanProcessorEndToEnd(t *testing.T) {
	tp, p, exp := newTestProvider(t)
	tracer := tp.Tracer("example.com/agent", trace.WithInstrumentationVersion("1.2.3"))

	ctx, root := tracer.Start(context.Background(), "agent", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("mlflow.spanType", `"AGENT"`),
			attribute.String("mlflow.spanInputs", `{"question":"why?"}`),
		))
	llmCtx, llm := tracer.Start(ctx, "chat gpt", trace.WithSpanKind(trace.SpanKindClient))
	llm.SetAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.input.messages", `[{"role":"user","content":"why?"}]`),
		attribute.String("gen_ai.output.messages", `[{"role":"assistant","content":"because"}]`),
		attribute.Int("gen_ai.usage.input_tokens", 12),
		attribute.Int("gen_ai.usage.output_tokens", 5),
		attribute.Float64("temperature", 1),
		attribute.Bool("stream", false),
		attribute.Int64Slice("ids", []int64{1, 2}),
		attribute.StringSlice("stop", []string{"\n", "END"}),
	)
	llm.AddEvent("first token", trace.WithAttributes(attribute.String("token", "be")))
	_, tool := tracer.Start(llmCtx, "lookup")
	tool.SetAttributes(attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.call.arguments", "plain text"))
	tool.RecordError(errors.New("tool exploded"))
	tool.SetStatus(codes.Error, "tool exploded")
	tool.End()
	llm.End()

	// While the root runs, the trace is in the manager.
	mlflowID := spanjson.TraceID(root.SpanContext().TraceID()).MLflowID()
	if got := p.Manager().RootSpanID(mlflowID); got != root.SpanContext().SpanID().String() {
		t.Errorf("RootSpanID = %q", got)
	}
	if len(exp.all()) != 0 {
		t.Fatal("exported before the root ended")
	}
	root.SetAttributes(attribute.String("mlflow.spanOutputs", `{"answer":"because"}`))
	root.SetStatus(codes.Ok, "")
	root.End()

	traces := exp.all()
	if len(traces) != 1 {
		t.Fatalf("exported %d traces, want 1", len(traces))
	}
	mt := traces[0]
	info := mt.Trace.Info
	if info.TraceID != mlflowID || info.State != spanjson.StateOK || !info.HasDuration || info.Tags[spanjson.TagTraceName] != "agent" {
		t.Errorf("info = %+v", info)
	}
	if info.RequestPreview != `{"question":"why?"}` || info.ResponsePreview != `{"answer":"because"}` {
		t.Errorf("previews = %q, %q", info.RequestPreview, info.ResponsePreview)
	}
	if got := info.Metadata[spanjson.MetaTokenUsage]; got != `{"input_tokens":12,"output_tokens":5,"total_tokens":17}` {
		t.Errorf("trace token usage = %q", got)
	}
	if len(mt.Trace.Spans) != 3 {
		t.Fatalf("spans = %d, want 3", len(mt.Trace.Spans))
	}
	r, l, tl := mt.Trace.Spans[0], mt.Trace.Spans[1], mt.Trace.Spans[2]
	type shape struct {
		Name, Type, Parent string
		Kind               spanjson.SpanKind
		Status             spanjson.Status
	}
	var got []shape
	for _, s := range mt.Trace.Spans {
		parent := ""
		if !s.ParentID().IsZero() {
			parent = s.ParentID().String()
		}
		got = append(got, shape{s.Name(), s.SpanType(), parent, s.Kind(), s.Status()})
	}
	want := []shape{
		{"agent", "AGENT", "", spanjson.SpanKindServer, spanjson.Status{Code: spanjson.StatusOK}},
		{"chat gpt", "CHAT_MODEL", r.SpanID().String(), spanjson.SpanKindClient, spanjson.Status{}},
		{"lookup", "TOOL", l.SpanID().String(), spanjson.SpanKindInternal, spanjson.Status{Code: spanjson.StatusError, Message: "tool exploded"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if v, _ := r.Inputs(); !cmp.Equal(v, map[string]any{"question": "why?"}) {
		t.Errorf("root inputs = %#v", v)
	}

	la := attrMap(l.Attributes())
	wantLLM := map[string]attrView{
		"gen_ai.operation.name":      {"chat", spanjson.ValueString},
		"gen_ai.input.messages":      {`[{"role":"user","content":"why?"}]`, spanjson.ValueString},
		"gen_ai.output.messages":     {`[{"role":"assistant","content":"because"}]`, spanjson.ValueString},
		"gen_ai.usage.input_tokens":  {"12", spanjson.ValueInt},
		"gen_ai.usage.output_tokens": {"5", spanjson.ValueInt},
		"temperature":                {"1.0", spanjson.ValueDouble},
		"stream":                     {"false", spanjson.ValueBool},
		"ids":                        {"[1,2]", spanjson.ValueArray},
		"stop":                       {`["\n","END"]`, spanjson.ValueArray},
		spanjson.AttrSpanType:        {`"CHAT_MODEL"`, spanjson.ValueJSON},
		spanjson.AttrInputs:          {`[{"role":"user","content":"why?"}]`, spanjson.ValueJSON},
		spanjson.AttrOutputs:         {`[{"role":"assistant","content":"because"}]`, spanjson.ValueJSON},
		spanjson.AttrTokenUsage:      {`{"input_tokens":12,"output_tokens":5,"total_tokens":17}`, spanjson.ValueJSON},
		spanjson.AttrTraceRequestID:  {`"` + mlflowID + `"`, spanjson.ValueJSON},
	}
	if diff := cmp.Diff(wantLLM, la); diff != "" {
		t.Errorf("llm attributes (-want +got):\n%s", diff)
	}
	if u, ok := l.TokenUsage(); !ok || u.TotalTokens != 17 {
		t.Errorf("token usage = %+v %v", u, ok)
	}
	if evs := l.Events(); len(evs) != 1 || evs[0].Name != "first token" || attrMap(evs[0].Attributes)["token"] != (attrView{`"be"`, spanjson.ValueJSON}) {
		t.Errorf("llm events = %+v", evs)
	}
	// A plain-text tool argument is JSON-encoded into mlflow.spanInputs.
	if v, _ := tl.Attributes().Raw(spanjson.AttrInputs); v != `"plain text"` {
		t.Errorf("tool inputs = %q", v)
	}
	if typ, msg, ok := tl.Exception(); !ok || msg != "tool exploded" || typ != "*errors.errorString" {
		t.Errorf("tool exception = %q %q %v", typ, msg, ok)
	}

	// Resource and scope are converted once and shared.
	if r.Data().Resource == nil || r.Data().Resource != l.Data().Resource {
		t.Error("spans do not share one resource")
	}
	if sc := r.Data().Scope; sc == nil || sc.Name != "example.com/agent" || sc.Version != "1.2.3" || sc != tl.Data().Scope {
		t.Errorf("scope = %+v", sc)
	}
	if v, _ := r.Data().Resource.Attributes.Raw("service.name"); v != "svc" {
		t.Errorf("service.name = %q", v)
	}
	if f := r.Data().Flags; f&flagHasIsRemote == 0 || f&flagIsRemote != 0 || f&0xff != uint32(trace.FlagsSampled) {
		t.Errorf("flags = %#x", f)
	}
	if p.Manager().PopTrace(spanjson.TraceID(root.SpanContext().TraceID())) != nil {
		t.Error("trace still in the manager after export")
	}
}

func TestSpanProcessorErrorRootAndLateChild(t *testing.T) {
	tp, p, exp := newTestProvider(t)
	tracer := tp.Tracer("t")
	ctx, root := tracer.Start(context.Background(), "root")
	_, late := tracer.Start(ctx, "late child")
	root.SetStatus(codes.Error, "failed")
	root.End()
	late.End() // after its trace was exported: ignored
	traces := exp.all()
	if len(traces) != 1 {
		t.Fatalf("exported %d, want 1", len(traces))
	}
	mt := traces[0]
	if mt.Trace.Info.State != spanjson.StateError {
		t.Errorf("state = %s", mt.Trace.Info.State)
	}
	// The child went out as registered at its start: running.
	if len(mt.Trace.Spans) != 2 || mt.Trace.Spans[1].EndTime() != 0 {
		t.Errorf("spans = %v", mt.Trace.Spans)
	}
	// A span started in a trace that is gone is not tracked.
	_, orphan := tracer.Start(ctx, "orphan")
	orphan.End()
	if len(exp.all()) != 1 || held(p.Manager()) != 0 {
		t.Error("a span of a finished trace was tracked")
	}
}

func TestSpanProcessorRemoteParentIsLocalRoot(t *testing.T) {
	tp, _, exp := newTestProvider(t)
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3},
		SpanID:     trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, local := tp.Tracer("t").Start(ctx, "handler")
	local.SetAttributes(attribute.String("mlflow.spanInputs", `"hi"`))
	_, child := tp.Tracer("t").Start(ctx, "child")
	child.End()
	local.End()
	traces := exp.all()
	if len(traces) != 1 || len(traces[0].Trace.Spans) != 2 {
		t.Fatalf("exported %v", traces)
	}
	s := traces[0].Trace.Spans[0]
	if s.ParentID() != spanjson.SpanID(remote.SpanID()) || s.Data().Flags&flagIsRemote == 0 {
		t.Errorf("local root parent %s flags %#x", s.ParentID(), s.Data().Flags)
	}
	if traces[0].Trace.Info.RequestPreview != `"hi"` {
		t.Errorf("preview from the local root = %q", traces[0].Trace.Info.RequestPreview)
	}
}

func TestSpanProcessorKeepsManagerSideChanges(t *testing.T) {
	tp, p, exp := newTestProvider(t)
	ctx, root := tp.Tracer("t").Start(context.Background(), "root")
	_ = ctx
	sc := root.SpanContext()
	live := p.Manager().SpanFromID(spanjson.TraceID(sc.TraceID()).MLflowID(), sc.SpanID().String())
	if live == nil {
		t.Fatal("live span not registered at start")
	}
	live.SetOutputs("set through the manager")
	live.SetStatus(spanjson.StatusError, "manager says no")
	root.End()
	s := exp.all()[0].Trace.Spans[0]
	if v, _ := s.Outputs(); v != "set through the manager" {
		t.Errorf("outputs = %v", v)
	}
	if s.Status().Code != spanjson.StatusError || s.Status().Message != "manager says no" {
		t.Errorf("status = %+v (OTel status was unset, the manager's should stay)", s.Status())
	}
}

func TestSpanProcessorShutdownAndFlush(t *testing.T) {
	exp := &flushingExporter{}
	p := NewSpanProcessor(exp, WithTracingEnabled(true))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, open := tp.Tracer("t").Start(context.Background(), "open")
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exp.flushes.Load() != 1 || len(exp.all()) != 0 {
		t.Errorf("ForceFlush: %d flushes, %d exports; want 1 and 0 (in-progress traces stay)", exp.flushes.Load(), len(exp.all()))
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	traces := exp.all()
	if len(traces) != 1 || traces[0].Trace.Info.State != spanjson.StateInProgress {
		t.Fatalf("Shutdown exported %d traces, want the open one, in progress", len(traces))
	}
	if exp.flushes.Load() != 2 {
		t.Errorf("flushes = %d, want 2", exp.flushes.Load())
	}
	open.End()
	_ = p.Shutdown(context.Background()) // second Shutdown: nothing
	if len(exp.all()) != 1 {
		t.Error("calls after Shutdown were not ignored")
	}
	select {
	case <-p.Manager().done:
	default:
		t.Error("Shutdown did not stop the owned manager")
	}
}

func TestSpanProcessorDisabled(t *testing.T) {
	exp := &fakeExporter{}
	p := NewSpanProcessor(exp, WithTracingEnabled(false))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer tp.Shutdown(context.Background())
	_, s := tp.Tracer("t").Start(context.Background(), "x")
	s.End()
	if p.Manager() != nil || len(exp.all()) != 0 {
		t.Error("disabled processor tracked spans")
	}
}

func TestSpanProcessorSharedManagerTimeout(t *testing.T) {
	// With WithManager the manager's own OnExpire handles timeouts.
	m, clk, expired := newTestManager(t, Config{Timeout: time.Second})
	tp, _, exp := newTestProvider(t, WithManager(m))
	_, s := tp.Tracer("t").Start(context.Background(), "slow")
	clk.Advance(time.Second)
	clk.Tick()
	s.End()
	if len(exp.all()) != 0 || len(expired.ids()) != 1 || expired.traces[0].Trace.Info.State != spanjson.StateError {
		t.Errorf("exported %d, expired %v", len(exp.all()), expired.ids())
	}
}

func TestFormatDouble(t *testing.T) {
	for in, want := range map[float64]string{2: "2.0", 0.5: "0.5", -3: "-3.0", 1e21: "1e+21", math.NaN(): `"NaN"`, math.Inf(-1): `"-Infinity"`} {
		if got := formatDouble(in); got != want {
			t.Errorf("formatDouble(%v) = %q, want %q", in, got, want)
		}
	}
}

// held returns how many traces m holds.
func held(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.count
}

func TestSpanProcessorLinksAndExportErrors(t *testing.T) {
	log := captureLog(t)
	var got *ManagerTrace
	failing := ExporterFunc(func(_ context.Context, mt *ManagerTrace) error { got = mt; return errors.New("backend down") })
	p := NewSpanProcessor(failing, WithTracingEnabled(true))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer tp.Shutdown(context.Background())

	other := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}, Remote: true})
	_, s := tp.Tracer("t").Start(context.Background(), "linked",
		trace.WithLinks(trace.Link{SpanContext: other, Attributes: []attribute.KeyValue{attribute.String("why", "batch")}}))
	s.End()
	if got == nil {
		t.Fatal("nothing exported")
	}
	links := got.Trace.Spans[0].Links()
	if len(links) != 1 || links[0].TraceID != spanjson.TraceID(other.TraceID()) || links[0].SpanID != spanjson.SpanID(other.SpanID()) ||
		links[0].Flags&flagIsRemote == 0 || attrMap(links[0].Attributes)["why"] != (attrView{`"batch"`, spanjson.ValueJSON}) {
		t.Errorf("links = %+v", links)
	}
	if out := log.String(); !strings.Contains(out, "backend down") || !strings.Contains(out, got.Trace.Info.TraceID) {
		t.Errorf("export error not logged with the trace id: %q", out)
	}
}
