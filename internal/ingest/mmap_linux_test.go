package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"compress/gzip"
	"github.com/google/go-cmp/cmp"
)

// TestMappedFileAgrees: a trace file big enough to be mapped (mapFile)
// and given back behind the reads (14 MB, more than the decoder keeps)
// makes the traces, warnings and attributes that the same bytes read as a
// file make, with attribute maps kept as text (a view of pages given
// back, read again from the file when the test reads them; decoding them
// at once is compared in spanjson's tests). The progress counter counts
// every byte; a gzip file of that size is read, not mapped.
func TestMappedFileAgrees(t *testing.T) {
	var text strings.Builder
	for _, doc := range genMix(t, 7) {
		text.WriteString(doc)
	}
	for seed := int64(1); text.Len() < 14<<20; seed++ {
		text.WriteString(strings.ReplaceAll(strings.TrimSpace(v3Trace(t, 30, seed)), "\n", "") + "\n")
	}
	path := filepath.Join(t.TempDir(), "big.jsonl")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{LazyAttributes: true}
	want := readAll(t, []Input{fileInput("big.jsonl", text.String())}, opts, false)
	ins, err := Inputs([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var counted atomic.Int64
	ins[0].Counter = &counted
	got := readAll(t, ins, opts, false)
	if got.err != nil || want.err != nil {
		t.Fatalf("mapped: %v, read: %v", got.err, want.err)
	}
	if diff := cmp.Diff(attributeDump(want.traces), attributeDump(got.traces)); diff != "" {
		t.Fatalf("mapped file vs read (-read +mapped):\n%s", diff)
	}
	if len(got.warnings) != len(want.warnings) {
		t.Errorf("%d warnings mapped, %d read", len(got.warnings), len(want.warnings))
	}
	if counted.Load() != int64(text.Len()) {
		t.Errorf("progress counted %d bytes of %d", counted.Load(), text.Len())
	}
	if !mappedNow(t, path) {
		t.Fatalf("%s was not mapped", path)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text.String()))
	zw.Close()
	for gz.Len() < mapMin { // big enough to be mapped, were it not compressed
		gz.Write(make([]byte, 1<<20)) // trailing garbage after the stream: read or refused, never mapped
	}
	gzPath := filepath.Join(t.TempDir(), "big.jsonl.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ins, err = Inputs([]string{gzPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, ins, Options{}, true)
	if mappedNow(t, gzPath) {
		t.Fatalf("the compressed %s is still mapped", gzPath)
	}
}

// attributeDump is each trace rendered with every attribute of its spans.
func attributeDump(ts []*Trace) []string {
	var out []string
	for _, tr := range ts {
		out = append(out, render(tr))
		for _, s := range tr.Spans {
			for a := range s.Attributes().All() {
				out = append(out, fmt.Sprintf("  %s %s=%s", s.SpanID(), a.Key, a.Value))
			}
		}
	}
	return out
}

// mappedNow reports whether path is mapped into this process.
func mappedNow(t *testing.T, path string) bool {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("no /proc/self/maps: %v", err)
	}
	return bytes.Contains(maps, []byte(" "+path+"\n"))
}
