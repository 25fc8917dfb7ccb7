package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsTraceFileName(t *testing.T) {
	for name, want := range map[string]bool{
		"tr-1.json": true, "dump.jsonl": true, "x.ndjson": true, "x.JSON": true,
		"x.json.gz": true, "x.jsonl.zst": true, "x.json.zstd": true,
		".tracectl-collect-123": false, ".tracectl-collect-1.json": false, ".x.json.tmp-1": false,
		".hidden.json": false, "notes.txt": false, "x.gz": false, "x.json.bz2": false,
		"trace_info.yaml": false, ".json": false, "json": false, "x.json~": false, "meta.yaml": false,
	} {
		if got := IsTraceFileName(name); got != want {
			t.Errorf("IsTraceFileName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestDirectoryInputs: a directory argument is its trace files, in name
// order, subdirectories included, hidden and temporary files left out.
func TestDirectoryInputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"b.json", "a.jsonl.gz", "c.json.zst", "notes.txt", ".hidden.json", ".tracectl-collect-42",
		"sub/z.json", "sub/a.json", ".git/x.json", "m/traces/tr-1/artifacts/traces.json", "m/traces/tr-1/trace_info.yaml",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := Inputs([]string{"x.json", dir, "-"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range ins {
		got = append(got, in.Name)
		if in.Name != "<stdin>" && in.Path != in.Name {
			t.Errorf("input %+v: path and name differ", in)
		}
	}
	want := []string{"x.json"}
	for _, name := range []string{"a.jsonl.gz", "b.json", "c.json.zst", "m/traces/tr-1/artifacts/traces.json", "sub/a.json", "sub/z.json"} {
		want = append(want, filepath.Join(dir, name))
	}
	want = append(want, "<stdin>")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}

// TestDirectoryWithoutTraces: a directory with no trace file is an input
// that fails, naming it; the other inputs are read.
func TestDirectoryWithoutTraces(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, empty, "README.md", "not a trace")
	good := writeFile(t, dir, "good.json", mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15}))
	ins, err := Inputs([]string{empty, good}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(t, ins, Options{}, true)
	var failed *FailedInputs
	if !errors.As(r.err, &failed) || len(r.errs) != 1 {
		t.Fatalf("Read = %v, errors %v; want one failed input", r.err, r.errs)
	}
	var ie *Error
	if !errors.As(r.errs[0], &ie) || ie.Error() != empty+": no trace files in the directory" || !strings.Contains(ie.Hint(), "*.json") {
		t.Errorf("error %v (hint %q)", r.errs[0], ie.Hint())
	}
	if diff := cmp.Diff([]string{mlflowID(1)}, ids(r.traces)); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
}

// TestDirectoryReadsAsItsFiles: reading a directory gives the traces of
// reading its files named one by one.
func TestDirectoryReadsAsItsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "2.json", mlflowLine(2, "b", "OK", tspan{trace: 2, id: 2, name: "b", start: 1e15, end: 2e15}))
	writeFile(t, dir, "1.jsonl", otlpLine(tspan{trace: 1, id: 1, name: "a", start: 10, end: 20}))
	if err := os.WriteFile(filepath.Join(dir, "3.json.gz"), gzipped(t, mlflowLine(3, "c", "ERROR", tspan{trace: 3, id: 3, name: "c", start: 1e15, end: 2e15, errMsg: "x"})), 0o644); err != nil {
		t.Fatal(err)
	}
	ins, err := Inputs([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(t, ins, Options{}, false)
	if r.err != nil {
		t.Fatal(r.err)
	}
	// Name order: 1.jsonl (its OTLP trace), 2.json, 3.json.gz.
	if diff := cmp.Diff([]string{mlflowID(1), mlflowID(2), mlflowID(3)}, ids(r.traces)); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
}
