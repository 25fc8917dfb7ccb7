package manager

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tracectl/internal/spanjson"
)

// EnvTracingEnabled turns tracing off when set to "false" or "0".
const EnvTracingEnabled = "MLFLOW_TRACING_ENABLED"

// Exporter receives each finished trace: from the tracer when a root span
// ends, from the SpanProcessor when a local root ends, and (for managers
// the tracer or processor own) the traces that time out or are pushed out.
type Exporter interface {
	Export(ctx context.Context, t *ManagerTrace) error
}

// ExporterFunc adapts a function to Exporter.
type ExporterFunc func(ctx context.Context, t *ManagerTrace) error

func (f ExporterFunc) Export(ctx context.Context, t *ManagerTrace) error { return f(ctx, t) }

// JSONLExporter writes each trace as one line of MLflow v3 JSON (JSON
// Lines). It is safe for concurrent use; each trace is one Write.
type JSONLExporter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewJSONLExporter writes to w.
func NewJSONLExporter(w io.Writer) *JSONLExporter { return &JSONLExporter{w: w} }

// Export writes t.Trace as one MLflow v3 line.
func (e *JSONLExporter) Export(_ context.Context, t *ManagerTrace) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, _, err := spanjson.AppendTrace(e.buf[:0], spanjson.SchemaMLflowV3, &t.Trace)
	if err != nil {
		return fmt.Errorf("manager: writing trace %s: %w", t.Trace.Info.TraceID, err)
	}
	b = append(b, '\n')
	e.buf = b
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("manager: writing trace %s: %w", t.Trace.Info.TraceID, err)
	}
	return nil
}

// ForceFlush flushes the writer when it has a Flush method (bufio.Writer).
func (e *JSONLExporter) ForceFlush(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f, ok := e.w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Option configures a Tracer or a SpanProcessor.
type Option func(*options)

type options struct {
	manager *Manager
	enabled *bool
}

// WithManager makes the tracer or processor use m (for example Instance())
// instead of a manager of its own. m's OnExpire is left as it is, and
// Close/Shutdown does not close m.
func WithManager(m *Manager) Option { return func(o *options) { o.manager = m } }

// WithTracingEnabled turns tracing on or off, overriding
// MLFLOW_TRACING_ENABLED.
func WithTracingEnabled(on bool) Option { return func(o *options) { o.enabled = &on } }

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.enabled == nil {
		v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvTracingEnabled)))
		on := v != "false" && v != "0"
		o.enabled = &on
	}
	return o
}

// Tracer starts spans, registers them with its manager and, when a root
// span ends, pops the trace and hands it to its exporter (synchronously,
// in the goroutine that called End).
type Tracer struct {
	m       *Manager
	owns    bool
	exp     Exporter
	enabled bool
	now     func() time.Time
}

// NewTracer returns a tracer exporting to exp (nil: finished traces are
// dropped). Without WithManager it owns a manager built from ConfigFromEnv
// whose expired traces also go to exp; Close closes it.
func NewTracer(exp Exporter, opts ...Option) *Tracer {
	o := buildOptions(opts)
	t := &Tracer{m: o.manager, exp: exp, enabled: *o.enabled, now: time.Now}
	if t.enabled && t.m == nil {
		cfg := ConfigFromEnv()
		cfg.OnExpire = t.exportExpired
		t.m = New(cfg)
		t.owns = true
	}
	return t
}

// Manager returns the tracer's manager: the one given with WithManager, or
// its own (nil when tracing is disabled).
func (t *Tracer) Manager() *Manager { return t.m }

// Close closes the tracer's own manager, exporting the traces it still
// holds as they are (in progress), then flushes the exporter when it has a
// ForceFlush method. A manager given with WithManager is left alone.
func (t *Tracer) Close() error {
	if t == nil || !t.enabled {
		return nil
	}
	if t.owns {
		_ = t.m.Close()
		for _, mt := range t.m.drain() {
			t.exportExpired(mt)
		}
	}
	return flushExporter(context.Background(), t.exp)
}

// exportExpired exports a trace that left without its root ending; its
// info is completed from what the root has (a timed-out root has ended).
func (t *Tracer) exportExpired(mt *ManagerTrace) {
	completeTrace(mt)
	t.export(mt)
}

func (t *Tracer) export(mt *ManagerTrace) {
	if t.exp == nil {
		slog.Debug("manager: trace finished with no exporter", "trace", mt.Trace.Info.TraceID)
		return
	}
	if err := t.exp.Export(context.Background(), mt); err != nil {
		slog.Warn("manager: exporting trace failed", "trace", mt.Trace.Info.TraceID, "err", err)
	}
}

// SpanOption sets something on a span at start.
type SpanOption func(*spanConfig)

type spanConfig struct {
	spanType string
	inputs   any
	hasIn    bool
	attrs    map[string]any
	start    time.Time
}

// WithSpanType sets mlflow.spanType (LLM, CHAIN, TOOL, …).
func WithSpanType(spanType string) SpanOption {
	return func(c *spanConfig) { c.spanType = spanType }
}

// WithInputs sets mlflow.spanInputs.
func WithInputs(v any) SpanOption {
	return func(c *spanConfig) { c.inputs, c.hasIn = v, true }
}

// WithAttributes sets attributes (JSON-encoded, MLflow's rule).
func WithAttributes(attrs map[string]any) SpanOption {
	return func(c *spanConfig) { c.attrs = attrs }
}

// WithStartTime sets the start time instead of now.
func WithStartTime(start time.Time) SpanOption {
	return func(c *spanConfig) { c.start = start }
}

// tracerSpan is the tracer's span: a LiveSpan whose End also tells the
// tracer, so ending a root exports its trace. The manager accepts it
// through its AsLiveSpan method.
type tracerSpan struct {
	*spanjson.LiveSpan
	t     *Tracer
	root  bool
	ended atomic.Bool
}

var _ spanjson.ActiveSpan = (*tracerSpan)(nil)

// AsLiveSpan returns the span the manager stores.
func (s *tracerSpan) AsLiveSpan() *spanjson.LiveSpan {
	if s == nil {
		return nil
	}
	return s.LiveSpan
}

// End ends the span now; ending a root pops and exports its trace. A
// second End does nothing.
func (s *tracerSpan) End() { s.EndAt(s.t.now()) }

// EndAt ends the span at end.
func (s *tracerSpan) EndAt(end time.Time) {
	s.LiveSpan.EndAt(end)
	if !s.ended.CompareAndSwap(false, true) || !s.root {
		return
	}
	mt := s.t.m.PopTrace(s.OTelTraceID())
	if mt == nil {
		slog.Debug("manager: root span ended but its trace had already left the manager", "trace", s.TraceID())
		return
	}
	completeTrace(mt)
	s.t.export(mt)
}

type spanKey struct{}

// spanFromContext returns the tracer span in ctx, or nil.
func spanFromContext(ctx context.Context) *tracerSpan {
	s, _ := ctx.Value(spanKey{}).(*tracerSpan)
	return s
}

// SpanFromContext returns the span StartSpan put into ctx, or NoOpSpan{}.
func SpanFromContext(ctx context.Context) spanjson.ActiveSpan {
	if s := spanFromContext(ctx); s != nil {
		return s
	}
	return spanjson.NoOpSpan{}
}

// StartSpan starts a span: a child of the tracer span in ctx when there is
// one from this tracer, otherwise the root of a new trace registered with
// the manager. The returned context carries the new span. When tracing is
// disabled, or the span cannot be registered (its trace already left the
// manager), it returns ctx and NoOpSpan{}.
func (t *Tracer) StartSpan(ctx context.Context, name string, opts ...SpanOption) (context.Context, spanjson.ActiveSpan) {
	if t == nil || !t.enabled {
		return ctx, spanjson.NoOpSpan{}
	}
	cfg := spanConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.start.IsZero() {
		cfg.start = t.now()
	}
	var tid spanjson.TraceID
	var parentID spanjson.SpanID
	parent := spanFromContext(ctx)
	if parent != nil && parent.t == t {
		tid, parentID = parent.OTelTraceID(), parent.OTelSpanID()
	} else {
		parent = nil
		tid = newTraceID()
		t.m.RegisterTrace(tid, spanjson.TraceInfo{
			TraceID:     tid.MLflowID(),
			RequestTime: cfg.start,
			State:       spanjson.StateInProgress,
			Metadata:    map[string]string{spanjson.MetaSchemaVersion: "3"},
			Tags:        map[string]string{spanjson.TagTraceName: name},
		})
	}
	ls := spanjson.NewLiveSpan(tid, newSpanID(), parentID, name, cfg.start)
	ls.SetAttribute(spanjson.AttrTraceRequestID, tid.MLflowID())
	if cfg.spanType != "" {
		ls.SetSpanType(cfg.spanType)
	}
	if cfg.hasIn {
		ls.SetInputs(cfg.inputs)
	}
	ls.SetAttributes(cfg.attrs)
	s := &tracerSpan{LiveSpan: ls, t: t, root: parent == nil}
	if err := t.m.RegisterSpan(s); err != nil {
		slog.Debug("manager: span not created", "name", name, "err", err)
		return ctx, spanjson.NoOpSpan{}
	}
	return context.WithValue(ctx, spanKey{}, s), s
}

var defaultTracer atomic.Pointer[Tracer]

// SetDefaultTracer sets the tracer the package-level StartSpan uses for new
// traces (nil: none, StartSpan returns NoOpSpan{}).
func SetDefaultTracer(t *Tracer) { defaultTracer.Store(t) }

// StartSpan starts a child of the tracer span in ctx with that span's
// tracer, or a new trace with the default tracer (SetDefaultTracer). With
// neither it returns ctx and NoOpSpan{}.
func StartSpan(ctx context.Context, name string, opts ...SpanOption) (context.Context, spanjson.ActiveSpan) {
	if p := spanFromContext(ctx); p != nil {
		return p.t.StartSpan(ctx, name, opts...)
	}
	return defaultTracer.Load().StartSpan(ctx, name, opts...)
}

func newTraceID() spanjson.TraceID {
	var id spanjson.TraceID
	for id.IsZero() {
		a, b := rand.Uint64(), rand.Uint64()
		for i := range 8 {
			id[i] = byte(a >> (8 * i))
			id[8+i] = byte(b >> (8 * i))
		}
	}
	return id
}

func newSpanID() spanjson.SpanID {
	var id spanjson.SpanID
	for id.IsZero() {
		a := rand.Uint64()
		for i := range 8 {
			id[i] = byte(a >> (8 * i))
		}
	}
	return id
}
