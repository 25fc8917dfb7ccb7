package spanjson

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pdataWriteFiles are the inputs of the PdataFromTrace tests: every
// fixture, and the real samples beside the checkout when present.
func pdataWriteFiles(t testing.TB) []string {
	var files []string
	for _, pat := range []string{fixturesDir + "/*.json*", "../../testdata/otlp/*.json", sharedSamples + "/*.json*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d input files found", len(files))
	}
	return files
}

// sendablePlain is pdataPlain less what pdata cannot hold: the text of
// undecodable ids (stand-ins are sent) and unknown members.
func sendablePlain(s Span) pdataPlainSpan {
	p := pdataPlain(s)
	p.D.Opaque = nil
	p.D.Extra = Extras{}
	for i := range p.D.Events {
		p.D.Events[i].Extra = Extras{}
	}
	for i := range p.D.Links {
		p.D.Links[i].Extra = Extras{}
		p.D.Links[i].Opaque = nil
	}
	if p.D.Resource != nil {
		p.D.Resource.Extra = Extras{}
	}
	if p.D.Scope != nil {
		p.D.Scope.Extra = Extras{}
	}
	return p
}

// Two paths give the same spans: the trace, its repeated span ids made
// unique by the tree, written as OTLP JSON and read back by the OTLP
// reader (what convert --schema otlp gives), and the
// trace through PdataFromTrace and the receiver's SpansFromPdata (what
// send gives a receiver). Every span of every trace arrives, no span id
// twice in a trace, and a span whose ids were decodable keeps them.
func TestPdataFromTraceMatchesOTLPWrite(t *testing.T) {
	spans := 0
	for _, name := range pdataWriteFiles(t) {
		docs, err := decodeFileForTest(t, name)
		if err != nil {
			continue // the fixtures of bad input
		}
		for _, doc := range docs {
			for ti := range doc.Traces {
				tr := &doc.Traces[ti]
				td, _, err := PdataFromTrace(tr)
				if err != nil {
					t.Fatalf("%s: trace %d: %v", name, ti, err)
				}
				if td.SpanCount() != len(tr.Spans) {
					t.Fatalf("%s: trace %d: %d pdata spans, the trace has %d", name, ti, td.SpanCount(), len(tr.Spans))
				}
				res := SpansFromPdata(td)
				var got []pdataPlainSpan
				for _, s := range res.Spans {
					got = append(got, sendablePlain(s))
				}
				// send gives repeated and missing span ids the tree's
				// fresh ids; convert keeps them
				tree, _ := BuildTree(tr.Spans)
				fixed := *tr
				fixed.Spans = tree.Spans
				written, _, err := AppendTrace(nil, SchemaOTLP, &fixed)
				if err != nil {
					t.Fatal(err)
				}
				back, _ := decodeOTLPBytes(t, written)
				var want []pdataPlainSpan
				for _, b := range back {
					for _, s := range b.Spans {
						if s.TraceID().IsZero() || s.SpanID().IsZero() {
							continue // SpansFromPdata rejects these, counted below
						}
						want = append(want, sendablePlain(s))
					}
				}
				if res.Rejected != len(tr.Spans)-len(want) {
					t.Errorf("%s: trace %d: %d rejected, want %d", name, ti, res.Rejected, len(tr.Spans)-len(want))
				}
				order := func(s []pdataPlainSpan) {
					slices.SortStableFunc(s, func(a, b pdataPlainSpan) int {
						if c := bytes.Compare(a.D.TraceID[:], b.D.TraceID[:]); c != 0 {
							return c
						}
						if c := bytes.Compare(a.D.SpanID[:], b.D.SpanID[:]); c != 0 {
							return c
						}
						return int(a.D.StartTime - b.D.StartTime)
					})
				}
				order(got)
				order(want)
				if diff := cmp.Diff(want, got, pdataCmp); diff != "" {
					t.Errorf("%s: trace %d: OTLP JSON write and pdata differ (-json +pdata):\n%s", name, ti, diff)
				}
				type key struct {
					tr TraceID
					sp SpanID
				}
				ids := map[key]bool{}
				for _, s := range res.Spans {
					k := key{s.TraceID(), s.SpanID()}
					if ids[k] {
						t.Errorf("%s: trace %d: span id %s sent twice", name, ti, s.SpanID())
					}
					ids[k] = true
				}
				for i, s := range tr.Spans {
					if s.Data().Opaque == nil && !s.SpanID().IsZero() && !slices.ContainsFunc(res.Spans, func(r Span) bool { return r.SpanID() == s.SpanID() && r.TraceID() == s.TraceID() }) {
						t.Errorf("%s: trace %d span %d (%s): its ids did not arrive", name, ti, i, s.SpanID())
					}
				}
				spans += len(res.Spans)
			}
		}
	}
	t.Logf("%d spans compared", spans)
	if spans < 50 {
		t.Errorf("compared only %d spans", spans)
	}
}

// Undecodable ids of OTLP-read spans, which convert writes back as text,
// are sent as their stand-ins: the child keeps its parent, and the loss is
// reported.
func TestPdataFromTraceOpaqueOTLPIDs(t *testing.T) {
	docs, err := decodeFileForTest(t, "../../testdata/otlp/opaque_ids.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := &docs[0].Traces[0]
	td, losses, err := PdataFromTrace(tr)
	if err != nil {
		t.Fatal(err)
	}
	res := SpansFromPdata(td)
	if res.Rejected != 0 || len(res.Spans) != 2 {
		t.Fatalf("%d spans, %d rejected (%s); want 2 and 0", len(res.Spans), res.Rejected, res.Reason)
	}
	root, child := res.Spans[0], res.Spans[1]
	if root.Name() != "root" || child.Name() != "child" {
		t.Fatalf("spans %q, %q", root.Name(), child.Name())
	}
	if child.ParentID() != root.SpanID() || root.SpanID().IsZero() || root.TraceID() != child.TraceID() || root.TraceID().IsZero() {
		t.Errorf("root %s/%s, child %s/%s parent %s: the child lost its parent", root.TraceID(), root.SpanID(), child.TraceID(), child.SpanID(), child.ParentID())
	}
	if !slices.ContainsFunc(losses, func(l Loss) bool { return l.Field == "span.opaque_id" && l.Count > 0 }) {
		t.Errorf("losses %v: want span.opaque_id", losses)
	}
	// convert still writes the text back, as before
	written, _, _ := AppendTrace(nil, SchemaOTLP, tr)
	if !bytes.Contains(written, []byte(`"<redacted>"`)) {
		t.Errorf("convert output lost the id text: %s", written)
	}
}

// FuzzPdataFromTrace: whatever the readers decode converts to pdata
// without error, with every span, and no span id twice.
func FuzzPdataFromTrace(f *testing.F) {
	for _, name := range pdataWriteFiles(f) {
		if b, err := readFileBytes(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := DecodeAll(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, doc := range docs {
			for ti := range doc.Traces {
				tr := &doc.Traces[ti]
				td, _, err := PdataFromTrace(tr)
				if err != nil {
					t.Fatalf("trace %d: %v", ti, err)
				}
				if td.SpanCount() != len(tr.Spans) {
					t.Fatalf("trace %d: %d pdata spans of %d", ti, td.SpanCount(), len(tr.Spans))
				}
				seen := map[SpanID]bool{}
				for _, s := range SpansFromPdata(td).Spans {
					if seen[s.SpanID()] {
						t.Fatalf("trace %d: span id %s twice", ti, s.SpanID())
					}
					seen[s.SpanID()] = true
				}
			}
		}
	})
}

func readFileBytes(name string) ([]byte, error) { return os.ReadFile(name) }

// A span id repeated in a trace (or missing) would make a receiver keep
// one of the spans: send gives the later holder the tree's fresh id, says
// so as a span.span_id loss, and leaves convert's output alone.
func TestPdataFromTraceRepeatedSpanID(t *testing.T) {
	doc := `{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[
 {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"root","startTimeUnixNano":"10","endTimeUnixNano":"20"},
 {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"a","startTimeUnixNano":"11","endTimeUnixNano":"12"},
 {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"b","startTimeUnixNano":"13","endTimeUnixNano":"14"}
]}]}]}`
	traces, _ := decodeOTLPBytes(t, []byte(doc))
	td, losses, err := PdataFromTrace(&traces[0])
	if err != nil {
		t.Fatal(err)
	}
	res := SpansFromPdata(td)
	if len(res.Spans) != 3 {
		t.Fatalf("%d spans", len(res.Spans))
	}
	a, b := res.Spans[1], res.Spans[2]
	if a.SpanID().String() != "b7ad6b7169203331" || b.SpanID() == a.SpanID() || b.SpanID().IsZero() || b.ParentID() != res.Spans[0].SpanID() {
		t.Errorf("a %s, b %s (parent %s)", a.SpanID(), b.SpanID(), b.ParentID())
	}
	if !slices.Contains(losses, Loss{Field: "span.span_id", Count: 1}) {
		t.Errorf("losses %v: want span.span_id (1)", losses)
	}
	written, _, _ := AppendTrace(nil, SchemaOTLP, &traces[0])
	if bytes.Count(written, []byte(`"spanId":"b7ad6b7169203331"`)) != 2 {
		t.Errorf("convert changed the repeated id: %s", written)
	}
}
