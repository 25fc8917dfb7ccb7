package manager

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"tracectl/internal/spanjson"
)

// fakeExporter records what it is given.
type fakeExporter struct {
	mu     sync.Mutex
	traces []*ManagerTrace
	got    chan struct{} // receives once per trace, if not nil
}

func (f *fakeExporter) Export(_ context.Context, mt *ManagerTrace) error {
	f.mu.Lock()
	f.traces = append(f.traces, mt)
	f.mu.Unlock()
	if f.got != nil {
		f.got <- struct{}{}
	}
	return nil
}

func (f *fakeExporter) all() []*ManagerTrace {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*ManagerTrace(nil), f.traces...)
}

func newTestTracer(t *testing.T, opts ...Option) (*Tracer, *fakeExporter) {
	t.Helper()
	exp := &fakeExporter{}
	tr := NewTracer(exp, append([]Option{WithTracingEnabled(true)}, opts...)...)
	t.Cleanup(func() { _ = tr.Close() })
	return tr, exp
}

func TestTracerNestedSpansExportOnRootEnd(t *testing.T) {
	tr, exp := newTestTracer(t)
	ctx := context.Background()
	ctx1, root := tr.StartSpan(ctx, "agent", WithSpanType("AGENT"), WithInputs(map[string]any{"question": "why?"}))
	ctx2, llm := tr.StartSpan(ctx1, "llm", WithSpanType("LLM"), WithAttributes(map[string]any{"model": "m1", "temperature": 0.5}))
	_, tool := tr.StartSpan(ctx2, "tool")
	_, sibling := tr.StartSpan(ctx1, "sibling")

	if got := SpanFromContext(ctx2); got != llm {
		t.Errorf("SpanFromContext = %v, want the llm span", got)
	}
	if llm.TraceID() != root.TraceID() || tool.TraceID() != root.TraceID() {
		t.Errorf("children in another trace: %s %s vs %s", llm.TraceID(), tool.TraceID(), root.TraceID())
	}
	if llm.ParentID() != root.SpanID() || tool.ParentID() != llm.SpanID() || sibling.ParentID() != root.SpanID() {
		t.Error("wrong parent ids")
	}
	if root.ParentID() != "" {
		t.Errorf("root parent = %q", root.ParentID())
	}
	tool.End()
	sibling.End()
	llm.SetOutputs("42")
	llm.End()
	if n := len(exp.all()); n != 0 {
		t.Fatalf("exported %d traces before the root ended", n)
	}
	root.SetOutputs(map[string]any{"answer": "because"})
	root.End()
	root.End() // a second End exports nothing more

	traces := exp.all()
	if len(traces) != 1 {
		t.Fatalf("exported %d traces, want 1", len(traces))
	}
	mt := traces[0]
	var got []string
	for _, s := range mt.Trace.Spans {
		got = append(got, s.Name()+":"+s.SpanType())
		if s.EndTime() == 0 {
			t.Errorf("span %s not ended", s.Name())
		}
		if id, _ := s.Attributes().String(spanjson.AttrTraceRequestID); id != root.TraceID() {
			t.Errorf("span %s mlflow.traceRequestId = %q", s.Name(), id)
		}
	}
	if diff := cmp.Diff([]string{"agent:AGENT", "llm:LLM", "tool:UNKNOWN", "sibling:UNKNOWN"}, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if v, _ := mt.Trace.Spans[1].Attributes().Raw("temperature"); v != "0.5" {
		t.Errorf("temperature = %q", v)
	}
	info := mt.Trace.Info
	if info.TraceID != root.TraceID() || info.State != spanjson.StateOK || !info.HasDuration ||
		info.Tags[spanjson.TagTraceName] != "agent" || info.Metadata[spanjson.MetaSchemaVersion] != "3" {
		t.Errorf("info = %+v", info)
	}
	if info.RequestPreview != `{"question":"why?"}` || info.ResponsePreview != `{"answer":"because"}` {
		t.Errorf("previews = %q, %q", info.RequestPreview, info.ResponsePreview)
	}
	if _, ok := info.Metadata[spanjson.MetaTokenUsage]; ok {
		t.Errorf("token usage metadata set on a trace without usage: %q", info.Metadata[spanjson.MetaTokenUsage])
	}
	tid, _ := spanjson.ParseTraceID(root.TraceID())
	if tr.Manager().PopTrace(tid) != nil {
		t.Error("trace still in the manager after export")
	}
}

func TestTracerErrorRootMakesErrorTrace(t *testing.T) {
	tr, exp := newTestTracer(t)
	_, root := tr.StartSpan(context.Background(), "root")
	root.RecordException(errors.New("boom"))
	root.End()
	mt := exp.all()[0]
	if mt.Trace.Info.State != spanjson.StateError {
		t.Errorf("state = %s, want ERROR", mt.Trace.Info.State)
	}
	if _, msg, ok := mt.Trace.Spans[0].Exception(); !ok || msg != "boom" {
		t.Errorf("exception = %q %v", msg, ok)
	}
}

func TestTracerChildAfterRootEndedIsNoOp(t *testing.T) {
	tr, exp := newTestTracer(t)
	ctx, root := tr.StartSpan(context.Background(), "root")
	_, open := tr.StartSpan(ctx, "still open")
	root.End()
	// The open child went out with the trace, unfinished.
	if spans := exp.all()[0].Trace.Spans; len(spans) != 2 || spans[1].EndTime() != 0 {
		t.Fatalf("exported spans = %v", spans)
	}
	open.End() // no trace any more: nothing happens
	ctx2, late := tr.StartSpan(ctx, "late")
	if _, ok := late.(spanjson.NoOpSpan); !ok {
		t.Fatalf("child of a finished trace = %T, want NoOpSpan", late)
	}
	if ctx2 != ctx {
		t.Error("a NoOpSpan start changed the context")
	}
	late.SetInputs(1)
	late.End()
	if n := len(exp.all()); n != 1 {
		t.Errorf("exported %d traces, want 1", n)
	}
}

func TestTracerDisabled(t *testing.T) {
	for name, mk := range map[string]func() *Tracer{
		"option": func() *Tracer { return NewTracer(&fakeExporter{}, WithTracingEnabled(false)) },
		"env": func() *Tracer {
			t.Setenv(EnvTracingEnabled, "False")
			return NewTracer(&fakeExporter{})
		},
		"nil tracer": func() *Tracer { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			tr := mk()
			defer tr.Close()
			ctx := context.Background()
			ctx2, s := tr.StartSpan(ctx, "x", WithInputs(1))
			if _, ok := s.(spanjson.NoOpSpan); !ok || ctx2 != ctx {
				t.Fatalf("StartSpan = %T, want NoOpSpan and the same context", s)
			}
			s.SetInputs("in")
			s.SetOutputs("out")
			s.SetAttribute("k", 1)
			s.RecordException(errors.New("e"))
			s.End()
			if _, ok := SpanFromContext(ctx2).(spanjson.NoOpSpan); !ok {
				t.Error("SpanFromContext of a plain context is not a NoOpSpan")
			}
		})
	}
}

func TestPackageStartSpan(t *testing.T) {
	defer SetDefaultTracer(nil)
	SetDefaultTracer(nil)
	if _, s := StartSpan(context.Background(), "x"); s != (spanjson.NoOpSpan{}) {
		t.Fatalf("no default tracer: got %T", s)
	}
	tr, exp := newTestTracer(t)
	SetDefaultTracer(tr)
	ctx, root := StartSpan(context.Background(), "root")
	other, otherExp := newTestTracer(t)
	SetDefaultTracer(other)
	// A child follows its parent's tracer, not the default.
	_, child := StartSpan(ctx, "child")
	child.End()
	root.End()
	if len(exp.all()) != 1 || len(exp.all()[0].Trace.Spans) != 2 || len(otherExp.all()) != 0 {
		t.Errorf("exports: default-at-start %d, other %d", len(exp.all()), len(otherExp.all()))
	}
}

func TestTracerCloseExportsOpenTraces(t *testing.T) {
	exp := &flushingExporter{}
	tr := NewTracer(exp, WithTracingEnabled(true))
	_, s := tr.StartSpan(context.Background(), "never ended")
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	traces := exp.all()
	if len(traces) != 1 || traces[0].Trace.Info.TraceID != s.TraceID() || traces[0].Trace.Info.State != spanjson.StateInProgress {
		t.Errorf("Close exported %d traces", len(traces))
	}
	if exp.flushes.Load() != 1 {
		t.Errorf("Close flushed the exporter %d times, want 1", exp.flushes.Load())
	}
}

func TestTracerOwnManagerExportsTimedOutTraces(t *testing.T) {
	// 200 ms: long enough that a loaded machine registers the root span
	// before its trace times out (with 1 ms it sometimes did not, and an
	// empty trace was exported).
	t.Setenv(EnvTimeout, "0.2")
	t.Setenv(EnvCheckInterval, "0.01")
	exp := &fakeExporter{got: make(chan struct{}, 1)}
	tr := NewTracer(exp, WithTracingEnabled(true))
	defer tr.Close()
	_, s := tr.StartSpan(context.Background(), "slow")
	select {
	case <-exp.got:
	case <-time.After(10 * time.Second):
		t.Fatal("timed-out trace not exported within 10s")
	}
	mt := exp.all()[0]
	if mt.Trace.Info.TraceID != s.TraceID() || mt.Trace.Info.State != spanjson.StateError || mt.Trace.Spans[0].Status().Code != spanjson.StatusError {
		t.Errorf("timed-out trace: %+v", mt.Trace.Info)
	}
	// The root was ended by the timeout: the info is completed from it.
	if !mt.Trace.Info.HasDuration || mt.Trace.Info.ExecutionDuration != mt.Trace.Spans[0].Duration() {
		t.Errorf("timed-out trace duration = %v (has %v), want the root's %v", mt.Trace.Info.ExecutionDuration, mt.Trace.Info.HasDuration, mt.Trace.Spans[0].Duration())
	}
	s.End() // its trace is gone: nothing more is exported
	if n := len(exp.all()); n != 1 {
		t.Errorf("exported %d, want 1", n)
	}
}

func TestTracerWithSharedManager(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	tr, exp := newTestTracer(t, WithManager(m))
	ctx, root := tr.StartSpan(context.Background(), "root")
	_, child := tr.StartSpan(ctx, "child")
	if m.SpanFromID(root.TraceID(), child.SpanID()) == nil || m.RootSpanID(root.TraceID()) != root.SpanID() {
		t.Error("spans not visible through the shared manager")
	}
	if err := m.RegisterPrompt(root.TraceID(), spanjson.PromptVersion{Name: "p", Version: 2}); err != nil {
		t.Fatal(err)
	}
	root.End()
	mt := exp.all()[0]
	if len(mt.Prompts) != 1 || mt.Trace.Info.Tags[spanjson.TagLinkedPrompts] != `[{"name":"p","version":"2"}]` {
		t.Errorf("prompts %v tag %q", mt.Prompts, mt.Trace.Info.Tags[spanjson.TagLinkedPrompts])
	}
	_ = tr.Close() // does not close the shared manager
	select {
	case <-m.done:
		t.Error("Tracer.Close closed a manager it does not own")
	default:
	}
}

func TestTracerConcurrentTraces(t *testing.T) {
	tr, exp := newTestTracer(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 20 {
				ctx, root := tr.StartSpan(context.Background(), "root")
				var inner sync.WaitGroup
				for range 4 {
					inner.Go(func() {
						_, c := tr.StartSpan(ctx, "child")
						c.SetOutputs("x")
						c.End()
					})
				}
				inner.Wait()
				root.End()
			}
		})
	}
	wg.Wait()
	traces := exp.all()
	if len(traces) != 16*20 {
		t.Fatalf("exported %d traces, want %d", len(traces), 16*20)
	}
	for _, mt := range traces {
		if len(mt.Trace.Spans) != 5 {
			t.Fatalf("trace %s has %d spans, want 5", mt.Trace.Info.TraceID, len(mt.Trace.Spans))
		}
	}
}

func TestJSONLExporterReportsWriteErrors(t *testing.T) {
	e := NewJSONLExporter(failWriter{})
	mt := &ManagerTrace{Trace: spanjson.Trace{Info: spanjson.TraceInfo{TraceID: "tr-1"}}}
	err := e.Export(context.Background(), mt)
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "tr-1") {
		t.Errorf("Export to a failing writer = %v, want the write error naming the trace", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTracerSumsTokenUsage(t *testing.T) {
	tr, exp := newTestTracer(t)
	ctx, root := tr.StartSpan(context.Background(), "root")
	for _, u := range []spanjson.TokenUsage{{InputTokens: 10, OutputTokens: 2, TotalTokens: 12}, {InputTokens: 5, OutputTokens: 1}} {
		_, llm := tr.StartSpan(ctx, "llm", WithSpanType("LLM"), WithAttributes(map[string]any{spanjson.AttrTokenUsage: u}))
		llm.End()
	}
	root.End()
	// The second usage has no total: it counts as input + output (6).
	if got := exp.all()[0].Trace.Info.Metadata[spanjson.MetaTokenUsage]; got != `{"input_tokens":15,"output_tokens":3,"total_tokens":18}` {
		t.Errorf("token usage = %q", got)
	}
}

func TestTracerStartTimeAndNilExporter(t *testing.T) {
	tr := NewTracer(nil, WithTracingEnabled(true))
	defer tr.Close()
	start := time.Unix(1_700_000_000, 5)
	_, s := tr.StartSpan(context.Background(), "root", WithStartTime(start))
	live := tr.Manager().SpanFromID(s.TraceID(), s.SpanID())
	if live == nil || live.StartTime() != start.UnixNano() {
		t.Fatalf("start = %v", live)
	}
	s.End() // no exporter: the trace is popped and dropped, without panicking
	if tr.Manager().SpanFromID(s.TraceID(), s.SpanID()) != nil {
		t.Error("trace still held after its root ended")
	}
	var nilSpan *tracerSpan
	if nilSpan.AsLiveSpan() != nil {
		t.Error("nil tracer span yields a live span")
	}
}

func TestTracerAndProcessorLeaveNoGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	tr := NewTracer(&fakeExporter{}, WithTracingEnabled(true))
	_, s := tr.StartSpan(context.Background(), "x")
	s.End()
	_ = tr.Close()
	p := NewSpanProcessor(&fakeExporter{}, WithTracingEnabled(true))
	_ = p.Shutdown(context.Background())
	goleak.VerifyNone(t, before)
}
