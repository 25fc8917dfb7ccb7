package manager

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"tracectl/internal/spanjson"
	"tracectl/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a manual clock (Now, Advance) whose Tick fires the cleanup
// ticker and returns once the sweep it caused has finished.
type fakeClock struct {
	*testclock.Clock
	tick chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{Clock: testclock.New(), tick: make(chan time.Time)}
}

func (c *fakeClock) NewTicker(time.Duration) ticker { return fakeTicker{c.tick} }

// Tick delivers two ticks: the second is received only after the sweep of
// the first has returned, so the caller sees its effects.
func (c *fakeClock) Tick() {
	c.tick <- c.Now()
	c.tick <- c.Now()
}

type fakeTicker struct{ c chan time.Time }

func (f fakeTicker) C() <-chan time.Time { return f.c }
func (f fakeTicker) Stop()               {}

// expired collects what OnExpire received.
type expired struct {
	mu     sync.Mutex
	traces []*ManagerTrace
}

func (e *expired) add(mt *ManagerTrace) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.traces = append(e.traces, mt)
}

func (e *expired) ids() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for _, mt := range e.traces {
		ids = append(ids, mt.Trace.Info.TraceID)
	}
	return ids
}

func newTestManager(t *testing.T, cfg Config) (*Manager, *fakeClock, *expired) {
	t.Helper()
	clk := newFakeClock()
	exp := &expired{}
	if cfg.OnExpire == nil {
		cfg.OnExpire = exp.add
	}
	m := newManager(cfg, clk)
	t.Cleanup(func() { _ = m.Close() })
	return m, clk, exp
}

func traceID(n int) spanjson.TraceID {
	var id spanjson.TraceID
	id[0] = 0xab
	id[14] = byte(n >> 8)
	id[15] = byte(n)
	return id
}

func spanID(n int) spanjson.SpanID {
	var id spanjson.SpanID
	id[0] = 0xcd
	id[6] = byte(n >> 8)
	id[7] = byte(n)
	return id
}

func liveSpan(trace, span, parent int, name string, start time.Time) *spanjson.LiveSpan {
	var p spanjson.SpanID
	if parent >= 0 {
		p = spanID(parent)
	}
	return spanjson.NewLiveSpan(traceID(trace), spanID(span), p, name, start)
}

func TestRegisterSpanFromIDRootAndPop(t *testing.T) {
	m, clk, _ := newTestManager(t, Config{})
	t0 := clk.Now()
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{Tags: map[string]string{"k": "v"}})
	root := liveSpan(1, 1, -1, "root", t0)
	child := liveSpan(1, 2, 1, "child", t0.Add(time.Millisecond))
	// The child is registered first: the root is found by its missing parent.
	for _, s := range []*spanjson.LiveSpan{child, root} {
		if err := m.RegisterSpan(s); err != nil {
			t.Fatal(err)
		}
	}
	mlflowID := traceID(1).MLflowID()
	if got := m.SpanFromID(mlflowID, child.SpanID()); got != child {
		t.Errorf("SpanFromID(child) = %v, want the child span", got)
	}
	if got := m.SpanFromID(mlflowID, "0000000000000009"); got != nil {
		t.Errorf("SpanFromID(absent span) = %v, want nil", got)
	}
	if got := m.SpanFromID("tr-nope", child.SpanID()); got != nil {
		t.Errorf("SpanFromID(absent trace) = %v, want nil", got)
	}
	if got, want := m.RootSpanID(mlflowID), root.SpanID(); got != want {
		t.Errorf("RootSpanID = %q, want %q", got, want)
	}
	if got := m.RootSpanID("tr-nope"); got != "" {
		t.Errorf("RootSpanID(absent) = %q, want empty", got)
	}

	root.SetInputs(map[string]any{"q": "hi"})
	root.SetOutputs("answer")
	child.End()
	root.End()
	mt := m.PopTrace(traceID(1))
	if mt == nil {
		t.Fatal("PopTrace = nil")
	}
	var names []string
	for _, s := range mt.Trace.Spans {
		names = append(names, s.Name())
	}
	if diff := cmp.Diff([]string{"child", "root"}, names); diff != "" {
		t.Errorf("span order (-want +got):\n%s", diff)
	}
	info := mt.Trace.Info
	if info.TraceID != mlflowID || info.State != "" || info.Tags["k"] != "v" {
		t.Errorf("info = %+v, want id %s, state as registered (empty), tag k=v", info, mlflowID)
	}
	if info.RequestPreview != `{"q":"hi"}` || info.ResponsePreview != `"answer"` {
		t.Errorf("previews = %q, %q", info.RequestPreview, info.ResponsePreview)
	}
	// Immutable: later changes to the live span do not reach the popped span.
	root.SetOutputs("changed")
	if v, _ := mt.Trace.Spans[1].Outputs(); v != "answer" {
		t.Errorf("popped span outputs = %v, want the value at pop time", v)
	}
	if m.PopTrace(traceID(1)) != nil {
		t.Error("second PopTrace returned a trace")
	}
	if m.SpanFromID(mlflowID, root.SpanID()) != nil || m.RootSpanID(mlflowID) != "" {
		t.Error("trace still reachable by MLflow id after PopTrace")
	}
	if err := m.RegisterSpan(liveSpan(1, 3, 1, "late", t0)); err == nil {
		t.Error("RegisterSpan after PopTrace: want error, the otel id mapping should be gone")
	}
}

func TestRegisterSpanReplacesSameID(t *testing.T) {
	m, clk, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	a := liveSpan(1, 1, -1, "first", clk.Now())
	b := liveSpan(1, 1, -1, "second", clk.Now())
	_ = m.RegisterSpan(a)
	_ = m.RegisterSpan(b)
	mt := m.PopTrace(traceID(1))
	if len(mt.Trace.Spans) != 1 || mt.Trace.Spans[0].Name() != "second" {
		t.Errorf("spans = %v, want only the second registration", mt.Trace.Spans)
	}
}

func TestRegisterSpanSkipsNonLive(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	for _, s := range []spanjson.ActiveSpan{nil, spanjson.NoOpSpan{}, (*spanjson.LiveSpan)(nil)} {
		if err := m.RegisterSpan(s); err != nil {
			t.Errorf("RegisterSpan(%T) = %v, want nil", s, err)
		}
	}
	if mt := m.PopTrace(traceID(1)); len(mt.Trace.Spans) != 0 {
		t.Errorf("spans = %d, want 0", len(mt.Trace.Spans))
	}
}

func TestRegisterSpanUnknownTraceNamesIt(t *testing.T) {
	m, clk, _ := newTestManager(t, Config{})
	s := liveSpan(7, 1, -1, "orphan", clk.Now())
	err := m.RegisterSpan(s)
	if err == nil {
		t.Fatal("RegisterSpan of an unregistered trace: nil error")
	}
	if want := "tr-ab000000000000000000000000000007"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name trace %s", err, want)
	}
}

func TestRegisterTraceCustomMLflowID(t *testing.T) {
	// An MLflow 2 style request id that is not "tr-"+otel hex still works:
	// spans are found through the otel id mapping.
	m, clk, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{TraceID: "abc123"})
	s := liveSpan(1, 1, -1, "root", clk.Now())
	if err := m.RegisterSpan(s); err != nil {
		t.Fatal(err)
	}
	if m.SpanFromID("abc123", s.SpanID()) != s || m.RootSpanID("abc123") != s.SpanID() {
		t.Error("span not reachable by the custom MLflow id")
	}
	if mt := m.PopTrace(traceID(1)); mt == nil || mt.Trace.Info.TraceID != "abc123" {
		t.Errorf("PopTrace = %+v", mt)
	}
}

func TestRegisterTraceAgainHandsOldToOnExpire(t *testing.T) {
	m, clk, exp := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{ClientRequestID: "old"})
	_ = m.RegisterSpan(liveSpan(1, 1, -1, "root", clk.Now()))
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{ClientRequestID: "new"})
	if len(exp.traces) != 1 || exp.traces[0].Trace.Info.ClientRequestID != "old" || len(exp.traces[0].Trace.Spans) != 1 {
		t.Fatalf("OnExpire got %v, want the old trace with its span", exp.ids())
	}
	if mt := m.PopTrace(traceID(1)); mt.Trace.Info.ClientRequestID != "new" {
		t.Errorf("registered trace = %+v, want the new one", mt.Trace.Info)
	}
	// registerTrace(ifAbsent) keeps what is there.
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{ClientRequestID: "first"})
	if m.registerTrace(traceID(2), spanjson.TraceInfo{ClientRequestID: "second"}, true) {
		t.Error("registerTrace(ifAbsent) replaced a registered trace")
	}
	if mt := m.PopTrace(traceID(2)); mt.Trace.Info.ClientRequestID != "first" {
		t.Errorf("got %q, want first", mt.Trace.Info.ClientRequestID)
	}
}

func TestPreviews(t *testing.T) {
	long := strings.Repeat("é", 600) + strings.Repeat("字", 600) // 1,200 runes
	longJSON := `"` + long + `"`
	tests := []struct {
		name         string
		inputs       *spanjson.Attribute // nil: not set
		info         spanjson.TraceInfo
		wantRequest  string
		wantRunes    int
		wantResponse string
	}{
		{name: "object", inputs: &spanjson.Attribute{Key: spanjson.AttrInputs, Value: `{"a":[1,2]}`}, wantRequest: `{"a":[1,2]}`},
		{name: "absent", wantRequest: ""},
		{name: "plain string stored raw is JSON-encoded", inputs: &spanjson.Attribute{Key: spanjson.AttrInputs, Value: "hello world", Type: spanjson.ValueString}, wantRequest: `"hello world"`},
		{name: "multi-byte text cut at 1000 characters", inputs: &spanjson.Attribute{Key: spanjson.AttrInputs, Value: longJSON}, wantRequest: longJSON[:len(`"`)+600*2+399*3], wantRunes: 1000},
		{name: "exactly 1000 characters kept", inputs: &spanjson.Attribute{Key: spanjson.AttrInputs, Value: `"` + strings.Repeat("ü", 998) + `"`}, wantRequest: `"` + strings.Repeat("ü", 998) + `"`, wantRunes: 1000},
		{name: "info preview kept", inputs: &spanjson.Attribute{Key: spanjson.AttrInputs, Value: `"x"`}, info: spanjson.TraceInfo{RequestPreview: "mine", ResponsePreview: "theirs"}, wantRequest: "mine", wantResponse: "theirs"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _ := newTestManager(t, Config{})
			m.RegisterTrace(traceID(i), tt.info)
			var attrs []spanjson.Attribute
			if tt.inputs != nil {
				attrs = append(attrs, *tt.inputs)
			}
			root := spanjson.LiveSpanFrom(spanjson.NewSpan(spanjson.SpanData{
				TraceID: traceID(i), SpanID: spanID(1), Name: "root", Attributes: spanjson.NewAttributes(attrs),
			}))
			_ = m.RegisterSpan(liveSpan(i, 2, 1, "child", time.Unix(1, 0))) // child inputs never used
			m.SpanFromID(traceID(i).MLflowID(), spanID(2).String()).SetInputs("child")
			_ = m.RegisterSpan(root)
			mt := m.PopTrace(traceID(i))
			if got := mt.Trace.Info.RequestPreview; got != tt.wantRequest {
				t.Errorf("request preview = %.60q… (%d runes), want %.60q… (%d runes)", got, utf8.RuneCountInString(got), tt.wantRequest, utf8.RuneCountInString(tt.wantRequest))
			}
			if tt.wantRunes != 0 && utf8.RuneCountInString(mt.Trace.Info.RequestPreview) != tt.wantRunes {
				t.Errorf("request preview has %d runes, want %d", utf8.RuneCountInString(mt.Trace.Info.RequestPreview), tt.wantRunes)
			}
			if got := mt.Trace.Info.ResponsePreview; got != tt.wantResponse {
				t.Errorf("response preview = %q, want %q", got, tt.wantResponse)
			}
		})
	}
}

func TestRegisterPrompt(t *testing.T) {
	tests := []struct {
		name    string
		oldTag  string // "" = no tag
		add     []spanjson.PromptVersion
		wantTag string
		wantErr string
		prompts int
	}{
		{
			name:    "first prompt",
			add:     []spanjson.PromptVersion{{Name: "qa", Version: 3}},
			wantTag: `[{"name":"qa","version":"3"}]`,
			prompts: 1,
		},
		{
			name:    "same prompt twice is linked once",
			add:     []spanjson.PromptVersion{{Name: "qa", Version: 3}, {Name: "qa", Version: 3, Template: "t"}},
			wantTag: `[{"name":"qa","version":"3"}]`,
			prompts: 1,
		},
		{
			name:    "two versions of one prompt",
			add:     []spanjson.PromptVersion{{Name: "qa", Version: 3}, {Name: "qa", Version: 4}},
			wantTag: `[{"name":"qa","version":"3"},{"name":"qa","version":"4"}]`,
			prompts: 2,
		},
		{
			name:    "merged with the old tag, numeric versions accepted, duplicates dropped",
			oldTag:  `[{"name": "customer-support", "version": 12}, {"name": "qa", "version": "3"}, {"name": "qa", "version": "3"}]`,
			add:     []spanjson.PromptVersion{{Name: "qa", Version: 3}, {Name: "new", Version: 1}},
			wantTag: `[{"name":"customer-support","version":"12"},{"name":"qa","version":"3"},{"name":"new","version":"1"}]`,
			prompts: 2,
		},
		{
			name:    "unreadable tag is an error and left alone",
			oldTag:  `not json`,
			add:     []spanjson.PromptVersion{{Name: "qa", Version: 3}},
			wantTag: `not json`,
			wantErr: "mlflow.linkedPrompts",
			prompts: 0,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _ := newTestManager(t, Config{})
			info := spanjson.TraceInfo{}
			if tt.oldTag != "" {
				info.Tags = map[string]string{spanjson.TagLinkedPrompts: tt.oldTag}
			}
			m.RegisterTrace(traceID(i), info)
			var err error
			for _, p := range tt.add {
				if e := m.RegisterPrompt(traceID(i).MLflowID(), p); e != nil {
					err = e
				}
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want containing %q", err, tt.wantErr)
			}
			mt := m.PopTrace(traceID(i))
			if diff := cmp.Diff(tt.wantTag, mt.Trace.Info.Tags[spanjson.TagLinkedPrompts]); diff != "" {
				t.Errorf("tag (-want +got):\n%s", diff)
			}
			if len(mt.Prompts) != tt.prompts {
				t.Errorf("prompts = %v, want %d", mt.Prompts, tt.prompts)
			}
		})
	}
}

func TestRegisterPromptUnknownTrace(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	err := m.RegisterPrompt("tr-missing", spanjson.PromptVersion{Name: "qa", Version: 1})
	if err == nil || !strings.Contains(err.Error(), "tr-missing") {
		t.Errorf("err = %v, want an error naming tr-missing", err)
	}
}

func TestRegisterTraceDoesNotAliasCallerTags(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	tags := map[string]string{}
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{Tags: tags})
	_ = m.RegisterPrompt(traceID(1).MLflowID(), spanjson.PromptVersion{Name: "p", Version: 1})
	if len(tags) != 0 {
		t.Errorf("caller's tag map was modified: %v", tags)
	}
}

func TestTimeoutMode(t *testing.T) {
	m, clk, exp := newTestManager(t, Config{Timeout: 5 * time.Second})
	t0 := clk.Now()
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	root := liveSpan(1, 1, -1, "root", t0)
	done := liveSpan(1, 2, 1, "done", t0)
	_ = m.RegisterSpan(root)
	_ = m.RegisterSpan(done)
	done.SetStatus(spanjson.StatusOK, "")
	done.EndAt(t0.Add(time.Second))

	clk.Advance(3 * time.Second)
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{})
	clk.Advance(time.Second) // t0+4s: nothing overdue
	clk.Tick()
	if ids := exp.ids(); len(ids) != 0 {
		t.Fatalf("expired at 4s: %v", ids)
	}
	clk.Advance(time.Second) // t0+5s: trace 1 is overdue, trace 2 is not
	clk.Tick()
	if diff := cmp.Diff([]string{traceID(1).MLflowID()}, exp.ids()); diff != "" {
		t.Fatalf("expired (-want +got):\n%s", diff)
	}
	mt := exp.traces[0]
	if mt.Trace.Info.State != spanjson.StateError {
		t.Errorf("trace state = %s, want ERROR", mt.Trace.Info.State)
	}
	r, d := mt.Trace.Spans[0], mt.Trace.Spans[1]
	if r.Status().Code != spanjson.StatusError || !strings.Contains(r.Status().Message, "timed out") || r.EndTime() != clk.Now().UnixNano() {
		t.Errorf("unfinished root: status %+v end %d, want ERROR ended at %d", r.Status(), r.EndTime(), clk.Now().UnixNano())
	}
	if d.Status().Code != spanjson.StatusOK || d.EndTime() != t0.Add(time.Second).UnixNano() {
		t.Errorf("finished span changed: status %+v end %d", d.Status(), d.EndTime())
	}
	if m.PopTrace(traceID(1)) != nil {
		t.Error("expired trace still held")
	}
	if m.PopTrace(traceID(2)) == nil {
		t.Error("trace 2 was dropped before its timeout")
	}
}

func TestTimeoutModeHasNoSizeBound(t *testing.T) {
	m, _, exp := newTestManager(t, Config{Timeout: time.Minute, MaxSize: 2})
	for i := range 5 {
		m.RegisterTrace(traceID(i), spanjson.TraceInfo{})
	}
	if len(exp.ids()) != 0 {
		t.Errorf("timeout mode evicted %v", exp.ids())
	}
}

func TestTTLMode(t *testing.T) {
	m, clk, exp := newTestManager(t, Config{TTL: 10 * time.Second})
	t0 := clk.Now()
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{State: spanjson.StateInProgress})
	running := liveSpan(1, 1, -1, "root", t0)
	_ = m.RegisterSpan(running)
	clk.Advance(4 * time.Second)
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{})
	clk.Advance(6 * time.Second) // t0+10s: trace 1 reached the TTL
	clk.Tick()
	if diff := cmp.Diff([]string{traceID(1).MLflowID()}, exp.ids()); diff != "" {
		t.Fatalf("expired (-want +got):\n%s", diff)
	}
	// TTL expiry hands the trace over as it is: no span is ended.
	if mt := exp.traces[0]; mt.Trace.Spans[0].EndTime() != 0 || mt.Trace.Info.State != spanjson.StateInProgress {
		t.Errorf("TTL-expired trace changed: end %d state %s", mt.Trace.Spans[0].EndTime(), mt.Trace.Info.State)
	}
	// Expiry also happens on RegisterTrace, without waiting for a tick.
	clk.Advance(4 * time.Second) // trace 2 is 10s old
	m.RegisterTrace(traceID(3), spanjson.TraceInfo{})
	if diff := cmp.Diff([]string{traceID(1).MLflowID(), traceID(2).MLflowID()}, exp.ids()); diff != "" {
		t.Fatalf("expired (-want +got):\n%s", diff)
	}
	if m.PopTrace(traceID(3)) == nil {
		t.Error("trace 3 dropped")
	}
}

func TestMaxSizeEvictsOldestFirst(t *testing.T) {
	m, clk, exp := newTestManager(t, Config{MaxSize: 3})
	for i := 1; i <= 6; i++ {
		m.RegisterTrace(traceID(i), spanjson.TraceInfo{})
		clk.Advance(time.Millisecond)
	}
	// Popping 5 makes room: registering 7 pushes out nothing more.
	if m.PopTrace(traceID(5)) == nil {
		t.Fatal("trace 5 missing")
	}
	m.RegisterTrace(traceID(7), spanjson.TraceInfo{})
	want := []string{traceID(1).MLflowID(), traceID(2).MLflowID(), traceID(3).MLflowID()}
	if diff := cmp.Diff(want, exp.ids()); diff != "" {
		t.Errorf("evicted (-want +got):\n%s", diff)
	}
	for _, n := range []int{4, 6, 7} {
		if m.PopTrace(traceID(n)) == nil {
			t.Errorf("trace %d was evicted", n)
		}
	}
}

func TestNilOnExpireDropsWithWarning(t *testing.T) {
	clk := newFakeClock()
	m := newManager(Config{MaxSize: 1}, clk)
	defer m.Close()
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{}) // must not panic
	if m.PopTrace(traceID(1)) != nil || m.PopTrace(traceID(2)) == nil {
		t.Error("eviction with nil OnExpire went wrong")
	}
}

func TestEnvTimeoutChangeRebuildsCache(t *testing.T) {
	t.Setenv(EnvTimeout, "")
	m, clk, exp := newTestManager(t, Config{})
	m.watch = true // as Instance does
	m.envSeen = ""
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{State: spanjson.StateInProgress})
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{})
	if len(exp.ids()) != 0 {
		t.Fatalf("unchanged env expired %v", exp.ids())
	}

	t.Setenv(EnvTimeout, "30")
	m.RegisterTrace(traceID(3), spanjson.TraceInfo{})
	if diff := cmp.Diff([]string{traceID(1).MLflowID(), traceID(2).MLflowID()}, exp.ids()); diff != "" {
		t.Fatalf("old cache (-want +got):\n%s", diff)
	}
	if exp.traces[0].Trace.Info.State != spanjson.StateInProgress {
		t.Errorf("rebuilt-out trace state = %s, want IN_PROGRESS (handed over as is)", exp.traces[0].Trace.Info.State)
	}
	// The new cache is in timeout mode: trace 3 times out after 30s.
	clk.Advance(30 * time.Second)
	clk.Tick()
	if got := exp.ids(); len(got) != 3 || got[2] != traceID(3).MLflowID() || exp.traces[2].Trace.Info.State != spanjson.StateError {
		t.Errorf("after 30s expired %v, want trace 3 timed out with ERROR", got)
	}
	// The same value again: no rebuild.
	m.RegisterTrace(traceID(4), spanjson.TraceInfo{})
	m.RegisterTrace(traceID(5), spanjson.TraceInfo{})
	if len(exp.ids()) != 3 {
		t.Errorf("unchanged env expired %v", exp.ids()[3:])
	}
	// Back to unset: TTL mode again, 4 and 5 are handed over.
	t.Setenv(EnvTimeout, "")
	m.RegisterTrace(traceID(6), spanjson.TraceInfo{})
	if got := exp.ids(); len(got) != 5 {
		t.Errorf("expired %v, want traces 4 and 5 added", got)
	}
	m.mu.Lock()
	timeout := m.cfg.Timeout
	m.mu.Unlock()
	if timeout != 0 {
		t.Errorf("timeout = %s after unsetting the variable, want 0", timeout)
	}
}

func TestInstanceBuiltOnceAndReset(t *testing.T) {
	t.Setenv(EnvTimeout, "")
	Reset()
	t.Cleanup(Reset)
	var wg sync.WaitGroup
	got := make([]*Manager, 32)
	for i := range got {
		wg.Go(func() { got[i] = Instance() })
	}
	wg.Wait()
	for i, m := range got {
		if m == nil || m != got[0] {
			t.Fatalf("Instance()[%d] = %p, want %p for every caller", i, m, got[0])
		}
	}
	if !got[0].watch {
		t.Error("process-wide manager does not watch the environment")
	}
	Reset()
	if Instance() == got[0] {
		t.Error("Instance after Reset returned the old manager")
	}
	// The old manager was closed: its goroutine is gone (goleak checks too).
	select {
	case <-got[0].done:
	default:
		t.Error("Reset left the old manager's cleanup goroutine running")
	}
}

func TestInstanceReadsEnv(t *testing.T) {
	t.Setenv(EnvTimeout, "7")
	t.Setenv(EnvMaxSize, "5")
	Reset()
	t.Cleanup(Reset)
	m := Instance()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.Timeout != 7*time.Second || m.cfg.MaxSize != 5 || m.envSeen != "7" {
		t.Errorf("cfg = %+v envSeen %q", m.cfg, m.envSeen)
	}
}

func TestConfigFromEnv(t *testing.T) {
	def := Config{CheckInterval: time.Second, TTL: 3600 * time.Second, MaxSize: 1000}
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{name: "defaults", want: def},
		{
			name: "all set",
			env:  map[string]string{EnvTimeout: "30", EnvCheckInterval: "0.5", EnvTTL: "60", EnvMaxSize: "10"},
			want: Config{Timeout: 30 * time.Second, CheckInterval: 500 * time.Millisecond, TTL: time.Minute, MaxSize: 10},
		},
		{
			name: "bad values keep the defaults",
			env:  map[string]string{EnvTimeout: "soon", EnvCheckInterval: "0", EnvTTL: "-1", EnvMaxSize: "1.5"},
			want: def,
		},
		{
			name: "zero timeout is TTL mode",
			env:  map[string]string{EnvTimeout: "0", EnvMaxSize: "0"},
			want: def,
		},
		{
			name: "NaN and huge values are rejected",
			env:  map[string]string{EnvTimeout: "NaN", EnvTTL: "1e300"},
			want: def,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{EnvTimeout, EnvCheckInterval, EnvTTL, EnvMaxSize} {
				t.Setenv(k, tt.env[k])
			}
			if diff := cmp.Diff(tt.want, ConfigFromEnv(), cmp.Comparer(func(a, b func(*ManagerTrace)) bool { return a == nil && b == nil })); diff != "" {
				t.Errorf("ConfigFromEnv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCloseIsIdempotentAndStopsGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	m := New(Config{CheckInterval: time.Hour})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.done:
	default:
		t.Fatal("cleanup goroutine still running after Close")
	}
	goleak.VerifyNone(t, before)
	// The manager still works without its goroutine.
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	if m.PopTrace(traceID(1)) == nil {
		t.Error("PopTrace after Close")
	}
}

func TestRealTickerSweeps(t *testing.T) {
	// The real clock path: a short interval and a timeout already passed.
	got := make(chan *ManagerTrace, 1)
	m := New(Config{Timeout: time.Nanosecond, CheckInterval: time.Millisecond, OnExpire: func(mt *ManagerTrace) { got <- mt }})
	defer m.Close()
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	select {
	case mt := <-got:
		if mt.Trace.Info.State != spanjson.StateError {
			t.Errorf("state = %s", mt.Trace.Info.State)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no expiry within 10s with a 1ms check interval")
	}
}

func TestNoOpSpanMethods(t *testing.T) {
	var s spanjson.ActiveSpan = spanjson.NoOpSpan{}
	s.SetInputs(map[string]any{"a": 1})
	s.SetOutputs(nil)
	s.SetAttribute("k", []int{1})
	s.SetAttributes(map[string]any{"x": 1})
	s.SetAttributes(nil)
	s.SetSpanType("LLM")
	s.SetStatus(spanjson.StatusError, "boom")
	s.AddEvent("e", nil)
	s.RecordException(fmt.Errorf("boom"))
	s.RecordException(nil)
	s.End()
	s.End()
	if s.SpanID() != "" || s.TraceID() != "" || s.ParentID() != "" || s.Name() != "" {
		t.Errorf("NoOpSpan ids = %q %q %q %q, want empty", s.SpanID(), s.TraceID(), s.ParentID(), s.Name())
	}
}

func TestConcurrentRegisterReadPop(t *testing.T) {
	const (
		workers        = 16
		tracesPerWork  = 50
		spansPerTrace  = 20
		maxSizeForTest = 1 << 20
	)
	m, clk, exp := newTestManager(t, Config{MaxSize: maxSizeForTest})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for n := range tracesPerWork {
				id := w*tracesPerWork + n
				m.RegisterTrace(traceID(id), spanjson.TraceInfo{})
				mlflowID := traceID(id).MLflowID()
				for s := range spansPerTrace {
					parent := s - 1
					if s == 0 {
						parent = -1
					}
					ls := liveSpan(id, s+1, parent, "s", clk.Now())
					if err := m.RegisterSpan(ls); err != nil {
						errs <- err
						return
					}
					if m.SpanFromID(mlflowID, ls.SpanID()) != ls {
						errs <- fmt.Errorf("trace %d: span %d not found after registering", id, s)
						return
					}
					if m.RootSpanID(mlflowID) != spanID(1).String() {
						errs <- fmt.Errorf("trace %d: wrong root", id)
						return
					}
				}
				_ = m.RegisterPrompt(mlflowID, spanjson.PromptVersion{Name: "p", Version: n})
				mt := m.PopTrace(traceID(id))
				if mt == nil || len(mt.Trace.Spans) != spansPerTrace || len(mt.Prompts) != 1 {
					errs <- fmt.Errorf("trace %d: popped %+v", id, mt)
					return
				}
			}
		})
	}
	// A sweeper and a reader of absent ids run alongside.
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Go(func() {
		for {
			select {
			case <-stop:
				return
			case clk.tick <- clk.Now():
			}
		}
	})
	side.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				m.PopTrace(traceID(1 << 15))
				m.SpanFromID("tr-none", "0000000000000001")
			}
		}
	})
	wg.Wait()
	close(stop)
	side.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(exp.ids()) != 0 {
		t.Errorf("traces expired during the run: %d", len(exp.ids()))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inShards := 0
	for i := range m.shards {
		inShards += len(m.shards[i].byOTel)
	}
	if m.count != 0 || len(m.byID) != 0 || inShards != 0 || m.oldest != nil || m.newest != nil {
		t.Errorf("manager not empty after every trace was popped: count %d", m.count)
	}
}

func TestResetHandsHeldTracesToOnExpire(t *testing.T) {
	t.Setenv(EnvTimeout, "")
	Reset()
	t.Cleanup(Reset)
	exp := &expired{}
	m := Instance()
	m.SetOnExpire(exp.add)
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	Reset()
	if diff := cmp.Diff([]string{traceID(1).MLflowID()}, exp.ids()); diff != "" {
		t.Errorf("OnExpire after Reset (-want +got):\n%s", diff)
	}
}

// TestConcurrentEvictionLosesNothing registers far more traces than
// MaxSize from many goroutines: every trace must leave exactly once,
// either popped by its owner or handed to OnExpire.
func TestConcurrentEvictionLosesNothing(t *testing.T) {
	const workers, perWorker = 8, 200
	m, clk, exp := newTestManager(t, Config{MaxSize: 3})
	var mu sync.Mutex
	popped := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Four traces open per worker, more than MaxSize: some are pushed out.
			for n := 0; n < perWorker; n += 4 {
				for k := range 4 {
					id := w*perWorker + n + k
					m.RegisterTrace(traceID(id), spanjson.TraceInfo{})
					for s := range 3 {
						// An error here means the trace was already pushed out.
						_ = m.RegisterSpan(liveSpan(id, s+1, s, "s", clk.Now()))
					}
				}
				for k := range 4 {
					if mt := m.PopTrace(traceID(w*perWorker + n + k)); mt != nil {
						mu.Lock()
						popped[mt.Trace.Info.TraceID]++
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if len(exp.ids()) == 0 {
		t.Fatal("nothing was pushed out: the test does not exercise eviction")
	}
	for _, id := range exp.ids() {
		popped[id]++
	}
	for id := range workers * perWorker {
		if n := popped[traceID(id).MLflowID()]; n != 1 {
			t.Errorf("trace %d left %d times, want exactly once", id, n)
		}
	}
}

// captureLog routes slog to a buffer at debug level for the test.
func captureLog(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogging(t *testing.T) {
	buf := captureLog(t)
	t.Setenv(EnvMaxSize, "lots")
	_ = ConfigFromEnv()
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, EnvMaxSize) || !strings.Contains(out, "lots") {
		t.Errorf("bad env value log = %q", out)
	}
	m, _, _ := newTestManager(t, Config{})
	_ = m.RegisterSpan(spanjson.NoOpSpan{})
	if out := buf.String(); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "NoOpSpan") {
		t.Errorf("skipped span log = %q", out)
	}
}

func TestOnExpireRunsWithoutTheLock(t *testing.T) {
	// OnExpire calls back into the manager; under the lock this deadlocks.
	var m *Manager
	calls := make(chan string, 8)
	clk := newFakeClock()
	m = newManager(Config{MaxSize: 1, TTL: time.Minute, OnExpire: func(mt *ManagerTrace) {
		m.RootSpanID(mt.Trace.Info.TraceID)
		m.PopTrace(traceID(99))
		calls <- mt.Trace.Info.TraceID
	}}, clk)
	defer m.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
		m.RegisterTrace(traceID(2), spanjson.TraceInfo{}) // pushes out 1
		clk.Advance(time.Minute)
		clk.Tick() // expires 2
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: OnExpire was called with the lock held")
	}
	if a, b := <-calls, <-calls; a != traceID(1).MLflowID() || b != traceID(2).MLflowID() {
		t.Errorf("OnExpire calls = %s, %s", a, b)
	}
}

func decodedSpan(trace, span, parent int, name string) spanjson.Span {
	var p spanjson.SpanID
	if parent >= 0 {
		p = spanID(parent)
	}
	return spanjson.NewSpan(spanjson.SpanData{
		TraceID: traceID(trace), SpanID: spanID(span), ParentID: p, Name: name, StartTime: int64(span), EndTime: int64(span) + 10,
		Attributes: spanjson.NewAttributes([]spanjson.Attribute{{Key: spanjson.AttrInputs, Value: `"q"`}}),
	})
}

func spanNames(spans []spanjson.Span) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	return names
}

func TestAddSpansKeepsTheFirstOfRepeatedIDs(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	m.RegisterTrace(traceID(2), spanjson.TraceInfo{})
	rep, err := m.AddSpans([]spanjson.Span{
		decodedSpan(1, 1, -1, "root"), decodedSpan(1, 2, 1, "a"), decodedSpan(1, 2, 1, "a again"),
		decodedSpan(2, 1, -1, "other root"), decodedSpan(1, 3, 1, "b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a again"}, spanNames(rep)); diff != "" {
		t.Errorf("repeated (-want +got):\n%s", diff)
	}
	// A later batch: an id held from the first batch comes back too.
	rep, err = m.AddSpans([]spanjson.Span{decodedSpan(1, 3, 1, "b again"), decodedSpan(1, 4, 3, "c")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b again"}, spanNames(rep)); diff != "" {
		t.Errorf("repeated (-want +got):\n%s", diff)
	}
	// The index points at the spans kept, past the ones left out.
	for sid, want := range map[int]string{1: "root", 2: "a", 3: "b", 4: "c"} {
		if l := m.spanByOTel(traceID(1), spanID(sid)); l == nil || l.Name() != want {
			t.Errorf("span %d by id: %v, want %q", sid, l, want)
		}
	}
	mt := m.PopTrace(traceID(1))
	if diff := cmp.Diff([]string{"root", "a", "b", "c"}, spanNames(mt.Trace.Spans)); diff != "" {
		t.Errorf("trace 1 spans (-want +got):\n%s", diff)
	}
	if mt.Trace.Info.RequestPreview != `"q"` {
		t.Errorf("request preview = %q, want it from the root's inputs", mt.Trace.Info.RequestPreview)
	}
	if mt := m.PopTrace(traceID(2)); len(mt.Trace.Spans) != 1 || mt.Trace.Spans[0].Name() != "other root" {
		t.Errorf("trace 2 spans = %v", spanNames(mt.Trace.Spans))
	}
}

func TestAddSpansLiveSpansAreUsable(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{TraceID: "tr-one"})
	src := decodedSpan(1, 1, -1, "root")
	if _, err := m.AddSpans([]spanjson.Span{src}); err != nil {
		t.Fatal(err)
	}
	ls := m.SpanFromID("tr-one", src.SpanID().String())
	if ls == nil {
		t.Fatal("SpanFromID: nil")
	}
	ls.SetStatus(spanjson.StatusError, "changed while held")
	mt := m.PopTrace(traceID(1))
	if got := mt.Trace.Spans[0].Status().Code; got != spanjson.StatusError {
		t.Errorf("popped status = %v, want the change made through the live span", got)
	}
	if src.Status().Code != spanjson.StatusUnset {
		t.Errorf("the decoded span changed: %v", src.Status())
	}
}

func TestAddSpansUnknownTraceNamesIt(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	_, err := m.AddSpans([]spanjson.Span{decodedSpan(1, 1, -1, "root"), decodedSpan(7, 1, -1, "orphan")})
	if err == nil || !strings.Contains(err.Error(), "tr-ab000000000000000000000000000007") {
		t.Fatalf("error = %v, want one naming the unregistered trace", err)
	}
	if mt := m.PopTrace(traceID(1)); len(mt.Trace.Spans) != 1 {
		t.Errorf("spans before the error: %d, want 1 kept", len(mt.Trace.Spans))
	}
}

func TestAddSpansBigBatchConcurrentWithReads(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{TraceID: "tr-big"})
	spans := []spanjson.Span{decodedSpan(1, 0, -1, "root")}
	for i := 1; i < maxPooledSpans+100; i++ {
		spans = append(spans, decodedSpan(1, i, 0, "child"))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			_ = m.RootSpanID("tr-big")
		}
	})
	if _, err := m.AddSpans(spans); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := m.RootSpanID("tr-big"); got != spanID(0).String() {
		t.Errorf("root = %q", got)
	}
	if mt := m.PopTrace(traceID(1)); len(mt.Trace.Spans) != len(spans) {
		t.Errorf("spans = %d, want %d", len(mt.Trace.Spans), len(spans))
	}
}

func TestDistinctIDs(t *testing.T) {
	ids := func(ns ...uint64) []spanjson.Span {
		var out []spanjson.Span
		for _, n := range ns {
			var id spanjson.SpanID
			for k := range 8 {
				id[k] = byte(n >> (8 * k))
			}
			out = append(out, spanjson.NewSpan(spanjson.SpanData{SpanID: id}))
		}
		return out
	}
	many := make([]uint64, 3000)
	for i := range many {
		many[i] = uint64(i)*0x9e3779b97f4a7c15 + 1
	}
	withRepeat := append(append([]uint64(nil), many...), many[1234])
	for _, tc := range []struct {
		name string
		ids  []uint64
		want bool
	}{
		{"one", []uint64{5}, true},
		{"distinct", []uint64{1, 2, 3, 1 << 56, 1<<56 | 1}, true},
		{"repeat far apart", []uint64{7, 1 << 40, 9, 7}, false},
		{"differ only in the top byte", []uint64{1 << 63, 1 << 62, 0}, true},
		{"same top byte repeat", []uint64{0xff << 56, 3, 0xff << 56}, false},
		{"zero id twice", []uint64{0, 0}, false},
		{"many distinct", many, true},
		{"many with one repeat", withRepeat, false},
	} {
		if got := distinctIDs(ids(tc.ids...)); got != tc.want {
			t.Errorf("%s: distinctIDs = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAddSpansBigBatchWithoutIndex(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{TraceID: "tr-big"})
	n := sortedBatchMin + 10
	var spans []spanjson.Span
	for i := 1; i <= n; i++ {
		spans = append(spans, decodedSpan(1, i, 0, fmt.Sprintf("s%d", i))) // parent 0 is not in the trace
	}
	if rep, err := m.AddSpans(spans); err != nil || len(rep) != 0 {
		t.Fatalf("AddSpans: %v, %d repeated", err, len(rep))
	}
	// Lookups by id work after a batch that went in without the index.
	if ls := m.SpanFromID("tr-big", spanID(77).String()); ls == nil || ls.Name() != "s77" {
		t.Fatalf("SpanFromID(77) = %v", ls)
	}
	// No span lacks a parent: the first whose parent is absent is the root.
	if got := m.RootSpanID("tr-big"); got != spanID(1).String() {
		t.Errorf("RootSpanID = %q, want the first span", got)
	}
	// A repeat in a later batch, and RegisterSpan replacing by id.
	rep, err := m.AddSpans([]spanjson.Span{decodedSpan(1, 5, 0, "s5 again"), decodedSpan(1, n+1, 0, "new")})
	if err != nil || len(rep) != 1 || rep[0].Name() != "s5 again" {
		t.Fatalf("second AddSpans: %v, %v", err, spanNames(rep))
	}
	if err := m.RegisterSpan(liveSpan(1, 9, 0, "s9 replaced", time.Unix(0, 0))); err != nil {
		t.Fatal(err)
	}
	mt := m.PopTrace(traceID(1))
	if len(mt.Trace.Spans) != n+1 {
		t.Fatalf("spans = %d, want %d", len(mt.Trace.Spans), n+1)
	}
	if got := mt.Trace.Spans[8].Name(); got != "s9 replaced" {
		t.Errorf("span 9 = %q, want the replacement in its place", got)
	}
	if got := mt.Trace.Spans[n].Name(); got != "new" {
		t.Errorf("last span = %q", got)
	}
}

func TestAddSpansBigBatchWithRepeats(t *testing.T) {
	m, _, _ := newTestManager(t, Config{})
	m.RegisterTrace(traceID(1), spanjson.TraceInfo{})
	var spans []spanjson.Span
	for i := 1; i <= sortedBatchMin+10; i++ {
		spans = append(spans, decodedSpan(1, i, 1, "s"))
	}
	spans = append(spans, decodedSpan(1, 3, 1, "three again"), decodedSpan(1, 500, 1, "500 again"))
	rep, err := m.AddSpans(spans)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"three again", "500 again"}, spanNames(rep)); diff != "" {
		t.Errorf("repeated (-want +got):\n%s", diff)
	}
	if mt := m.PopTrace(traceID(1)); len(mt.Trace.Spans) != sortedBatchMin+10 {
		t.Errorf("spans = %d", len(mt.Trace.Spans))
	}
}
