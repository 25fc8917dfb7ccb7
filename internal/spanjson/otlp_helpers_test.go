package spanjson

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// Plain comparable views of the model (Attributes hold caches, so cmp cannot
// look inside them directly).

type otlpViewSpan struct {
	TraceID, SpanID, ParentID string
	Name                      string
	Start, End                int64
	Status                    Status
	Kind                      SpanKind
	TraceState                string
	Flags                     uint32
	Attributes                []Attribute
	Events                    []otlpViewEvent
	Links                     []otlpViewLink
	DroppedAttributes         uint32
	DroppedEvents             uint32
	DroppedLinks              uint32
	Resource                  *otlpViewResource
	Scope                     *otlpViewScope
	Opaque                    *OpaqueIDs
	Extra                     Extras
}

type otlpViewEvent struct {
	Name              string
	Time              int64
	Attributes        []Attribute
	DroppedAttributes uint32
	Extra             Extras
}

type otlpViewLink struct {
	TraceID, SpanID   string
	TraceState        string
	Flags             uint32
	Attributes        []Attribute
	DroppedAttributes uint32
	Opaque            *OpaqueIDs
	Extra             Extras
}

type otlpViewResource struct {
	Attributes        []Attribute
	DroppedAttributes uint32
	SchemaURL         string
	Extra             Extras
}

type otlpViewScope struct {
	Name, Version     string
	Attributes        []Attribute
	DroppedAttributes uint32
	SchemaURL         string
	Extra             Extras
}

func otlpViewOf(s Span) otlpViewSpan {
	d := s.Data()
	v := otlpViewSpan{
		TraceID: d.TraceID.String(), SpanID: d.SpanID.String(), ParentID: d.ParentID.String(),
		Name: d.Name, Start: d.StartTime, End: d.EndTime, Status: d.Status, Kind: d.Kind,
		TraceState: d.TraceState, Flags: d.Flags, Attributes: d.Attributes.List(),
		DroppedAttributes: d.DroppedAttributes, DroppedEvents: d.DroppedEvents, DroppedLinks: d.DroppedLinks,
		Opaque: d.Opaque, Extra: d.Extra,
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, otlpViewEvent{e.Name, e.Time, e.Attributes.List(), e.DroppedAttributes, e.Extra})
	}
	for _, l := range d.Links {
		v.Links = append(v.Links, otlpViewLink{l.TraceID.String(), l.SpanID.String(), l.TraceState, l.Flags,
			l.Attributes.List(), l.DroppedAttributes, l.Opaque, l.Extra})
	}
	if r := d.Resource; r != nil {
		v.Resource = &otlpViewResource{r.Attributes.List(), r.DroppedAttributes, r.SchemaURL, r.Extra}
	}
	if sc := d.Scope; sc != nil {
		v.Scope = &otlpViewScope{sc.Name, sc.Version, sc.Attributes.List(), sc.DroppedAttributes, sc.SchemaURL, sc.Extra}
	}
	return v
}

func otlpViewsOf(spans []Span) []otlpViewSpan {
	out := make([]otlpViewSpan, len(spans))
	for i, s := range spans {
		out[i] = otlpViewOf(s)
	}
	return out
}

// otlpDocs splits a test file into its JSON documents: one per line for
// .jsonl, the whole file otherwise.
func otlpDocs(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".jsonl") {
		return [][]byte{b}
	}
	var docs [][]byte
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) > 0 {
			docs = append(docs, line)
		}
	}
	return docs
}

// decodeOTLPBytes decodes one document, failing the test on an error.
func decodeOTLPBytes(t testing.TB, doc []byte) ([]Trace, []Warning) {
	t.Helper()
	if !gjson.ValidBytes(doc) {
		t.Fatalf("invalid JSON: %.200s", doc)
	}
	traces, warnings, err := decodeOTLP(gjson.ParseBytes(doc))
	if err != nil {
		t.Fatalf("decodeOTLP: %v\n%.300s", err, doc)
	}
	return traces, warnings
}

// otlpSamples are the real OTLP files of ../shared/samples the OTLP tests
// read when the folder is beside the checkout; otlpFixtures are the ones
// written for the cases the samples lack, always there.
var (
	otlpSamples = []string{
		"open-telemetry-opentelemetry-proto__examples_trace.json",
		"open-telemetry-opentelemetry-specification__file-exporter_traces_example.jsonl",
	}
	otlpFixtures = []string{
		"../../testdata/otlp/snake_case.json",
		"../../testdata/otlp/two_traces.json",
		"../../testdata/otlp/opaque_ids.json",
	}
)

// otlpTestFiles are every OTLP input the tests read: the samples when
// present, and the fixtures.
func otlpTestFiles(t testing.TB) []string {
	t.Helper()
	return append(presentSamples(t, otlpSamples...), otlpFixtures...)
}

// otlpTestFile is the path of one of them by name; a sample's test skips
// without ../shared/samples.
func otlpTestFile(t testing.TB, name string) string {
	t.Helper()
	if slices.Contains(otlpSamples, name) {
		return sharedSample(t, name)
	}
	for _, f := range otlpFixtures {
		if filepath.Base(f) == name {
			return f
		}
	}
	t.Fatalf("no test file %s", name)
	return ""
}
