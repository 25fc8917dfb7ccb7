package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pathInput(path string) Input { return Input{Name: path, Path: path} }

// badInputs is good, missing, bad JSON part-way, good: the bad file has an
// MLflow trace and an OTLP trace before the bad line and one after it.
func badInputs(t *testing.T) (ins []Input, missing, bad string) {
	dir := t.TempDir()
	good1 := writeFile(t, dir, "good1.json", mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15}))
	missing = filepath.Join(dir, "missing.json")
	bad = writeFile(t, dir, "bad.json",
		mlflowLine(2, "b", "OK", tspan{trace: 2, id: 2, name: "b", start: 1e15, end: 2e15})+
			otlpLine(tspan{trace: 3, id: 3, name: "c", start: 10, end: 20})+
			`{"resourceSpans": [}`+"\n"+
			mlflowLine(4, "d", "OK", tspan{trace: 4, id: 4, name: "d", start: 1e15, end: 2e15}))
	good2 := writeFile(t, dir, "good2.json", otlpLine(tspan{trace: 5, id: 5, name: "e", start: 10, end: 20}))
	return []Input{pathInput(good1), pathInput(missing), pathInput(bad), pathInput(good2)}, missing, bad
}

// TestPerInputErrors: with Options.Error, a failing input is reported and
// skipped, every good trace is handed on (those before the bad spot too),
// and Read returns *FailedInputs.
func TestPerInputErrors(t *testing.T) {
	ins, missing, bad := badInputs(t)
	r := readAll(t, ins, Options{}, true)
	var failed *FailedInputs
	if !errors.As(r.err, &failed) || *failed != (FailedInputs{N: 2}) {
		t.Fatalf("Read = %#v, want *FailedInputs{N: 2}", r.err)
	}
	if got := r.err.Error(); got != "2 inputs could not be read" {
		t.Errorf("Read error %q", got)
	}
	// Trace 3 (OTLP, before the bad line) is complete at the end of all
	// inputs; trace 4 (after it) is skipped with the rest of bad.json.
	want := []string{mlflowID(1), mlflowID(2), mlflowID(3), mlflowID(5)}
	if diff := cmp.Diff(want, ids(r.traces)); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
	if len(r.errs) != 2 {
		t.Fatalf("Options.Error called %d times (%v), want 2", len(r.errs), r.errs)
	}
	if msg := r.errs[0].Error(); !strings.Contains(msg, missing) {
		t.Errorf("first error %q does not name %s", msg, missing)
	}
	var ie *Error
	if !errors.As(r.errs[0], &ie) || !strings.Contains(ie.Hint(), "check the file name") {
		t.Errorf("missing file: error %#v has no hint to check the file name", r.errs[0])
	}
	var se *spanjson.SyntaxError
	if !errors.As(r.errs[1], &se) {
		t.Fatalf("bad JSON: error %#v is not a *spanjson.SyntaxError", r.errs[1])
	}
	if se.File != bad || se.Line != 3 || se.Col != 20 {
		t.Errorf("bad JSON at %s:%d:%d, want %s:3:20", se.File, se.Line, se.Col, bad)
	}
	if msg := r.errs[1].Error(); !strings.HasPrefix(msg, bad+":3:20: ") {
		t.Errorf("bad JSON error %q does not start with %s:3:20: ", msg, bad)
	}
}

// TestFirstErrorEndsRead: without Options.Error the first failing input
// ends Read with its error; nothing after it is read.
func TestFirstErrorEndsRead(t *testing.T) {
	ins, missing, bad := badInputs(t)
	tests := []struct {
		name  string
		ins   []Input
		check func(t *testing.T, err error)
		want  []string
	}{
		{
			name: "missing file",
			ins:  ins,
			check: func(t *testing.T, err error) {
				var ie *Error
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), missing) {
					t.Errorf("Read = %v, want an *Error naming %s", err, missing)
				}
			},
			want: []string{mlflowID(1)},
		},
		{
			name: "bad JSON",
			ins:  []Input{ins[0], ins[2], ins[3]},
			check: func(t *testing.T, err error) {
				var se *spanjson.SyntaxError
				if !errors.As(err, &se) || se.File != bad || se.Line != 3 {
					t.Errorf("Read = %v, want a syntax error at %s:3", err, bad)
				}
			},
			// The MLflow trace before the bad spot was handed on at its
			// document; the pending OTLP trace 3 is not.
			want: []string{mlflowID(1), mlflowID(2)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readAll(t, tc.ins, Options{}, false)
			var failed *FailedInputs
			if errors.As(r.err, &failed) {
				t.Errorf("Read = %v: *FailedInputs without Options.Error", r.err)
			}
			tc.check(t, r.err)
			if diff := cmp.Diff(tc.want, ids(r.traces)); diff != "" {
				t.Errorf("traces (-want +got):\n%s", diff)
			}
		})
	}
}

func gzipped(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(text))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInputHints: inputs that are not JSON text (and not gzip or zstd,
// which are read: compressed_test.go) get an *Error whose hint
// names the fix.
func TestInputHints(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "traces")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	spaced := filepath.Join(dir, "my traces.bz2")
	if err := os.WriteFile(spaced, []byte("BZh91AY&SY...."), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := writeFile(t, dir, "binary.json", "{\"info\x00\x01\x02\": 1}\n")
	tests := []struct {
		name     string
		in       Input
		wantErr  string // part of the message
		wantHint string // part of the hint
	}{
		{"bzip2 file, name quoted", pathInput(spaced), "bzip2-compressed", "bzcat '" + spaced + "' |"},
		{"zip on stdin", Input{Name: "<stdin>", Reader: strings.NewReader("PK\x03\x04....")}, "zip-compressed", "unzip -p FILE |"},
		{"directory", pathInput(sub), "is a directory", "or the trace files in it, e.g. " + sub + "/*.json"},
		{"missing", pathInput(filepath.Join(dir, "nope.json")), "no such file", "use - to read standard input"},
		{"binary bytes", pathInput(binary), "binary.json:1:", "looks binary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readAll(t, []Input{tc.in}, Options{}, false)
			var ie *Error
			if !errors.As(r.err, &ie) {
				t.Fatalf("Read = %#v, want an *Error", r.err)
			}
			if !strings.Contains(ie.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", ie.Error(), tc.wantErr)
			}
			if !strings.Contains(ie.Hint(), tc.wantHint) {
				t.Errorf("hint %q does not contain %q", ie.Hint(), tc.wantHint)
			}
			if len(r.traces) != 0 {
				t.Errorf("%d traces handed on", len(r.traces))
			}
		})
	}
}

func TestInputsArguments(t *testing.T) {
	stdin := strings.NewReader("")
	tests := []struct {
		name    string
		args    []string
		want    []string // names
		wantErr error
	}{
		{"no argument reads stdin", nil, []string{"<stdin>"}, nil},
		{"files and stdin", []string{"a.json", "-", "b.json"}, []string{"a.json", "<stdin>", "b.json"}, nil},
		{"stdin twice", []string{"-", "a.json", "-"}, nil, ErrStdinTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ins, err := Inputs(tc.args, stdin)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Inputs = %v, want %v", err, tc.wantErr)
			}
			var names []string
			for _, in := range ins {
				names = append(names, in.Name)
				if (in.Name == "<stdin>") != (in.Reader != nil && in.Path == "") {
					t.Errorf("input %+v: stdin iff it has a reader and no path", in)
				}
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}
