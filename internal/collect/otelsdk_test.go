package collect

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"tracectl/internal/spanjson"
)

// colSentSpan is what the test compares between the SDK's view of a span and
// the collector's.
type colSentSpan struct {
	TraceID, SpanID, ParentID string
	Name                      string
	Kind                      spanjson.SpanKind
	Start, End                int64
	Status                    spanjson.Status
	Attrs                     []spanjson.Attribute
	Events                    []colSentEvent
	Resource                  []spanjson.Attribute
	Scope                     string
}

type colSentEvent struct {
	Name  string
	Time  int64
	Attrs []spanjson.Attribute
}

// colSDKAttrs applies the OTLP attribute rule to SDK attributes; event
// attributes (plain) quote their strings.
func colSDKAttrs(kvs []attribute.KeyValue, plain bool) []spanjson.Attribute {
	var out []spanjson.Attribute
	for _, kv := range kvs {
		a := spanjson.Attribute{Key: string(kv.Key)}
		switch kv.Value.Type() {
		case attribute.STRING:
			a.Value, a.Type = kv.Value.AsString(), spanjson.ValueString
			if plain {
				a.Value = spanjson.EncodeValue(kv.Value.AsString())
			}
		case attribute.INT64:
			a.Value, a.Type = strconv.FormatInt(kv.Value.AsInt64(), 10), spanjson.ValueInt
		case attribute.BOOL:
			a.Value, a.Type = strconv.FormatBool(kv.Value.AsBool()), spanjson.ValueBool
		case attribute.FLOAT64:
			a.Value, a.Type = strconv.FormatFloat(kv.Value.AsFloat64(), 'f', -1, 64), spanjson.ValueDouble
			if !strings.Contains(a.Value, ".") {
				a.Value += ".0"
			}
		case attribute.STRINGSLICE:
			a.Value, a.Type = spanjson.EncodeValue(kv.Value.AsStringSlice()), spanjson.ValueArray
		case attribute.INT64SLICE:
			a.Value, a.Type = spanjson.EncodeValue(kv.Value.AsInt64Slice()), spanjson.ValueArray
		default:
			panic("colSDKAttrs: add a case for " + kv.Value.Type().String())
		}
		out = append(out, a)
	}
	return out
}

func colFromSDK(s sdktrace.ReadOnlySpan) colSentSpan {
	out := colSentSpan{
		TraceID: s.SpanContext().TraceID().String(),
		SpanID:  s.SpanContext().SpanID().String(),
		Name:    s.Name(),
		Kind:    spanjson.SpanKind(s.SpanKind()),
		Start:   s.StartTime().UnixNano(),
		End:     s.EndTime().UnixNano(),
		Attrs:   colSDKAttrs(s.Attributes(), false),
		Scope:   s.InstrumentationScope().Name + "@" + s.InstrumentationScope().Version,
	}
	if s.Parent().IsValid() {
		out.ParentID = s.Parent().SpanID().String()
	}
	switch s.Status().Code {
	case codes.Ok:
		out.Status = spanjson.Status{Code: spanjson.StatusOK}
	case codes.Error:
		out.Status = spanjson.Status{Code: spanjson.StatusError, Message: s.Status().Description}
	}
	for _, e := range s.Events() {
		out.Events = append(out.Events, colSentEvent{Name: e.Name, Time: e.Time.UnixNano(), Attrs: colSDKAttrs(e.Attributes, true)})
	}
	out.Resource = colSDKAttrs(s.Resource().Attributes(), false)
	slices.SortFunc(out.Resource, func(a, b spanjson.Attribute) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func colFromCollected(s spanjson.Span) colSentSpan {
	d := s.Data()
	out := colSentSpan{
		TraceID: d.TraceID.String(),
		SpanID:  d.SpanID.String(),
		Name:    d.Name,
		Kind:    d.Kind,
		Start:   d.StartTime,
		End:     d.EndTime,
		Status:  d.Status,
		Attrs:   d.Attributes.List(),
	}
	if !d.ParentID.IsZero() {
		out.ParentID = d.ParentID.String()
	}
	for _, e := range d.Events {
		out.Events = append(out.Events, colSentEvent{Name: e.Name, Time: e.Time, Attrs: e.Attributes.List()})
	}
	if d.Resource != nil {
		out.Resource = d.Resource.Attributes.List()
		slices.SortFunc(out.Resource, func(a, b spanjson.Attribute) int { return strings.Compare(a.Key, b.Key) })
	}
	if d.Scope != nil {
		out.Scope = d.Scope.Name + "@" + d.Scope.Version
	}
	return out
}

// The OpenTelemetry Go SDK's OTLP/HTTP exporter sends nested spans of two
// traces; the collector writes both traces whole, every span as sent.
func TestCollectorWithOTelSDKExporter(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []struct {
		grpc bool
		gzip bool
	}{{false, true}, {false, false}, {true, true}, {true, false}} {
		compression := map[bool]int{true: 1}[mode.gzip]
		sink := &colMemSink{}
		c, base := startColCollector(t, CollectorConfig{Sink: sink})
		var exp sdktrace.SpanExporter
		var err error
		if mode.grpc {
			ln, lerr := net.Listen("tcp", "127.0.0.1:0")
			if lerr != nil {
				t.Fatal(lerr)
			}
			c.ServeGRPC(ln)
			opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(ln.Addr().String()), otlptracegrpc.WithInsecure()}
			if mode.gzip {
				opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
			}
			exp, err = otlptracegrpc.New(ctx, opts...)
		} else {
			u, perr := url.Parse(base)
			if perr != nil {
				t.Fatal(perr)
			}
			exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(u.Host), otlptracehttp.WithInsecure(), otlptracehttp.WithCompression(otlptracehttp.Compression(compression)))
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := tracetest.NewSpanRecorder()
		res := resource.NewSchemaless(attribute.String("service.name", "e2e"), attribute.Int("compression", compression))
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(res))
		tr := tp.Tracer("tracectl-e2e", trace.WithInstrumentationVersion("1.2.3"))

		ctx1, root := tr.Start(ctx, "agent", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("mlflow.spanType", `"AGENT"`), attribute.String("mlflow.spanInputs", `{"question":"hi"}`)))
		ctx2, llm := tr.Start(ctx1, "llm", trace.WithSpanKind(trace.SpanKindClient))
		llm.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", 31), attribute.Float64("temperature", 0.5),
			attribute.Float64("top_k", 3), attribute.Bool("stream", true), attribute.StringSlice("stop", []string{"\n", "END"}))
		_, tool := tr.Start(ctx2, "tool")
		tool.RecordError(errors.New("upstream timeout"), trace.WithAttributes(attribute.Int("retry", 2)))
		tool.SetStatus(codes.Error, "upstream timeout")
		tool.End()
		llm.End()
		_, sibling := tr.Start(ctx1, "retriever")
		sibling.AddEvent("hit", trace.WithAttributes(attribute.String("doc", "a.md"), attribute.Int64Slice("ids", []int64{1, 2})))
		sibling.SetStatus(codes.Ok, "")
		sibling.End()
		root.End()
		_, other := tr.Start(ctx, "second-trace")
		other.End()
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}

		// Compare per trace once the collector let them go.
		byTrace := map[string][]colSentSpan{}
		for _, s := range rec.Ended() {
			ss := colFromSDK(s)
			byTrace[ss.TraceID] = append(byTrace[ss.TraceID], ss)
		}
		if len(byTrace) != 2 {
			t.Fatalf("recorded %d traces, want 2", len(byTrace))
		}
		// The traces are held until --idle passes or shutdown writes them.
		if n, spans := c.Assembler().Held(); n != 2 || spans != 5 {
			t.Fatalf("collector holds %d traces, %d spans; want 2, 5", n, spans)
		}
		if err := c.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[string][]colSentSpan{}
		for _, ct := range sink.all() {
			if ct.Incomplete != "" {
				t.Errorf("trace %s written as incomplete: %s", ct.Trace.Info.TraceID, ct.Incomplete)
			}
			for _, s := range ct.Trace.Spans {
				ss := colFromCollected(s)
				got[ss.TraceID] = append(got[ss.TraceID], ss)
			}
			if want := map[bool]string{true: `{"question":"hi"}`}[ct.Trace.Name() == "agent"]; ct.Trace.Info.RequestPreview != want {
				t.Errorf("trace %s: RequestPreview = %q, want %q", ct.Trace.Name(), ct.Trace.Info.RequestPreview, want)
			}
		}
		sortSpans := func(m map[string][]colSentSpan) {
			for _, v := range m {
				slices.SortFunc(v, func(a, b colSentSpan) int { return strings.Compare(a.SpanID, b.SpanID) })
			}
		}
		sortSpans(byTrace)
		sortSpans(got)
		if diff := cmp.Diff(byTrace, got); diff != "" {
			t.Errorf("%+v: collected spans differ from those sent (-sent +collected):\n%s", mode, diff)
		}
		if st := c.Stats(); st.SpansReceived != 5 || st.SpansRejected != 0 || st.RequestsBad != 0 || st.TracesWritten != 2 {
			t.Errorf("stats = %+v; want 5 spans received, none rejected, no bad requests, 2 traces", st)
		}
	}
}
