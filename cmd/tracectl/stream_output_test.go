package main

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"tracectl/internal/render"
)

// lineFeeder hands out its lines, at most one per Read, and counts the
// lines begun.
type lineFeeder struct {
	mu    sync.Mutex
	lines [][]byte
	begun int
	rest  []byte
}

func (f *lineFeeder) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rest) == 0 {
		if f.begun == len(f.lines) {
			return 0, io.EOF
		}
		f.rest = f.lines[f.begun]
		f.begun++
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}

func (f *lineFeeder) linesBegun() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.begun
}

// writeLog records each write with how many input lines had been begun.
type writeLog struct {
	in     *lineFeeder
	writes []loggedWrite
}

type loggedWrite struct {
	linesBegun int
	text       string
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.writes = append(w.writes, loggedWrite{w.in.linesBegun(), string(p)})
	return len(p), nil
}

// firstWriteWith returns the number of input lines begun when s was first
// written, -1 if it never was.
func (w *writeLog) firstWriteWith(s string) int {
	var all strings.Builder
	for _, wr := range w.writes {
		all.WriteString(wr.text)
		if strings.Contains(all.String(), s) {
			return wr.linesBegun
		}
	}
	return -1
}

var mlflowTraceID = regexp.MustCompile(`"trace_id":"(tr-[0-9a-f]{32})"`)

// TestEachTraceIsWrittenBeforeTheInputEnds runs the commands that stream
// over JSON Lines handed out a line at a time: the first trace's output
// must reach stdout while the input has lines left.
func TestEachTraceIsWrittenBeforeTheInputEnds(t *testing.T) {
	var data bytes.Buffer
	writeManyTraces(t, &data, 4, 3)
	lines := bytes.SplitAfter(bytes.TrimSpace(data.Bytes()), []byte("\n"))
	first := string(mlflowTraceID.FindSubmatch(lines[0])[1])
	for _, args := range [][]string{
		{"show"},
		{"show", "-o", "json"},
		{"show", "-o", "jsonl"},
		{"preview"},
		{"preview", "-o", "json"},
		{"preview", "-o", "jsonl"},
		{"roots", "-o", "json"},
		{"roots", "-o", "jsonl"},
		{"status", "-o", "json"},
		{"status", "-o", "jsonl"},
		{"spans", "--sort", "none", "-o", "json"},
		{"spans", "--sort", "none", "-o", "jsonl"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			in := &lineFeeder{lines: lines}
			out := &writeLog{in: in}
			streams, _, _, errOut := render.Test()
			streams.In, streams.Out = in, out
			if code := Main(args, streams); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			switch at := out.firstWriteWith(first); {
			case at < 0:
				t.Fatalf("the first trace %s is not in the output", first)
			case at == len(lines):
				t.Errorf("the first trace was written after the whole input was read")
			}
		})
	}
}

// TestStreamedJSONArrayIsTheJSONLinesInOneArray compares the two JSON
// outputs, both written trace by trace: -o json must be exactly the -o
// jsonl values written as one array, over every schema in one run.
func TestStreamedJSONArrayIsTheJSONLinesInOneArray(t *testing.T) {
	t.Chdir(repoAbs)
	files := goldenTraceSamples(t)
	for _, cmd := range [][]string{{"show", "--attributes", "--events"}, {"roots"}, {"status"}, {"preview"}, {"spans", "--sort", "none"}, {"spans"}} {
		t.Run(cmd[0]+strings.Join(cmd[1:], ""), func(t *testing.T) {
			args := append(append([]string(nil), cmd...), files...)
			lines, errOut, code := runMain(t, "", append(args, "-o", "jsonl")...)
			if code != 0 {
				t.Fatalf("-o jsonl: exit %d: %s", code, errOut)
			}
			array, errOut, code := runMain(t, "", append(args, "-o", "json")...)
			if code != 0 {
				t.Fatalf("-o json: exit %d: %s", code, errOut)
			}
			var values []json.RawMessage
			for _, l := range strings.Split(strings.TrimSuffix(lines, "\n"), "\n") {
				values = append(values, json.RawMessage(l))
			}
			streams, _, want, _ := render.Test()
			if err := writeJSON(streams, outputJSON, values); err != nil {
				t.Fatal(err)
			}
			if array != want.String() {
				t.Errorf("-o json is not the -o jsonl values in one array:\n got %.300q\nwant %.300q", array, want.String())
			}
		})
	}
}

// writeJSON writes one value per trace (or span) as a JSON array or JSON
// Lines.
func writeJSON[T any](streams *render.IOStreams, output string, items []T) error {
	return writeJSONEach(streams, output, len(items), func(k int) any { return items[k] })
}
