package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeZipkinList(t *testing.T) {
	d := decodeOne(t, "zipkin_spans.json")
	if d.Schema != SchemaZipkin || d.Shape != "array of Zipkin v2 spans" || len(d.Traces) != 2 {
		t.Fatalf("schema %q shape %q, %d traces", d.Schema, d.Shape, len(d.Traces))
	}
	tr := &d.Traces[0]
	traceID := mustTraceID(t, "463ac35c9f6413ad48485a3953bb6124")
	// 10 records: the two fragments of "cache" are one span, and the
	// 64-bit trace id joined the 128-bit trace.
	if tr.Info.TraceID != traceID.MLflowID() || len(tr.Spans) != 8 {
		t.Fatalf("trace %s with %d spans", tr.Info.TraceID, len(tr.Spans))
	}
	root := spanNamed(t, tr, "get /quote")
	if root.Kind != SpanKindServer || !root.ParentID.IsZero() || root.StartTime != 1738404000000000000 || root.EndTime != 1738404000100000000 {
		t.Errorf("root %+v", root)
	}
	wantRes := []Attribute{{"service.name", "gateway", ValueString}, {"zipkin.local_endpoint.ipv4", "10.0.0.1", ValueString}}
	if diff := cmp.Diff(wantRes, root.Resource.Attributes.List()); diff != "" {
		t.Errorf("resource (-want +got):\n%s", diff)
	}

	// The shared span: the client half keeps the id, the server half gets
	// a new one under it.
	shared := mustSpanID(t, "a000000000000002")
	var client, server SpanData
	for _, s := range tr.Spans {
		switch {
		case s.SpanID() == shared:
			client = s.Data()
		case s.Name() == "post /price":
			server = s.Data()
		}
	}
	if client.Kind != SpanKindClient || client.ParentID != root.SpanID {
		t.Errorf("client half %+v", client)
	}
	wantClient := []Attribute{
		{"peer.service", "backend", ValueString},
		{"network.peer.address", "10.0.0.2", ValueString},
		{"network.peer.port", "8080", ValueInt},
	}
	if diff := cmp.Diff(wantClient, client.Attributes.List()); diff != "" {
		t.Errorf("client attributes (-want +got):\n%s", diff)
	}
	if len(client.Events) != 1 || client.Events[0].Name != "wire send" || client.Events[0].Time != 1738404000001500000 {
		t.Errorf("client events %+v", client.Events)
	}
	wantID := sharedSpanID(zipkinKey{traceID, shared}, 0, nil)
	if server.SpanID != wantID || server.ParentID != shared || server.Kind != SpanKindServer {
		t.Errorf("server half %s parent %s kind %v, want %s under %s", server.SpanID, server.ParentID, server.Kind, wantID, shared)
	}
	// error "true" makes the status and leaves the attributes.
	wantServer := []Attribute{
		{AttrZipkinShared, "true", ValueBool},
		{AttrZipkinOriginalSpanID, "a000000000000002", ValueString},
	}
	if diff := cmp.Diff(wantServer, server.Attributes.List()); diff != "" {
		t.Errorf("server attributes (-want +got):\n%s", diff)
	}
	if server.Status != (Status{Code: StatusError}) {
		t.Errorf("server status %+v", server.Status)
	}
	// Children of the shared id follow their service.
	db := spanNamed(t, tr, "db query")
	if db.ParentID != server.SpanID || db.Status != (Status{StatusError, "connection refused"}) {
		t.Errorf("db query parent %s status %+v", db.ParentID, db.Status)
	}
	if v, _ := db.Attributes.String("error"); v != "connection refused" {
		t.Errorf("an error tag with a message left the attributes")
	}
	lg := spanNamed(t, tr, "log")
	if lg.ParentID != shared || lg.Status != (Status{Code: StatusError}) {
		t.Errorf("log parent %s status %+v", lg.ParentID, lg.Status)
	}
	// No duration: zero-length, marked.
	if lg.EndTime != lg.StartTime || lg.StartTime == 0 {
		t.Errorf("log times %d..%d", lg.StartTime, lg.EndTime)
	}
	if v, _ := lg.Attributes.String(AttrDurationUnknown); v != "true" {
		t.Errorf("log not marked: %v", lg.Attributes.List())
	}
	// No timestamp: start unknown, marked.
	nc := spanNamed(t, tr, "no-clock")
	if nc.StartTime != 0 || nc.EndTime != 30_000 {
		t.Errorf("no-clock times %d..%d", nc.StartTime, nc.EndTime)
	}
	if v, _ := nc.Attributes.String(AttrStartUnknown); v != "true" {
		t.Errorf("no-clock not marked: %v", nc.Attributes.List())
	}
	// Fragments merged: earliest start, latest end, tags and annotations
	// united.
	cache := spanNamed(t, tr, "cache")
	if cache.StartTime != 1738404000005000000 || cache.EndTime != 1738404000005250000 {
		t.Errorf("cache times %d..%d", cache.StartTime, cache.EndTime)
	}
	if cache.Attributes.Len() != 2 || len(cache.Events) != 1 || cache.Events[0].Name != "hit" {
		t.Errorf("cache attributes %v events %+v", cache.Attributes.List(), cache.Events)
	}
	late := spanNamed(t, tr, "late")
	if late.TraceID != traceID {
		t.Errorf("late's 64-bit trace id read as %s", late.TraceID)
	}
	// Every root, client or server half was read as a span of the right
	// resource; spans of one endpoint share it.
	if late.Resource != root.Resource || server.Resource == root.Resource {
		t.Error("resources not shared by endpoint")
	}

	other := d.Traces[1]
	o := other.Spans[0].Data()
	if other.Info.TraceID != "tr-00000000000000001111111111111111" || o.Kind != SpanKindUnspecified {
		t.Errorf("second trace %s kind %v", other.Info.TraceID, o.Kind)
	}
	if o.Status != (Status{StatusError, "bad"}) || o.StartTime != 0 || o.EndTime != 5000 {
		t.Errorf("other span status %+v times %d..%d", o.Status, o.StartTime, o.EndTime)
	}
	if diff := cmp.Diff([]Field{{"extraField", []byte("1")}, {"kind", []byte(`"WEIRD"`)}}, o.Extra.Fields); diff != "" || o.Extra.Schema != SchemaZipkin {
		t.Errorf("kept members (%s) (-want +got):\n%s", o.Extra.Schema, diff)
	}
	for _, k := range []string{"otel.status_code", "otel.status_description", "peer.service", AttrZipkinDebug, AttrReadError, AttrStartUnknown} {
		if _, ok := o.Attributes.Lookup(k); !ok {
			t.Errorf("other span has no %s: %v", k, o.Attributes.List())
		}
	}
	if v, _ := o.Attributes.String("network.peer.address"); v != "::1" {
		t.Errorf("remote ipv6 read as %q", v)
	}

	ws := warningTexts(d)
	for _, want := range [][]string{
		{"zipkin_spans.json:4:3", "span id a000000000000002 is a client/server pair (shared): the server half (service \"backend\") is read as span " + wantID.String() + " under the client"},
		{"zipkin_spans.json:7:3", "written with its 64-bit id 48485a3953bb6124"},
		{"zipkin_spans.json:8:3", `span a000000000000006 ("cache") is reported in 2 records of service "gateway": merged into one span`},
		{"zipkin_spans.json:6:3", `span "log" has the tag error="false": read as ERROR`},
		{"zipkin_spans.json:6:3", "span without duration: read as zero-length"},
		{"zipkin_spans.json:10:3", "span without timestamp: its start is unknown"},
		{"zipkin_spans.json:11:69", `unknown kind "WEIRD"`},
		{"zipkin_spans.json:11:108", `span "other": timestamp "later" is not a time in microseconds`},
	} {
		if !hasWarning(ws, want...) {
			t.Errorf("no warning with %q in\n%s", want, strings.Join(ws, "\n"))
		}
	}
	if hasWarning(ws, "span without timestamp", "2 times") {
		t.Error("an unreadable timestamp is also warned about as a missing one")
	}
}

func TestDecodeZipkinSpanObject(t *testing.T) {
	d := decodeOne(t, "zipkin_span.json")
	if d.Schema != SchemaZipkin || d.Shape != "Zipkin v2 span" || len(d.Traces) != 1 || len(d.Traces[0].Spans) != 1 {
		t.Fatalf("schema %q shape %q", d.Schema, d.Shape)
	}
	s := d.Traces[0].Spans[0].Data()
	if s.Kind != SpanKindProducer || s.ParentID != mustSpanID(t, "86154a4ba6e91385") || s.EndTime-s.StartTime != 207_000_000 {
		t.Errorf("span %+v", s)
	}
	wantRes := []Attribute{{"service.name", "orders", ValueString}, {"zipkin.local_endpoint.ipv6", "2001:db8::c001", ValueString}}
	if diff := cmp.Diff(wantRes, s.Resource.Attributes.List()); diff != "" {
		t.Errorf("resource (-want +got):\n%s", diff)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "ws" {
		t.Errorf("events %+v", s.Events)
	}
}

// A CLIENT and a SERVER record with one id and no shared flag are split
// the same way, and the server side's child follows it.
func TestDecodeZipkinUnflaggedPair(t *testing.T) {
	d := decodeOne(t, "zipkin_unshared_pair.json")
	tr := &d.Traces[0]
	id := mustSpanID(t, "6b221d5bc9e6496c")
	var client, server, query SpanData
	for _, s := range tr.Spans {
		switch {
		case s.Kind() == SpanKindClient:
			client = s.Data()
		case s.Kind() == SpanKindServer:
			server = s.Data()
		default:
			query = s.Data()
		}
	}
	if client.SpanID != id || server.ParentID != id || server.SpanID == id || query.ParentID != server.SpanID {
		t.Errorf("client %s, server %s under %s, query under %s", client.SpanID, server.SpanID, server.ParentID, query.ParentID)
	}
	if !hasWarning(warningTexts(d), "no shared flag") {
		t.Errorf("warnings %q", warningTexts(d))
	}
	tree, warns := BuildTree(tr.Spans)
	if len(warns) != 0 || len(tree.Roots) != 1 {
		t.Errorf("tree: %d roots, warnings %v", len(tree.Roots), warns)
	}
}

func TestZipkinStatus(t *testing.T) {
	tests := []struct {
		tags      map[string]string
		want      Status
		errorKept bool
	}{
		{map[string]string{}, Status{}, false},
		{map[string]string{"error": "true"}, Status{Code: StatusError}, false},
		{map[string]string{"error": ""}, Status{Code: StatusError}, true},
		{map[string]string{"error": "boom"}, Status{StatusError, "boom"}, true},
		{map[string]string{"error": "false"}, Status{Code: StatusError}, true},
		{map[string]string{"otel.status_code": "OK"}, Status{Code: StatusOK}, false},
		{map[string]string{"otel.status_code": "ERROR", "otel.status_description": "d"}, Status{StatusError, "d"}, false},
		{map[string]string{"otel.status_code": "OK", "error": "boom", "otel.status_description": "d"}, Status{StatusError, "d"}, true},
		{map[string]string{"otel.status_description": "d"}, Status{}, false},
	}
	p := newReader([]byte("{}"), "t.json", 1, 1)
	for _, tt := range tests {
		s := zipkinSpan{name: "x"}
		for _, k := range sortedKeys(tt.tags) {
			s.tags = append(s.tags, Attribute{Key: k, Value: tt.tags[k], Type: ValueString})
		}
		st, attrs := p.zipkinStatus(&s, nil)
		_, kept := (NewAttributes(attrs)).Lookup("error")
		if st != tt.want || kept != tt.errorKept {
			t.Errorf("tags %v: status %+v (error tag kept %v), want %+v (%v)", tt.tags, st, kept, tt.want, tt.errorKept)
		}
	}
}

// The shared-span split never makes a cycle, whatever the children claim.
func TestZipkinSharedSplitNoCycle(t *testing.T) {
	in := `[
 {"traceId":"1","id":"2","parentId":"3","kind":"CLIENT","timestamp":10,"duration":5,"localEndpoint":{"serviceName":"a"}},
 {"traceId":"1","id":"2","parentId":"3","kind":"SERVER","shared":true,"timestamp":11,"duration":3,"localEndpoint":{"serviceName":"b"}},
 {"traceId":"1","id":"3","parentId":"2","timestamp":12,"duration":1,"localEndpoint":{"serviceName":"b"}}
]`
	docs, err := DecodeAll(strings.NewReader(in), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	tree, warns := BuildTree(tr.Spans)
	if len(tree.Roots) == 0 || len(tree.Spans) != 3 {
		t.Fatalf("tree of %d spans, roots %v", len(tree.Spans), tree.Roots)
	}
	// The input itself is a cycle (2 under 3 under 2): the tree breaks
	// it with a warning; the split added none.
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, "parent cycle") {
		t.Errorf("warnings %v", warns)
	}
}
