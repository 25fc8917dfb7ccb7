package spanjson

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The OpenTelemetry Collector's own decoder must read what appendOTLP writes
// and see the same spans our reader sees: two independent readers agreeing
// on the bytes.

type pdAttr struct{ Key, Type, JSON string }

type pdEvent struct {
	Name    string
	Time    int64
	Attrs   []pdAttr
	Dropped uint32
}

type pdLink struct {
	TraceID, SpanID, TraceState string
	Flags                       uint32
	Attrs                       []pdAttr
	Dropped                     uint32
}

type pdSpan struct {
	TraceID, SpanID, ParentID, TraceState string
	Flags                                 uint32
	Name                                  string
	Kind                                  int
	Start, End                            int64
	StatusCode                            int
	StatusMessage                         string
	Attrs                                 []pdAttr
	DroppedAttrs, DroppedEvents           uint32
	DroppedLinks                          uint32
	Events                                []pdEvent
	Links                                 []pdLink
	ResourceAttrs                         []pdAttr
	ResourceDropped                       uint32
	ResourceSchemaURL                     string
	ScopeName, ScopeVersion               string
	ScopeAttrs                            []pdAttr
	ScopeDropped                          uint32
	ScopeSchemaURL                        string
}

// normJSON marshals v after turning json.Number into int64 or float64, as
// pdata's AsRaw has them.
func normJSON(v any) string {
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return n
			}
			f, _ := x.Float64()
			return f
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = walk(e)
			}
			return out
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	return string(b)
}

func ourAttrs(a Attributes, plain bool) []pdAttr {
	var out []pdAttr
	for at := range a.All() {
		var typ string
		var v any
		switch at.Type {
		case ValueString:
			typ, v = "Str", at.Value
			if plain {
				var s string
				if json.Unmarshal([]byte(at.Value), &s) == nil {
					v = s
				}
			}
		case ValueBool:
			typ, v = "Bool", at.Value == "true"
		case ValueInt:
			n, _ := strconv.ParseInt(at.Value, 10, 64)
			typ, v = "Int", n
		case ValueDouble:
			f, _ := strconv.ParseFloat(strings.Trim(at.Value, `"`), 64)
			typ, v = "Double", f
		case ValueBytes:
			var s string
			_ = json.Unmarshal([]byte(at.Value), &s)
			b, _ := base64.StdEncoding.DecodeString(s)
			typ, v = "Bytes", b
		case ValueArray, ValueKVList:
			typ = map[ValueType]string{ValueArray: "Slice", ValueKVList: "Map"}[at.Type]
			d := json.NewDecoder(strings.NewReader(at.Value))
			d.UseNumber()
			_ = d.Decode(&v)
		default:
			typ = "Empty" // only "null" reads back as ValueJSON
			if at.Value != "null" {
				typ = "unexpected ValueJSON " + at.Value
			}
		}
		out = append(out, pdAttr{at.Key, typ, normJSON(v)})
	}
	return out
}

func pdataAttrs(m pcommon.Map) []pdAttr {
	var out []pdAttr
	for k, v := range m.All() {
		out = append(out, pdAttr{k, v.Type().String(), normJSON(v.AsRaw())})
	}
	return out
}

func hexOrEmpty(s fmt.Stringer, zero bool) string {
	if zero {
		return ""
	}
	return s.String()
}

func ourSpans(spans []Span) []pdSpan {
	var out []pdSpan
	for _, s := range spans {
		d := s.Data()
		p := pdSpan{
			TraceID: hexOrEmpty(d.TraceID, d.TraceID.IsZero()), SpanID: hexOrEmpty(d.SpanID, d.SpanID.IsZero()),
			ParentID: hexOrEmpty(d.ParentID, d.ParentID.IsZero()), TraceState: d.TraceState, Flags: d.Flags,
			Name: d.Name, Kind: int(d.Kind), Start: d.StartTime, End: d.EndTime,
			StatusCode: int(d.Status.Code), StatusMessage: d.Status.Message,
			Attrs: ourAttrs(d.Attributes, false), DroppedAttrs: d.DroppedAttributes,
			DroppedEvents: d.DroppedEvents, DroppedLinks: d.DroppedLinks,
		}
		for _, e := range d.Events {
			p.Events = append(p.Events, pdEvent{e.Name, e.Time, ourAttrs(e.Attributes, true), e.DroppedAttributes})
		}
		for _, l := range d.Links {
			p.Links = append(p.Links, pdLink{hexOrEmpty(l.TraceID, l.TraceID.IsZero()), hexOrEmpty(l.SpanID, l.SpanID.IsZero()),
				l.TraceState, l.Flags, ourAttrs(l.Attributes, true), l.DroppedAttributes})
		}
		if r := d.Resource; r != nil {
			p.ResourceAttrs, p.ResourceDropped, p.ResourceSchemaURL = ourAttrs(r.Attributes, false), r.DroppedAttributes, r.SchemaURL
		}
		if sc := d.Scope; sc != nil {
			p.ScopeName, p.ScopeVersion = sc.Name, sc.Version
			p.ScopeAttrs, p.ScopeDropped, p.ScopeSchemaURL = ourAttrs(sc.Attributes, false), sc.DroppedAttributes, sc.SchemaURL
		}
		out = append(out, p)
	}
	return out
}

func pdataSpans(td ptrace.Traces) []pdSpan {
	var out []pdSpan
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				p := pdSpan{
					TraceID: hexOrEmpty(s.TraceID(), s.TraceID().IsEmpty()), SpanID: hexOrEmpty(s.SpanID(), s.SpanID().IsEmpty()),
					ParentID: hexOrEmpty(s.ParentSpanID(), s.ParentSpanID().IsEmpty()), TraceState: s.TraceState().AsRaw(),
					Flags: s.Flags(), Name: s.Name(), Kind: int(s.Kind()),
					Start: int64(s.StartTimestamp()), End: int64(s.EndTimestamp()),
					StatusCode: int(s.Status().Code()), StatusMessage: s.Status().Message(),
					Attrs: pdataAttrs(s.Attributes()), DroppedAttrs: s.DroppedAttributesCount(),
					DroppedEvents: s.DroppedEventsCount(), DroppedLinks: s.DroppedLinksCount(),
					ResourceAttrs: pdataAttrs(rs.Resource().Attributes()), ResourceDropped: rs.Resource().DroppedAttributesCount(),
					ResourceSchemaURL: rs.SchemaUrl(),
					ScopeName:         ss.Scope().Name(), ScopeVersion: ss.Scope().Version(),
					ScopeAttrs: pdataAttrs(ss.Scope().Attributes()), ScopeDropped: ss.Scope().DroppedAttributesCount(),
					ScopeSchemaURL: ss.SchemaUrl(),
				}
				for _, e := range s.Events().All() {
					p.Events = append(p.Events, pdEvent{e.Name(), int64(e.Timestamp()), pdataAttrs(e.Attributes()), e.DroppedAttributesCount()})
				}
				for _, l := range s.Links().All() {
					p.Links = append(p.Links, pdLink{hexOrEmpty(l.TraceID(), l.TraceID().IsEmpty()), hexOrEmpty(l.SpanID(), l.SpanID().IsEmpty()),
						l.TraceState().AsRaw(), l.Flags(), pdataAttrs(l.Attributes()), l.DroppedAttributesCount()})
				}
				out = append(out, p)
			}
		}
	}
	return out
}

// checkPdataAgrees writes tr as OTLP and has both readers read it. strict
// also rejects unknown members (for traces that kept none).
func checkPdataAgrees(t *testing.T, name string, tr *Trace, strict bool) {
	t.Helper()
	out, _, err := appendOTLP(nil, tr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	u := ptrace.JSONUnmarshaler{DisallowUnknownFields: strict}
	td, err := u.UnmarshalTraces(out)
	if err != nil {
		t.Fatalf("%s: collector decoder rejected our output: %v\n%s", name, err, out)
	}
	ours, _ := decodeOTLPBytes(t, out)
	if len(tr.Spans) == 0 {
		if td.SpanCount() != 0 {
			t.Errorf("%s: collector sees %d spans, want 0", name, td.SpanCount())
		}
		return
	}
	if len(ours) != 1 || len(ours[0].Spans) != len(tr.Spans) || td.SpanCount() != len(tr.Spans) {
		t.Fatalf("%s: span counts: input %d, ours %d traces, collector %d", name, len(tr.Spans), len(ours), td.SpanCount())
	}
	if d := cmp.Diff(ourSpans(ours[0].Spans), pdataSpans(td)); d != "" {
		t.Errorf("%s: collector reads something else than we do (-ours +collector):\n%s", name, d)
	}
}

func TestOTLPOutputAcceptedByCollectorDecoder(t *testing.T) {
	for _, file := range otlpTestFiles(t) {
		if strings.HasSuffix(file, "opaque_ids.json") {
			continue // checked below: invalid ids go back verbatim
		}
		for di, doc := range otlpDocs(t, file) {
			traces, _ := decodeOTLPBytes(t, doc)
			for ti := range traces {
				// snake_case.json and two_traces.json keep unknown members.
				strict := !strings.Contains(file, "snake_case") && !strings.Contains(file, "two_traces")
				checkPdataAgrees(t, fmt.Sprintf("%s/doc%d/trace%d", file, di, ti), &traces[ti], strict)
			}
		}
	}
	checkPdataAgrees(t, "MLflow-shaped trace", mlflowShapedTrace(), true)
	checkPdataAgrees(t, "empty trace", &Trace{}, true)
	for _, f := range presentSamples(t,
		"mlflow-mlflow-website__bedrock-chat-model-part-1_trace_excerpt.json",
		"mnorberg-dev-mnorberg-dev.github.io__databricks_output_trace_ok.json",
	) {
		docs, err := decodeFileForTest(t, f)
		if err != nil {
			t.Fatal(err)
		}
		checkPdataAgrees(t, "converted "+f, &docs[0].Traces[0], true)
	}
	r := rand.New(rand.NewSource(99))
	for i := range 100 {
		checkPdataAgrees(t, fmt.Sprintf("generated OTLP trace %d", i), genOTLPTrace(r, true), true)
		checkPdataAgrees(t, fmt.Sprintf("generated MLflow trace %d", i), genMLflowTrace(r, true), true)
	}
}

// The collector's reader is strict about ids: the opaque text we write back
// for an OTLP span that had "<redacted>" ids is rejected, which is why
// spans from other schemas get stand-in hex ids instead.
func TestCollectorDecoderRejectsOpaqueIDs(t *testing.T) {
	traces, _ := decodeOTLPBytes(t, otlpDocs(t, otlpTestFile(t, "opaque_ids.json"))[0])
	out, _, _ := appendOTLP(nil, &traces[0])
	if _, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(out); err == nil {
		t.Error("collector decoder accepted traceId \"<redacted>\"")
	}
	s := traces[0].Spans[0].Data()
	s.Resource, s.Scope = nil, nil // as if read from MLflow
	fromMLflow := &Trace{Spans: []Span{NewSpan(s)}}
	checkPdataAgrees(t, "opaque ids from MLflow", fromMLflow, true)
}
