//go:build unix

package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileFacts: the inputs Inputs makes say their size from one stat
// (fileFacts) and how they are stored, as an Input made by hand does; a
// named pipe is not a regular file and is never opened for it (an open
// waits for a writer).
func TestFileFacts(t *testing.T) {
	dir := t.TempDir()
	plain := mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15})
	writeFile(t, dir, "1.json", plain)
	packed := gzipped(t, mlflowLine(2, "b", "OK", tspan{trace: 2, id: 2, name: "b", start: 1e15, end: 2e15}))
	if err := os.WriteFile(filepath.Join(dir, "2.json.gz"), packed, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ins, err := Inputs([]string{filepath.Join(dir, "1.json"), filepath.Join(dir, "2.json.gz"), fifo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k, want := range []struct {
			size    int64
			regular bool
			stored  Compression
		}{{int64(len(plain)), true, Uncompressed}, {int64(len(packed)), true, Gzip}, {0, false, Uncompressed}} {
			in := ins[k]
			if in.file == nil {
				t.Errorf("%s: no facts", in.Name)
				continue
			}
			byHand := Input{Name: in.Name, Path: in.Path}
			for _, x := range []Input{in, byHand} {
				size, regular := x.Size()
				if size != want.size || regular != want.regular || x.StoredCompression() != want.stored {
					t.Errorf("%s (facts %v): size %d regular %v stored %v, want %d %v %v", x.Name, x.file != nil,
						size, regular, x.StoredCompression(), want.size, want.regular, want.stored)
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("looking at a named pipe waited: it was opened")
	}
	// Read: the gzip file is decompressed, the plain one read as it is.
	r := readAll(t, ins[:2], Options{}, false)
	if r.err != nil || len(r.traces) != 2 {
		t.Fatalf("read %d traces, error %v; want 2", len(r.traces), r.err)
	}
}

// TestReadWhole: a file is read to its end whatever size it was said to
// have (one that grew since its stat is not cut), and a file that cannot
// be read is left to Open, which says why.
func TestReadWhole(t *testing.T) {
	dir := t.TempDir()
	data := []byte(strings.Repeat(`{"a":1}`+"\n", 5000))
	path := filepath.Join(dir, "t.jsonl")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{int64(len(data)), int64(len(data)) - 1, 10, 1} {
		got, ok := readWhole(path, size)
		if !ok || !bytes.Equal(got, data) {
			t.Errorf("said size %d: read %d bytes (ok %v), want all %d", size, len(got), ok, len(data))
		}
	}
	if _, ok := readWhole(filepath.Join(dir, "missing.json"), 10); ok {
		t.Errorf("a missing file was read")
	}
	in := Input{Name: "missing.json", Path: filepath.Join(dir, "missing.json"), file: &fileFacts{}}
	if _, ok := in.readWhole(); ok {
		t.Errorf("an input without a regular file was read")
	}
}
