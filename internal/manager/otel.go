package manager

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"tracectl/internal/spanjson"
)

// OTLP span flag bits (opentelemetry-proto SpanFlags), set as the OTLP
// exporter of the Go SDK sets them.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// SpanProcessor is an OpenTelemetry SDK span processor that turns the spans
// of a program using go.opentelemetry.io/otel into MLflow traces: a local
// root (no parent, or a remote one) registers its trace, every span is
// registered as a LiveSpan when it starts and replaced by its final form
// when it ends, and when the local root ends the trace is popped and handed
// to the exporter (synchronously, in OnEnd).
//
// Register it with sdktrace.WithSpanProcessor(p). The final span keeps the
// OTel attributes with their types (Attribute.Type) and adds MLflow's:
// mlflow.traceRequestId, mlflow.spanType from gen_ai.operation.name (and
// the other keys of spanjson's GenAI table),
// mlflow.spanInputs/Outputs from the gen_ai message and tool attributes and
// mlflow.chat.tokenUsage from gen_ai.usage.*, unless already set.
type SpanProcessor struct {
	m        *Manager
	owns     bool
	exp      Exporter
	enabled  bool
	shutdown atomic.Bool

	cacheMu   sync.Mutex
	resources map[*resource.Resource]*spanjson.Resource
	scopes    map[scopeKey]*spanjson.Scope
}

type scopeKey struct {
	name, version, schemaURL string
	attrs                    attribute.Distinct
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// NewSpanProcessor returns a processor exporting to exp. Options are those
// of NewTracer: without WithManager it owns a manager built from
// ConfigFromEnv whose expired traces go to exp too; with tracing disabled
// it does nothing.
func NewSpanProcessor(exp Exporter, opts ...Option) *SpanProcessor {
	o := buildOptions(opts)
	p := &SpanProcessor{
		m:         o.manager,
		exp:       exp,
		enabled:   *o.enabled,
		resources: make(map[*resource.Resource]*spanjson.Resource),
		scopes:    make(map[scopeKey]*spanjson.Scope),
	}
	if p.enabled && p.m == nil {
		cfg := ConfigFromEnv()
		cfg.OnExpire = func(mt *ManagerTrace) {
			completeTrace(mt)
			p.export(context.Background(), mt)
		}
		p.m = New(cfg)
		p.owns = true
	}
	return p
}

// Manager returns the processor's manager: the one given with WithManager,
// or its own (nil when tracing is disabled).
func (p *SpanProcessor) Manager() *Manager { return p.m }

func (p *SpanProcessor) active() bool { return p.enabled && !p.shutdown.Load() }

// isLocalRoot reports whether a span with this parent starts the part of
// its trace that runs in this process.
func isLocalRoot(parent trace.SpanContext) bool { return !parent.IsValid() || parent.IsRemote() }

// OnStart registers the trace (for a local root) and a LiveSpan.
func (p *SpanProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if !p.active() {
		return
	}
	sc, parent := s.SpanContext(), s.Parent()
	tid := spanjson.TraceID(sc.TraceID())
	if isLocalRoot(parent) {
		p.m.registerTrace(tid, spanjson.TraceInfo{
			TraceID:     tid.MLflowID(),
			RequestTime: s.StartTime(),
			State:       spanjson.StateInProgress,
			Metadata:    map[string]string{spanjson.MetaSchemaVersion: "3"},
		}, true)
	}
	var parentID spanjson.SpanID
	if parent.IsValid() {
		parentID = spanjson.SpanID(parent.SpanID())
	}
	ls := spanjson.NewLiveSpan(tid, spanjson.SpanID(sc.SpanID()), parentID, s.Name(), s.StartTime())
	ls.SetAttribute(spanjson.AttrTraceRequestID, tid.MLflowID())
	if err := p.m.RegisterSpan(ls); err != nil {
		slog.Debug("manager: otel span not tracked", "span", s.Name(), "err", err)
	}
}

// OnEnd replaces the span's LiveSpan with the ended span and, for a local
// root, pops the trace and exports it.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !p.active() {
		return
	}
	sc := s.SpanContext()
	tid, sid := spanjson.TraceID(sc.TraceID()), spanjson.SpanID(sc.SpanID())
	live := p.m.spanByOTel(tid, sid)
	if live == nil {
		slog.Debug("manager: otel span ended after its trace left the manager", "span", s.Name(), "trace", tid.MLflowID())
		return
	}
	final := spanjson.LiveSpanFrom(p.spanFrom(s, live))
	if err := p.m.RegisterSpan(final); err != nil {
		slog.Debug("manager: otel span not tracked", "span", s.Name(), "err", err)
		return
	}
	if !isLocalRoot(s.Parent()) {
		return
	}
	mt := p.m.PopTrace(tid)
	if mt == nil {
		return
	}
	completeTrace(mt)
	p.export(context.Background(), mt)
}

func (p *SpanProcessor) export(ctx context.Context, mt *ManagerTrace) {
	if p.exp == nil {
		slog.Debug("manager: trace finished with no exporter", "trace", mt.Trace.Info.TraceID)
		return
	}
	if err := p.exp.Export(ctx, mt); err != nil {
		slog.Warn("manager: exporting trace failed", "trace", mt.Trace.Info.TraceID, "err", err)
	}
}

// ForceFlush flushes the exporter when it has a ForceFlush method. Traces
// in progress stay: they are not complete yet.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if !p.active() {
		return nil
	}
	return flushExporter(ctx, p.exp)
}

// Shutdown stops the processor (later calls are ignored). With its own
// manager it exports the traces still in progress, as they are, and closes
// the manager; then it flushes the exporter.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	if !p.enabled || p.shutdown.Swap(true) {
		return nil
	}
	if p.owns {
		_ = p.m.Close()
		for _, mt := range p.m.drain() {
			completeTrace(mt)
			p.export(ctx, mt)
		}
	}
	return flushExporter(ctx, p.exp)
}

func flushExporter(ctx context.Context, exp Exporter) error {
	if f, ok := exp.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

// spanFrom builds the final span from the ended OTel span, keeping what
// was set on the live span through the manager and OTel does not have.
func (p *SpanProcessor) spanFrom(s sdktrace.ReadOnlySpan, live *spanjson.LiveSpan) spanjson.Span {
	sc := s.SpanContext()
	flags := uint32(sc.TraceFlags()) | flagHasIsRemote
	if s.Parent().IsRemote() {
		flags |= flagIsRemote
	}
	prev := live.ToImmutable()
	d := spanjson.SpanData{
		TraceID:           spanjson.TraceID(sc.TraceID()),
		SpanID:            spanjson.SpanID(sc.SpanID()),
		ParentID:          live.OTelParentID(),
		Name:              s.Name(),
		StartTime:         s.StartTime().UnixNano(),
		EndTime:           s.EndTime().UnixNano(),
		Status:            statusFrom(s.Status()),
		Kind:              spanjson.SpanKind(s.SpanKind()),
		TraceState:        sc.TraceState().String(),
		Flags:             flags,
		Events:            eventsFrom(s.Events()),
		Links:             linksFrom(s.Links()),
		DroppedAttributes: uint32(s.DroppedAttributes()),
		DroppedEvents:     uint32(s.DroppedEvents()),
		DroppedLinks:      uint32(s.DroppedLinks()),
		Resource:          p.resourceFrom(s.Resource()),
		Scope:             p.scopeFrom(s.InstrumentationScope()),
	}
	if d.Kind < spanjson.SpanKindUnspecified || d.Kind > spanjson.SpanKindConsumer {
		d.Kind = spanjson.SpanKindUnspecified
	}
	if d.Status.Code == spanjson.StatusUnset {
		d.Status = prev.Status()
	}
	d.Events = append(d.Events, prev.Events()...)

	attrs := mlflowAttributes(s.Attributes())
	for a := range prev.Attributes().All() {
		if !hasKey(attrs, a.Key) {
			attrs = append(attrs, a)
		}
	}
	d.Attributes = spanjson.NewAttributes(attrs)
	return spanjson.NewSpan(d)
}

func hasKey(attrs []spanjson.Attribute, key string) bool {
	for i := range attrs {
		if attrs[i].Key == key {
			return true
		}
	}
	return false
}

// mlflowAttributes converts the OTel attributes (sorted by key: the SDK's
// order is not stable) and adds the MLflow keys derived from the GenAI
// semantic conventions when they are not set.
func mlflowAttributes(kvs []attribute.KeyValue) []spanjson.Attribute {
	attrs := make([]spanjson.Attribute, 0, len(kvs)+3)
	for _, kv := range kvs {
		if a, ok := attributeFrom(kv, false); ok {
			attrs = append(attrs, a)
		}
	}
	slices.SortStableFunc(attrs, func(a, b spanjson.Attribute) int { return strings.Compare(a.Key, b.Key) })
	byKey := func(key string) (spanjson.Attribute, bool) {
		for _, a := range attrs {
			if a.Key == key {
				return a, true
			}
		}
		return spanjson.Attribute{}, false
	}
	var extra []spanjson.Attribute
	if _, ok := byKey(spanjson.AttrSpanType); !ok {
		if typ := spanjson.SpanTypeOfAttributes(attrs); typ != "" {
			extra = append(extra, spanjson.Attribute{Key: spanjson.AttrSpanType, Value: spanjson.EncodeValue(typ)})
		}
	}
	for _, m := range []struct{ target, a, b string }{
		{spanjson.AttrInputs, "gen_ai.input.messages", "gen_ai.tool.call.arguments"},
		{spanjson.AttrOutputs, "gen_ai.output.messages", "gen_ai.tool.call.result"},
	} {
		if _, ok := byKey(m.target); ok {
			continue
		}
		for _, src := range []string{m.a, m.b} {
			if a, ok := byKey(src); ok {
				extra = append(extra, spanjson.Attribute{Key: m.target, Value: jsonText(a.Value)})
				break
			}
		}
	}
	if _, ok := byKey(spanjson.AttrTokenUsage); !ok {
		in, hasIn := byKey("gen_ai.usage.input_tokens")
		out, hasOut := byKey("gen_ai.usage.output_tokens")
		if hasIn || hasOut {
			ni, _ := strconv.ParseInt(in.Value, 10, 64)
			no, _ := strconv.ParseInt(out.Value, 10, 64)
			u, _ := json.Marshal(spanjson.TokenUsage{InputTokens: ni, OutputTokens: no, TotalTokens: ni + no})
			extra = append(extra, spanjson.Attribute{Key: spanjson.AttrTokenUsage, Value: string(u)})
		}
	}
	return append(attrs, extra...)
}

// jsonText returns v when it is JSON text, else v JSON-encoded as a string.
func jsonText(v string) string {
	if json.Valid([]byte(v)) {
		return v
	}
	return spanjson.EncodeValue(v)
}

// attributeFrom converts an OTel attribute following the shared OTLP rules:
// span attributes keep a string as is (ValueString); event and link
// attributes (plain values) store it JSON-quoted (ValueJSON).
func attributeFrom(kv attribute.KeyValue, plain bool) (spanjson.Attribute, bool) {
	a := spanjson.Attribute{Key: string(kv.Key)}
	v := kv.Value
	switch v.Type() {
	case attribute.STRING:
		if plain {
			a.Value, a.Type = spanjson.EncodeValue(v.AsString()), spanjson.ValueJSON
		} else {
			a.Value, a.Type = v.AsString(), spanjson.ValueString
		}
	case attribute.BOOL:
		a.Value, a.Type = strconv.FormatBool(v.AsBool()), spanjson.ValueBool
	case attribute.INT64:
		a.Value, a.Type = strconv.FormatInt(v.AsInt64(), 10), spanjson.ValueInt
	case attribute.FLOAT64:
		a.Value, a.Type = formatDouble(v.AsFloat64()), spanjson.ValueDouble
	case attribute.BOOLSLICE:
		a.Value, a.Type = joinJSON(v.AsBoolSlice(), strconv.FormatBool), spanjson.ValueArray
	case attribute.INT64SLICE:
		a.Value, a.Type = joinJSON(v.AsInt64Slice(), func(n int64) string { return strconv.FormatInt(n, 10) }), spanjson.ValueArray
	case attribute.FLOAT64SLICE:
		a.Value, a.Type = joinJSON(v.AsFloat64Slice(), formatDouble), spanjson.ValueArray
	case attribute.STRINGSLICE:
		a.Value, a.Type = joinJSON(v.AsStringSlice(), func(s string) string { return spanjson.EncodeValue(s) }), spanjson.ValueArray
	default:
		return a, false
	}
	return a, true
}

// formatDouble writes a float as JSON number text that always has a '.' or
// an exponent (2 → "2.0"); NaN and infinities, which JSON numbers cannot
// hold, become the JSON strings OTLP JSON uses.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return `"NaN"`
	case math.IsInf(f, 1):
		return `"Infinity"`
	case math.IsInf(f, -1):
		return `"-Infinity"`
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func joinJSON[T any](vs []T, f func(T) string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f(v))
	}
	b.WriteByte(']')
	return b.String()
}

func attributesFrom(kvs []attribute.KeyValue, plain bool) spanjson.Attributes {
	list := make([]spanjson.Attribute, 0, len(kvs))
	for _, kv := range kvs {
		if a, ok := attributeFrom(kv, plain); ok {
			list = append(list, a)
		}
	}
	return spanjson.NewAttributes(list)
}

func statusFrom(s sdktrace.Status) spanjson.Status {
	switch s.Code {
	case codes.Error:
		return spanjson.Status{Code: spanjson.StatusError, Message: s.Description}
	case codes.Ok:
		return spanjson.Status{Code: spanjson.StatusOK}
	}
	return spanjson.Status{}
}

func eventsFrom(es []sdktrace.Event) []spanjson.Event {
	if len(es) == 0 {
		return nil
	}
	out := make([]spanjson.Event, len(es))
	for i, e := range es {
		out[i] = spanjson.Event{
			Name:              e.Name,
			Time:              e.Time.UnixNano(),
			Attributes:        attributesFrom(e.Attributes, true),
			DroppedAttributes: uint32(e.DroppedAttributeCount),
		}
	}
	return out
}

func linksFrom(ls []sdktrace.Link) []spanjson.Link {
	if len(ls) == 0 {
		return nil
	}
	out := make([]spanjson.Link, len(ls))
	for i, l := range ls {
		sc := l.SpanContext
		flags := uint32(sc.TraceFlags()) | flagHasIsRemote
		if sc.IsRemote() {
			flags |= flagIsRemote
		}
		out[i] = spanjson.Link{
			TraceID:           spanjson.TraceID(sc.TraceID()),
			SpanID:            spanjson.SpanID(sc.SpanID()),
			TraceState:        sc.TraceState().String(),
			Flags:             flags,
			Attributes:        attributesFrom(l.Attributes, true),
			DroppedAttributes: uint32(l.DroppedAttributeCount),
		}
	}
	return out
}

// resourceFrom converts r once per resource, so the spans of one provider
// share the pointer (a writer regroups spans by it).
func (p *SpanProcessor) resourceFrom(r *resource.Resource) *spanjson.Resource {
	if r == nil {
		return nil
	}
	p.cacheMu.Lock()
	defer p.cacheMu.Unlock()
	if c, ok := p.resources[r]; ok {
		return c
	}
	c := &spanjson.Resource{Attributes: attributesFrom(r.Attributes(), false), SchemaURL: r.SchemaURL()}
	p.resources[r] = c
	return c
}

func (p *SpanProcessor) scopeFrom(s instrumentation.Scope) *spanjson.Scope {
	k := scopeKey{s.Name, s.Version, s.SchemaURL, s.Attributes.Equivalent()}
	p.cacheMu.Lock()
	defer p.cacheMu.Unlock()
	if c, ok := p.scopes[k]; ok {
		return c
	}
	c := &spanjson.Scope{Name: s.Name, Version: s.Version, SchemaURL: s.SchemaURL, Attributes: attributesFrom(s.Attributes.ToSlice(), false)}
	p.scopes[k] = c
	return c
}
