package spanjson

import (
	"bytes"
	"github.com/google/go-cmp/cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// dropShapeMark removes from traces' info what markShape adds for a bare
// array of spans.
func dropShapeMark(traces []Trace) {
	for i := range traces {
		x := &traces[i].Info.Extra
		var kept []Field
		for _, f := range x.Fields {
			if f.Key != markShape {
				kept = append(kept, f)
			}
		}
		x.Fields = kept
		if len(kept) == 0 {
			x.Schema = ""
		}
	}
}

// FuzzDecode feeds arbitrary input to DecodeAll: it must never panic, every
// trace it returns must hold only spans of one trace id, and whatever it
// decodes must write back (v3 and v2) as valid JSON that decodes again.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(fixturesDir + "/*.json*")
	for _, p := range append(presentSamples(f, coreSamples...), files...) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"span_id":"AAAAAAAAAAE=","trace_id":"x"}]`))
	f.Add([]byte("{\"spans\":[{\"context\":{\"span_id\":\"0x01\"},\"start_time\":1e3}]}\n{}"))
	// A "spans" list is streamed as MLflow spans unless its first item is
	// a Jaeger span: both must read as when the document is whole.
	f.Add([]byte(`{"traceID":"1","spans":[{}]}`))
	f.Add([]byte(`{"spans":[{"spanID":"1","operationName":"x"},{"span_id":"AAAAAAAAAAE="}],"traceID":"1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := DecodeAll(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if len(docs) == 1 && docs[0].Schema != SchemaOTLP {
			// The same document inside an array is read without streaming:
			// both paths must build the same model.
			wrapped, err := DecodeAll(bytes.NewReader(append(append([]byte("["), data...), ']')), "fuzz")
			if err == nil && len(wrapped) == 1 {
				if t0 := bytes.TrimLeft(data, " \t\r\n"); len(t0) > 0 && t0[0] == '{' && wrapped[0].Shape == docs[0].Shape && strings.HasPrefix(docs[0].Shape, "array of") {
					// A bare span object: in brackets it is an array of
					// spans, which its trace's info records (markShape)
					// and the bare object's does not.
					dropShapeMark(wrapped[0].Traces)
				}
				if diff := cmp.Diff(docs[0].Traces, wrapped[0].Traces, modelOpts...); diff != "" {
					t.Fatalf("streamed and whole-document decoding differ (-streamed +whole):\n%s", diff)
				}
				if len(docs[0].Warnings) != len(wrapped[0].Warnings) {
					t.Fatalf("warnings differ: %v vs %v", docs[0].Warnings, wrapped[0].Warnings)
				}
			}
		}
		for _, d := range docs {
			for i := range d.Traces {
				tr := &d.Traces[i]
				for _, s := range tr.Spans {
					if s.TraceID() != tr.Spans[0].TraceID() {
						t.Fatalf("trace %q holds spans of %s and %s", tr.Info.TraceID, tr.Spans[0].TraceID(), s.TraceID())
					}
				}
				for _, schema := range []Schema{SchemaMLflowV3, SchemaMLflowV2} {
					out, _, err := AppendTrace(nil, schema, tr)
					if err != nil {
						t.Fatalf("write %s: %v", schema, err)
					}
					if !gjson.ValidBytes(out) {
						t.Fatalf("write %s: invalid JSON %q", schema, out)
					}
					if _, err := DecodeAll(bytes.NewReader(out), "rewritten"); err != nil {
						t.Fatalf("re-decoding the %s write: %v\n%s", schema, err, out)
					}
				}
			}
		}
	})
}
