package collect

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tracectl/internal/spanjson"
)

func colSinkTrace(incomplete string) *CollectedTrace {
	res := &spanjson.Resource{Attributes: spanjson.NewAttributes([]spanjson.Attribute{{Key: "service.name", Value: "svc", Type: spanjson.ValueString}})}
	var spans []spanjson.Span
	for i, p := range []int{0, 1} {
		if incomplete != "" {
			p = 9 // no root
		}
		d := colSpan(1, i+1, p).Data()
		d.Resource = res
		spans = append(spans, spanjson.NewSpan(d))
	}
	return buildCollected(colTID(1), spans, incomplete)
}

// readBack decodes what a sink wrote.
func readBack(t *testing.T, path string) []spanjson.Trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := spanjson.DecodeAll(f, path)
	if err != nil {
		t.Fatalf("reading back %s: %v", path, err)
	}
	var out []spanjson.Trace
	for _, d := range docs {
		out = append(out, d.Traces...)
	}
	return out
}

func TestJSONLSinkMarksIncompleteInEverySchema(t *testing.T) {
	for _, schema := range []spanjson.Schema{spanjson.SchemaMLflowV3, spanjson.SchemaMLflowV2, spanjson.SchemaOTLP} {
		t.Run(string(schema), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.jsonl")
			s, err := OpenJSONLSink(path, schema)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WriteTrace(colSinkTrace(IncompleteTimeout)); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteTrace(colSinkTrace("")); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// The marker travels in every schema; MLflow has no place for
			// the OTLP resource.
			var wantLosses []spanjson.Loss
			if schema != spanjson.SchemaOTLP {
				wantLosses = []spanjson.Loss{{Field: "span.resource", Count: 4}}
			}
			if diff := cmp.Diff(wantLosses, s.Losses(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("losses (-want +got):\n%s", diff)
			}
			data, _ := os.ReadFile(path)
			if n := strings.Count(string(data), "\n"); n != 2 {
				t.Errorf("%d lines, want 2:\n%s", n, data)
			}
			traces := readBack(t, path)
			if len(traces) != 2 {
				t.Fatalf("read back %d traces, want 2", len(traces))
			}
			marker := func(tr spanjson.Trace) string {
				if m := tr.Info.Tags[spanjson.TagIncomplete]; m != "" {
					return m
				}
				if r := tr.Spans[0].Data().Resource; r != nil {
					m, _ := r.Attributes.String(spanjson.TagIncomplete)
					return m
				}
				return ""
			}
			if got := []string{marker(traces[0]), marker(traces[1])}; !cmp.Equal(got, []string{IncompleteTimeout, ""}) {
				t.Errorf("markers %q, want the first trace marked, the second not", got)
			}
		})
	}
}

func TestJSONLSinkAppendsWholeLinesConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	if err := os.WriteFile(path, []byte("{\"kept\":true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenJSONLSink(path, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ct := buildCollected(colTID(g*100+i), []spanjson.Span{colSpan(g*100+i, 1, 0)}, "")
				if err := s.WriteTrace(ct); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteTrace(colSinkTrace("")); err == nil {
		t.Error("WriteTrace after Close succeeded")
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 201 || lines[0] != `{"kept":true}` {
		t.Fatalf("%d lines (first %q), want the old line kept and 200 appended", len(lines), lines[0])
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines[1:], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := len(readBack(t, path)); n != 200 {
		t.Errorf("read back %d traces, want 200", n)
	}
}

func TestDirSinkNamesFilesFromTraceIDs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	s, err := OpenDirSink(dir, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	// The same trace id twice (late spans after the trace was written) and
	// an id that is not safe as a file name.
	for _, ct := range []*CollectedTrace{colSinkTrace(""), colSinkTrace(IncompleteTimeout)} {
		if err := s.WriteTrace(ct); err != nil {
			t.Fatal(err)
		}
	}
	odd := colSinkTrace("")
	odd.Trace.Info.TraceID = "../../escape"
	if err := s.WriteTrace(odd); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	want := []string{"_._.._escape-c7f665b8.json", "tr-ab000000000000000000000000000001-2.json", "tr-ab000000000000000000000000000001.json"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := len(readBack(t, filepath.Join(dir, want[1]))); n != 1 {
		t.Errorf("%s holds %d traces, want 1", want[1], n)
	}
}

// TestDirSinkNeverOverwrites: a file left by an earlier run and traces of
// one id written at the same time each keep their own file.
func TestDirSinkNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	const first = "tr-ab000000000000000000000000000001.json"
	if err := os.WriteFile(filepath.Join(dir, first), []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenDirSink(dir, spanjson.SchemaMLflowV3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.WriteTrace(colSinkTrace("")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, first)); string(b) != "earlier run\n" {
		t.Errorf("%s was overwritten: %q", first, b)
	}
	for n := 2; n <= 9; n++ {
		name := fmt.Sprintf("tr-ab000000000000000000000000000001-%d.json", n)
		if got := len(readBack(t, filepath.Join(dir, name))); got != 1 {
			t.Errorf("%s holds %d traces, want 1", name, got)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 9 {
		t.Errorf("%d files, want 9", len(entries))
	}
}

func TestOpenSinkErrors(t *testing.T) {
	if _, err := OpenJSONLSink(filepath.Join(t.TempDir(), "x"), "yaml"); err == nil {
		t.Error("OpenJSONLSink with an unknown schema succeeded")
	}
	if _, err := OpenJSONLSink(filepath.Join(t.TempDir(), "missing", "x.jsonl"), spanjson.SchemaMLflowV3); err == nil {
		t.Error("OpenJSONLSink in a missing directory succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDirSink(file, spanjson.SchemaMLflowV3); err == nil {
		t.Error("OpenDirSink on a regular file succeeded")
	}
}
