package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/collect"
	"tracectl/internal/spanjson"
)

// dirNames writes traces once with convert --dir and once with collect's
// directory sink, in schema, and returns the file names each made (sorted).
func dirNames(t *testing.T, schema string, traces func() []spanjson.Trace) (converted, collected []string) {
	t.Helper()
	convertDir := filepath.Join(t.TempDir(), "convert")
	// One document a trace: each is complete at its document, so a
	// repeated id is a later record of it, as in collect.
	var docs []*spanjson.Document
	for i, tr := range traces() {
		docs = append(docs, doc(spanjson.SchemaMLflowV3, i+1, tr))
	}
	r := runFake(t, convertOptions{Schema: schema, Dir: convertDir, writeTrace: spanjson.WriteTrace},
		&fakeDecoder{docs: docs})
	if r.code != 0 {
		t.Fatalf("convert: exit %d: %s", r.code, r.errOut)
	}

	s, err := parseSchema(schema)
	if err != nil {
		t.Fatal(err)
	}
	collectDir := filepath.Join(t.TempDir(), "collect")
	sink, err := collect.OpenDirSink(collectDir, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range traces() {
		if err := sink.WriteTrace(&collect.CollectedTrace{Trace: tr}); err != nil {
			t.Fatalf("collect: %v", err)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	return dirList(t, convertDir), dirList(t, collectDir)
}

func dirList(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// withID is fakeTrace n with its trace id text replaced.
func withID(n byte, id string) spanjson.Trace {
	tr := fakeTrace(n, 1, true)
	tr.Info.TraceID = id
	return tr
}

// TestDirNamesMatchCollect: convert --dir and collect --dir give a trace
// the same file name in every schema, also for a repeated id (a late second
// part), ids that are not safe as file names, an id the spans name, and a
// repeat's "-2" name that another id wants. Both call the one naming rule
// (spanjson.TraceFileName); this checks that they ask it about the same id.
// (A fuzz target would fsync per input: too slow for the fuzz smoke.)
func TestDirNamesMatchCollect(t *testing.T) {
	traces := func() []spanjson.Trace {
		requestID := fakeTrace(9, 2, true)
		for i, s := range requestID.Spans {
			d := s.Data()
			d.Attributes = spanjson.NewAttributes([]spanjson.Attribute{{Key: spanjson.AttrTraceRequestID, Value: `"tr-custom"`, Type: spanjson.ValueJSON}})
			requestID.Spans[i] = spanjson.NewSpan(d)
		}
		return []spanjson.Trace{
			fakeTrace(1, 1, true),
			fakeTrace(1, 2, false), // the same id again
			withID(2, "<redacted>"),
			withID(3, "../../etc/passwd"),
			withID(4, "CON"),
			withID(5, "TR-ABC"),
			withID(6, ""),
			withID(7, "00000000000000000000000000000007"), // an MLflow 2 request id
			requestID,
			withID(10, "x"), withID(11, "x"), withID(12, "x-2"), // x.json, x-2.json, x-2-2.json
		}
	}
	for _, schema := range []string{"v3", "v2", "otlp"} {
		t.Run(schema, func(t *testing.T) {
			converted, collected := dirNames(t, schema, traces)
			if len(converted) != len(traces()) {
				t.Errorf("convert wrote %d files, want %d: %q", len(converted), len(traces()), converted)
			}
			if diff := cmp.Diff(converted, collected); diff != "" {
				t.Errorf("file names (-convert +collect):\n%s", diff)
			}
		})
	}
}
