package spanjson

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson/spanjsontest"
)

// The same bytes must decode to the same documents however they arrive: all
// at once, or through reads of any size into a buffer that the decoder
// refills (and may move or reuse) while earlier documents are still held.
// A document decoder may keep views into the bytes it was given (the OTLP
// reader does); these tests would show such a view being overwritten.

// decodeWhole decodes input from one buffer that holds all of it: no
// refill, nothing moved or reused.
func decodeWhole(data []byte, name string) ([]*Document, error) {
	d := NewDecoder(bytes.NewReader(nil), name)
	d.buf, d.n, d.eof = bytes.Clone(data), len(data), true
	return d.all()
}

// decodeChunked decodes input read chunk bytes at a time by a decoder whose
// buffer starts at minBuf bytes (the real one starts at readChunk).
func decodeChunked(data []byte, name string, chunk, minBuf int) ([]*Document, error) {
	d := NewDecoder(&chunkReader{data: data, chunk: chunk}, name)
	d.minBuf = minBuf
	return d.all()
}

// chunkReader returns at most chunk bytes a read.
type chunkReader struct {
	data  []byte
	chunk int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// checkStreamedEqual decodes data whole and through every read size and
// buffer size, and fails on any difference in documents, warnings or error.
func checkStreamedEqual(t testing.TB, data []byte, name string) {
	t.Helper()
	want, wantErr := decodeWhole(data, name)
	for _, c := range []struct{ chunk, minBuf int }{
		{1, readChunk}, {4 << 10, readChunk}, {64 << 10, readChunk},
		{7, 16}, {100, 64}, {4 << 10, 4 << 10},
	} {
		got, gotErr := decodeChunked(data, name, c.chunk, c.minBuf)
		if diff := docsDiff(t, want, got); diff != "" {
			t.Fatalf("%s: reads of %d bytes into a buffer of %d differ from the whole input (-whole +streamed):\n%s", name, c.chunk, c.minBuf, diff)
		}
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
			t.Fatalf("%s: reads of %d bytes into a buffer of %d: error %v, whole input: %v", name, c.chunk, c.minBuf, gotErr, wantErr)
		}
	}
}

// docsDiff compares two decodings of the same input. The model is compared
// through what it writes (every field travels in a same-schema write, unknown
// members included) plus the document's own fields, which is much faster than
// cmp over thousands of spans; the first differing document is shown with
// cmp.Diff.
func docsDiff(t testing.TB, want, got []*Document) string {
	t.Helper()
	digest := func(d *Document) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s|%s|%d|%q\n", d.Schema, d.Shape, d.Line, d.Warnings)
		for i := range d.Traces {
			tr := &d.Traces[i]
			fmt.Fprintf(&b, "%+v\n", tr.Info)
			for _, schema := range []Schema{d.Schema, SchemaMLflowV3, SchemaOTLP} {
				out, losses, err := AppendTrace(nil, schema, tr)
				fmt.Fprintf(&b, "%s %v %v\n", out, losses, err)
			}
		}
		return b.String()
	}
	if len(want) != len(got) {
		return fmt.Sprintf("%d documents, want %d", len(got), len(want))
	}
	for i := range want {
		if digest(want[i]) != digest(got[i]) {
			return fmt.Sprintf("document %d:\n%s", i, cmp.Diff(want[i], got[i], modelOpts...))
		}
	}
	return ""
}

// streamMixes builds inputs of every reader in the shapes users have: one
// trace, many traces (JSON Lines and concatenated), and traces whose spans
// are spread over several documents. Each is well over the 64 KiB read
// buffer.
func streamMixes(t testing.TB) map[string][]byte {
	t.Helper()
	var gen []Trace
	for seed := range 12 {
		var b bytes.Buffer
		if err := spanjsontest.WriteV3Trace(&b, 40, int64(seed)); err != nil {
			t.Fatal(err)
		}
		docs, err := DecodeAll(&b, "gen")
		if err != nil {
			t.Fatal(err)
		}
		gen = append(gen, docs[0].Traces...)
	}
	write := func(schema Schema, traces []Trace, sep string) []byte {
		var out []byte
		for i := range traces {
			var err error
			if out, _, err = AppendTrace(out, schema, &traces[i]); err != nil {
				t.Fatal(err)
			}
			out = append(out, sep...)
		}
		return out
	}
	// split cuts every trace into documents of 7 spans, interleaving the
	// parts of neighbouring traces (A1 B1 A2 B2 …).
	split := func(traces []Trace) []Trace {
		var parts []Trace
		for i := 0; i+1 < len(traces); i += 2 {
			a, b := traces[i].Spans, traces[i+1].Spans
			for k := 0; k < max(len(a), len(b)); k += 7 {
				if k < len(a) {
					parts = append(parts, Trace{Info: traces[i].Info, Spans: a[k:min(k+7, len(a))]})
				}
				if k < len(b) {
					parts = append(parts, Trace{Info: traces[i+1].Info, Spans: b[k:min(k+7, len(b))]})
				}
			}
		}
		return parts
	}
	mixes := map[string][]byte{
		"v3 one trace":                   write(SchemaMLflowV3, gen[:1], "\n"),
		"v3 jsonl":                       write(SchemaMLflowV3, gen, "\n"),
		"v2 jsonl":                       write(SchemaMLflowV2, gen, "\n"),
		"otlp one trace":                 write(SchemaOTLP, gen[:1], "\n"),
		"otlp jsonl":                     write(SchemaOTLP, gen, "\n"),
		"otlp spread over documents":     write(SchemaOTLP, split(gen), "\n"),
		"v3 spread over documents":       write(SchemaMLflowV3, split(gen), "\n"),
		"mixed schemas concatenated":     append(append(write(SchemaOTLP, gen[:4], " "), write(SchemaMLflowV2, gen[4:8], "\n\n")...), write(SchemaMLflowV3, gen[8:], "")...),
		"v3 array of traces":             append(append([]byte("["), bytes.ReplaceAll(bytes.TrimSuffix(write(SchemaMLflowV3, gen[:6], "\n"), []byte("\n")), []byte("\n"), []byte(","))...), ']'),
		"otlp jsonl ending in bad input": append(write(SchemaOTLP, gen[:5], "\n"), `{"resourceSpans": [}`...),
	}
	// The fixtures and the samples beside the checkout, each several
	// times, one after another.
	var all []byte
	var files []string
	for _, pat := range []string{fixturesDir + "/*.json*", "../../testdata/otlp/*.json"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	files = append(files, presentSamples(t, coreSamples...)...)
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "bad_") || base == "truncated.json" || base == "empty.json" || base == "unknown_shape.json" || strings.Contains(base, "prompt") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mixes["file "+base] = b
		all = append(append(all, b...), '\n')
	}
	mixes["every file, three times"] = bytes.Repeat(all, 3)
	return mixes
}

func TestStreamedEqualsWhole(t *testing.T) {
	for name, data := range streamMixes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkStreamedEqual(t, data, name)
		})
	}
}

// FuzzStreamedEqualsWhole checks the equality on any input, with small
// buffers so that refills and buffer reuse happen within a fuzz input.
func FuzzStreamedEqualsWhole(f *testing.F) {
	for _, pat := range []string{fixturesDir + "/*.json*", "../../testdata/otlp/*.json"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, uint16(3), uint16(16))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk, minBuf uint16) {
		want, wantErr := decodeWhole(data, "fuzz")
		got, gotErr := decodeChunked(data, "fuzz", int(chunk%4096)+1, int(minBuf%4096)+1)
		if diff := docsDiff(t, want, got); diff != "" {
			t.Fatalf("reads of %d bytes into a buffer of %d differ from the whole input (-whole +streamed):\n%s", chunk%4096+1, minBuf%4096+1, diff)
		}
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
			t.Fatalf("error %v, whole input: %v", gotErr, wantErr)
		}
	})
}
