package spanjson

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzDecodeJaeger: decoding any input never panics, and every trace
// decoded from it (Jaeger or whatever else it turns out to be) writes as
// MLflow v3 and as OTLP, and reads back with the same spans.
func FuzzDecodeJaeger(f *testing.F) {
	addSeeds(f, "jaeger*", "jaegertracing-*")
	for _, s := range []string{
		`{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","operationName":"x","references":[{"refType":"CHILD_OF","spanID":"2"}],"startTime":"x","tags":[{"key":"k","type":"binary","value":"=="}]}]}],"errors":[{"msg":"m"}]}`,
		`[{"traceID":"zz","spanID":"","operationName":"a","process":{"serviceName":1,"tags":[{"key":"b","type":"float64","value":"Infinity"}]},"logs":[{"timestamp":-1,"fields":[{"key":"event","value":3}]}],"startTime":18446744073709551615,"duration":9223372036854775807}]`,
		`{"traceID":"ab","spans":[],"warnings":["w",1]}`,
		`{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"1","spanId":"2"}]}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeWritesBack)
}

// FuzzDecodeZipkin is FuzzDecodeJaeger for Zipkin input.
func FuzzDecodeZipkin(f *testing.F) {
	addSeeds(f, "zipkin*", "*zipkin*")
	for _, s := range []string{
		`[{"traceId":"1","id":"2","kind":"CLIENT","timestamp":1,"duration":2},{"traceId":"1","id":"2","kind":"SERVER","shared":true,"timestamp":1},{"traceId":"1","id":"3","parentId":"2"}]`,
		`[{"traceId":"01","id":"2","parentId":"2","tags":{"error":"false","x":{"a":1}},"annotations":[{"value":"v","timestamp":"t"}],"remoteEndpoint":{"port":"p"}}]`,
		`{"traceId":"ffffffffffffffff0000000000000001","id":"1","timestamp":9223372036854775,"duration":9223372036854775,"localEndpoint":{}}`,
		`[{"traceId":"0000000000000001","id":"1"},{"traceId":"10000000000000001","id":"1","shared":true}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeWritesBack)
}

// addSeeds adds the fixtures and shared samples matching the patterns,
// but not large ones: the fuzzer spends its time minimising what it
// finds in them.
func addSeeds(f *testing.F, fixture, sample string) {
	for _, pat := range []string{fixturesDir + "/" + fixture, sharedSamplesDir + "/" + sample} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) <= 16<<10 {
				f.Add(b)
			}
		}
	}
}

// spanFacts lists what a write must keep of each span, sorted.
func spanFacts(spans []Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		d := s.Data()
		out[i] = fmt.Sprintf("%s/%s<-%s %q %d..%d", d.TraceID, d.SpanID, d.ParentID, d.Name, d.StartTime, d.EndTime)
	}
	slices.Sort(out)
	return out
}

func checkDecodeWritesBack(t *testing.T, data []byte) {
	docs, err := DecodeAll(bytes.NewReader(data), "fuzz")
	if err != nil {
		return
	}
	for _, d := range docs {
		for i := range d.Traces {
			tr := &d.Traces[i]
			for _, s := range tr.Spans {
				if s.TraceID() != tr.Spans[0].TraceID() {
					t.Fatalf("trace %q holds spans of %s and %s", tr.Info.TraceID, tr.Spans[0].TraceID(), s.TraceID())
				}
			}
			for _, schema := range []Schema{SchemaMLflowV3, SchemaOTLP} {
				out, _, err := AppendTrace(nil, schema, tr)
				if err != nil {
					t.Fatalf("write %s: %v", schema, err)
				}
				if !gjson.ValidBytes(out) {
					t.Fatalf("write %s: invalid JSON %q", schema, out)
				}
				back, err := DecodeAll(bytes.NewReader(out), "rewritten")
				if err != nil {
					t.Fatalf("re-decoding the %s write: %v\n%s", schema, err, out)
				}
				var spans []Span
				for _, b := range back {
					for _, bt := range b.Traces {
						spans = append(spans, bt.Spans...)
					}
				}
				// OTLP groups spans by resource: compare them in any order.
				if got, want := spanFacts(spans), spanFacts(tr.Spans); !slices.Equal(got, want) {
					t.Fatalf("%s write/read changed the spans:\n%q\nbecame\n%q", schema, want, got)
				}
			}
		}
	}
}
