package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tracectl/internal/spanjson/spanjsontest"
)

// The read commands and convert print the same bytes, warnings and exit
// code whether the inputs' documents are decoded on one worker or on
// several (ingest's Options.Workers): a worker count only changes speed.
func TestWorkersPrintWhatOneWorkerPrints(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var many bytes.Buffer
	writeManyTraces(t, &many, 40, 12)
	lines := strings.SplitAfter(many.String(), "\n")
	var big bytes.Buffer // over 1 MiB: decoded while it is read, between documents decoded apart
	if err := spanjsontest.WriteV3Trace(&big, 3000, 99); err != nil {
		t.Fatal(err)
	}
	packed, err := compressFor("gzip", []byte(strings.Join(lines[5:15], "")))
	if err != nil {
		t.Fatal(err)
	}
	fixture := func(name string) string { return filepath.Join(repoAbs, "testdata", name) }
	inputs := map[string][]string{
		"many":           {write("many.jsonl", many.Bytes())},
		"many and big":   {write("mixed.jsonl", []byte(strings.Join(lines[:20], "")+strings.TrimSpace(big.String())+"\n"+strings.Join(lines[20:], "")))},
		"the same twice": {write("a.jsonl", many.Bytes()), write("b.jsonl", many.Bytes())},
		"bad JSON in line 9 of one input": {
			write("ok.jsonl", []byte(strings.Join(lines[:5], ""))),
			write("bad.jsonl", []byte(strings.Join(lines[:8], "")+strings.Replace(lines[8], `"name"`, `"name" "`, 1)+strings.Join(lines[9:], ""))),
			write("after.jsonl", []byte(strings.Join(lines[30:], ""))),
		},
		"truncated": {write("cut.jsonl", many.Bytes()[:many.Len()/2])},
		// Small files decoded ahead go to the workers in batches (by
		// count and by bytes): 120 files make several.
		"120 small files": func() (files []string) {
			for k := range 120 {
				files = append(files, write(fmt.Sprintf("f%03d.json", k), []byte(lines[k%40])))
			}
			return files
		}(),
		// Small files are read whole when decoded ahead: a compressed one
		// is decompressed from what was read, an empty one fails.
		"gzip and empty among small files": {
			write("p1.jsonl", []byte(strings.Join(lines[:5], ""))),
			write("p2.jsonl.gz", packed),
			write("p3.json", nil),
			write("p4.jsonl", []byte(strings.Join(lines[15:20], ""))),
		},
		"fixtures": {
			fixture("spanjson/several_traces.jsonl"), fixture("spanjson/concatenated.json"),
			fixture("otlp/two_traces.json"), fixture("spanjson/console_trace.json"),
			fixture("spanjson/jaeger_trace.json"), fixture("spanjson/zipkin_spans.json"),
			fixture("spanjson/langsmith_runs.jsonl"), fixture("spanjson/bad_line.jsonl"),
			fixture("spanjson/array_of_traces.json"),
		},
	}
	commands := [][]string{
		{"show"}, {"show", "-o", "json"}, {"status"}, {"status", "-o", "json"},
		{"roots"}, {"roots", "-o", "jsonl"}, {"spans", "--status", "error"},
		{"convert", "--schema", "v2"}, {"convert", "--schema", "otlp"}, {"convert", "--schema", "v3"},
	}
	old := decodeWorkers
	defer func() { decodeWorkers = old }()
	run := func(workers int, args []string) (string, string, int) {
		decodeWorkers = workers
		return runMain(t, "", args...)
	}
	for name, files := range inputs {
		for _, cmd := range commands {
			args := append(append([]string{}, cmd...), files...)
			wantOut, wantErr, wantCode := run(1, args)
			if wantOut == "" && wantCode == 0 {
				t.Fatalf("%s: %v printed nothing", name, cmd)
			}
			for _, workers := range []int{2, 5} {
				gotOut, gotErr, gotCode := run(workers, args)
				if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
					t.Errorf("%s: tracectl %s: %d workers differ from one:\nexit %d, one worker %d\nstderr:\n%s\none worker's:\n%s\nstdout equal: %v",
						name, strings.Join(cmd, " "), workers, gotCode, wantCode, gotErr, wantErr, gotOut == wantOut)
				}
			}
		}
	}
}

// A syntax error part-way still names its input, line and column, and the
// inputs after it are read, with one worker per core as with one.
func TestWorkersKeepTheSpotOfABadLine(t *testing.T) {
	dir := t.TempDir()
	var many bytes.Buffer
	writeManyTraces(t, &many, 12, 5)
	lines := strings.SplitAfter(many.String(), "\n")
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(strings.Join(lines[:6], "")+`{"info": {"trace_id": ]}`+"\n"+strings.Join(lines[7:], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.jsonl")
	if err := os.WriteFile(good, []byte(lines[11]), 0o644); err != nil {
		t.Fatal(err)
	}
	old := decodeWorkers
	defer func() { decodeWorkers = old }()
	decodeWorkers = 4
	out, stderr, code := runMain(t, "", "roots", bad, good)
	if code != 1 || !strings.Contains(stderr, "bad.jsonl:7:23") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and bad.jsonl:7:23", code, stderr)
	}
	if n := strings.Count(out, "\n"); n != 1+6+1 { // a header, the 6 traces before the bad line, good.jsonl's
		t.Fatalf("%d lines, want 8:\n%s", n, out)
	}
}
