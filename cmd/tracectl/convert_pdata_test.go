package main

import (
	"bufio"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// TestConvertOTLPOutputReadByCollector: every line `tracectl convert
// --schema otlp` writes for the repository's own traces of each schema and
// for the real samples (skipped without ../shared/samples) is accepted by
// the OpenTelemetry Collector's own JSON decoder, with every span and its
// ids.
func TestConvertOTLPOutputReadByCollector(t *testing.T) {
	inputs := []string{demoTrace, "testdata/insight/failing_agent.json", "testdata/spanjson/mlflow2_full_trace.json",
		"testdata/spanjson/several_traces.jsonl", "testdata/otlp/two_traces.json"}
	for _, s := range goldenSamples {
		if s.name != "prompt" {
			inputs = append(inputs, filepath.Join(sharedSamplesDir, s.file))
		}
	}
	for _, input := range inputs {
		t.Run(filepath.Base(input), func(t *testing.T) {
			if strings.HasPrefix(input, sharedSamplesDir) {
				samplePath(t, filepath.Base(input)) // skips without the folder
			}
			sample := filepath.Join(repoRoot, input)
			streams, _, out, errOut := render.Test()
			if err := runConvert(context.Background(), &convertOptions{Schema: "otlp", Inputs: []string{sample}, streams: streams}); err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			// What our reader sees in the output is what the collector must see.
			docs, err := spanjson.DecodeAll(bytes.NewReader(out.Bytes()), "out")
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
			sc.Buffer(nil, 1<<24)
			line := 0
			for sc.Scan() {
				td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
				if err != nil {
					t.Fatalf("line %d: collector rejects it: %v", line+1, err)
				}
				var want []spanjson.Span
				for _, tr := range docs[line].Traces {
					want = append(want, tr.Spans...)
				}
				if td.SpanCount() != len(want) {
					t.Fatalf("line %d: collector sees %d spans, we wrote %d", line+1, td.SpanCount(), len(want))
				}
				i := 0
				for _, rs := range td.ResourceSpans().All() {
					for _, ss := range rs.ScopeSpans().All() {
						for _, s := range ss.Spans().All() {
							w := want[i]
							if got, wantID := s.TraceID(), w.TraceID(); got != [16]byte(wantID) {
								t.Errorf("line %d span %d: trace id %x, want %x", line+1, i, got, wantID)
							}
							if got, wantID := s.SpanID(), w.SpanID(); got != [8]byte(wantID) {
								t.Errorf("line %d span %d: span id %x, want %x", line+1, i, got, wantID)
							}
							if s.Name() != w.Name() || int64(s.StartTimestamp()) != w.StartTime() {
								t.Errorf("line %d span %d: %q at %d, want %q at %d", line+1, i, s.Name(), s.StartTimestamp(), w.Name(), w.StartTime())
							}
							i++
						}
					}
				}
				line++
			}
			if line == 0 || line != len(docs) {
				t.Errorf("%d output lines, %d documents", line, len(docs))
			}
		})
	}
}
