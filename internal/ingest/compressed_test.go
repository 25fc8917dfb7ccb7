package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"tracectl/internal/spanjson"
)

// sharedSamples holds the real trace files beside the checkout; the tests
// over them skip when it is absent.
const sharedSamples = "../../../shared/samples"

func zstded(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(text))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compressedTexts are the texts the differential test reads plain and
// compressed: the fixtures, a generated mix, a big trace (many
// decompressor reads per document) and the real samples when present.
func compressedTexts(t *testing.T) map[string]string {
	texts := map[string]string{}
	for _, f := range goodFixtures {
		texts[filepath.Base(f)] = readFixture(t, f)
	}
	texts["mix"] = strings.Join(genMix(t, 7), "")
	texts["big"] = v3Trace(t, 3000, 3)
	samples, _ := filepath.Glob(filepath.Join(sharedSamples, "*.json*"))
	for _, s := range samples {
		if strings.Contains(s, "prompt.json") {
			continue // not a trace
		}
		texts[filepath.Base(s)] = readFixture(t, s)
	}
	return texts
}

// TestCompressedReadsAsPlain: a gzip or zstd file, and the same bytes on a
// stream (stdin), make exactly the traces and warnings of the plain text.
func TestCompressedReadsAsPlain(t *testing.T) {
	dir := t.TempDir()
	for name, text := range compressedTexts(t) {
		plainPath := writeFile(t, dir, name, text)
		plain := readAll(t, []Input{pathInput(plainPath)}, Options{Idle: -1}, false)
		if plain.err != nil {
			t.Fatalf("%s: plain read: %v", name, plain.err)
		}
		for _, c := range []struct {
			ext  string
			data []byte
		}{{".gz", gzipped(t, text)}, {".zst", zstded(t, text)}} {
			path := filepath.Join(dir, name+c.ext)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, in := range []Input{
				{Name: plainPath, Path: path}, // the plain file's name: warnings compare equal
				{Name: plainPath, Reader: onlyReader{strings.NewReader(string(c.data))}},
			} {
				got := readAll(t, []Input{in}, Options{Idle: -1}, false)
				if got.err != nil {
					t.Fatalf("%s%s (stream %v): %v", name, c.ext, in.IsStream(), got.err)
				}
				if diff := cmp.Diff(canonical(plain.traces), canonical(got.traces)); diff != "" {
					t.Errorf("%s%s (stream %v): traces differ from the plain read (-plain +compressed):\n%s", name, c.ext, in.IsStream(), diff)
				}
				if diff := cmp.Diff(warningTexts(plain.warnings), warningTexts(got.warnings)); diff != "" {
					t.Errorf("%s%s (stream %v): warnings differ (-plain +compressed):\n%s", name, c.ext, in.IsStream(), diff)
				}
			}
		}
	}
}

func warningTexts(ws []spanjson.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// TestCompressionByContent: the first bytes decide, not the name.
func TestCompressionByContent(t *testing.T) {
	dir := t.TempDir()
	text := mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15})
	plainNamedGz := writeFile(t, dir, "plain.json.gz", text)
	gzNamedJSON := filepath.Join(dir, "packed.json")
	if err := os.WriteFile(gzNamedJSON, gzipped(t, text), 0o644); err != nil {
		t.Fatal(err)
	}
	zstNoExt := filepath.Join(dir, "packed")
	if err := os.WriteFile(zstNoExt, zstded(t, text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := readAll(t, []Input{pathInput(plainNamedGz), pathInput(gzNamedJSON), pathInput(zstNoExt)}, Options{}, true)
	if r.err != nil || len(r.errs) != 0 {
		t.Fatalf("Read = %v, input errors %v", r.err, r.errs)
	}
	// The same trace three times: handed on once, the copies dropped.
	if diff := cmp.Diff([]string{mlflowID(1)}, ids(r.traces)); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
	// Concatenated gzip members (gzip a >x; gzip b >>x) read as one text.
	second := mlflowLine(2, "b", "OK", tspan{trace: 2, id: 2, name: "b", start: 1e15, end: 2e15})
	members := append(gzipped(t, text), gzipped(t, second)...)
	r = readAll(t, []Input{{Name: "<stdin>", Reader: bytes.NewReader(members)}}, Options{}, false)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if diff := cmp.Diff([]string{mlflowID(1), mlflowID(2)}, ids(r.traces)); diff != "" {
		t.Errorf("two gzip members: traces (-want +got):\n%s", diff)
	}
}

// TestCompressedDataErrors: truncated or corrupt compressed data is an
// *Error naming the input and the compression, with a hint; the traces
// read before the bad spot are handed on and the next input is read.
func TestCompressedDataErrors(t *testing.T) {
	dir := t.TempDir()
	first := mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15})
	text := first + v3Trace(t, 2000, 5)
	gz, zs := gzipped(t, text), zstded(t, text)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xff // in the CRC-32 of the trailer
	next := writeFile(t, dir, "next.json", mlflowLine(9, "z", "OK", tspan{trace: 9, id: 9, name: "z", start: 1e15, end: 2e15}))
	tests := []struct {
		name      string
		data      []byte
		wantMsg   string
		wantFirst bool // trace 1, before the bad spot, was handed on
	}{
		{"gzip cut in the middle", gz[:len(gz)/2], "bad gzip data after ", true},
		{"gzip without its trailer", gz[:len(gz)-4], "the data ends early", true},
		{"gzip bad checksum", badCRC, "bad gzip data", true},
		{"gzip header only", gz[:5], "bad gzip data after 0 bytes", false},
		{"zstd cut in the middle", zs[:len(zs)/2], "bad zstd data after ", true},
		{"zstd cut at the end", zs[:len(zs)-1], "bad zstd data after ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad traces.json")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := readAll(t, []Input{pathInput(path), pathInput(next)}, Options{}, true)
			var failed *FailedInputs
			if !errors.As(r.err, &failed) || len(r.errs) != 1 {
				t.Fatalf("Read = %v, input errors %v; want one failed input", r.err, r.errs)
			}
			var ie *Error
			var ce *CompressedError
			if !errors.As(r.errs[0], &ie) || !errors.As(r.errs[0], &ce) {
				t.Fatalf("error %#v is not an *Error wrapping a *CompressedError", r.errs[0])
			}
			msg := r.errs[0].Error()
			if !strings.HasPrefix(msg, path+": ") || strings.Count(msg, path) != 1 {
				t.Errorf("error %q does not name %s once, first", msg, path)
			}
			if !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error %q lacks %q", msg, tc.wantMsg)
			}
			if want := "-t '" + path + "'"; !strings.Contains(ie.Hint(), want) {
				t.Errorf("hint %q lacks %q", ie.Hint(), want)
			}
			got := ids(r.traces)
			if got[len(got)-1] != mlflowID(9) {
				t.Errorf("the next input was not read: %v", got)
			}
			if tc.wantFirst != (got[0] == mlflowID(1)) {
				t.Errorf("traces %v: trace 1 handed on = %v, want %v", got, !tc.wantFirst, tc.wantFirst)
			}
		})
	}
}

// TestOtherCompressionsHinted: bzip2 and zip are named, with the command
// that unpacks them.
func TestOtherCompressionsHinted(t *testing.T) {
	for _, tc := range []struct{ data, want, hint string }{
		{"BZh91AY&SY....", "bzip2-compressed", "bzcat FILE |"},
		{"PK\x03\x04.......", "zip-compressed", "unzip -p FILE |"},
	} {
		r := readAll(t, []Input{{Name: "<stdin>", Reader: strings.NewReader(tc.data)}}, Options{}, false)
		var ie *Error
		if !errors.As(r.err, &ie) || !strings.Contains(ie.Error(), tc.want) || !strings.Contains(ie.Hint(), tc.hint) {
			t.Errorf("%q: Read = %v (hint %q), want %q and hint %q", tc.data, r.err, ie.Hint(), tc.want, tc.hint)
		}
	}
}

// TestSyntaxErrorPositionsAreDecompressed: line and column of bad JSON in
// a compressed file count in its decompressed text.
func TestSyntaxErrorPositionsAreDecompressed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.json.zst")
	text := mlflowLine(1, "a", "OK", tspan{trace: 1, id: 1, name: "a", start: 1e15, end: 2e15}) + `{"resourceSpans": [}` + "\n"
	if err := os.WriteFile(path, zstded(t, text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := readAll(t, []Input{pathInput(path)}, Options{}, false)
	var se *spanjson.SyntaxError
	if !errors.As(r.err, &se) || se.Line != 2 || se.Col != 20 {
		t.Fatalf("Read = %v, want a syntax error at %s:2:20", r.err, path)
	}
}

// TestCounterCountsFileBytes: Input.Counter ends at the size of the file
// as stored (compressed), the total a progress bar shows.
func TestCounterCountsFileBytes(t *testing.T) {
	dir := t.TempDir()
	text := v3Trace(t, 500, 9)
	path := filepath.Join(dir, "t.json.gz")
	data := gzipped(t, text)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	in := pathInput(path)
	in.Counter = &n
	if r := readAll(t, []Input{in}, Options{}, false); r.err != nil || len(r.traces) != 1 {
		t.Fatalf("Read = %v, %d traces", r.err, len(r.traces))
	}
	size, ok := in.Size()
	if !ok || n.Load() != size || size != int64(len(data)) {
		t.Errorf("counted %d bytes, size %d (%v), file %d", n.Load(), size, ok, len(data))
	}
}

// FuzzCompressedEqualsPlain: text read gzip- or zstd-compressed makes the
// same traces as read plain, and fails when, and only when, the plain read
// fails; raw bytes that start like compressed data (cut, corrupt) never
// panic, and their errors name the input.
func FuzzCompressedEqualsPlain(f *testing.F) {
	for _, path := range goodFixtures[:4] {
		text := readFixture(f, path)
		f.Add([]byte(text), gzipped(f, text))
		z := zstded(f, text)
		f.Add([]byte(text), z[:len(z)-3])
	}
	mix := strings.Join(genMix(f, 1), "")
	f.Add([]byte(mix), gzipped(f, mix)[:40])
	f.Fuzz(func(t *testing.T, text, raw []byte) {
		if len(text) > 1<<16 || len(raw) > 1<<16 {
			t.Skip()
		}
		plain := readAll(t, []Input{fileInput("t.json", string(text))}, Options{}, false)
		for _, data := range [][]byte{gzipped(t, string(text)), zstded(t, string(text))} {
			got := readAll(t, []Input{fileInput("t.json", string(data))}, Options{}, false)
			if (plain.err == nil) != (got.err == nil) {
				t.Fatalf("plain read: %v; compressed read: %v", plain.err, got.err)
			}
			if plain.err == nil {
				if diff := cmp.Diff(canonical(plain.traces), canonical(got.traces)); diff != "" {
					t.Fatalf("traces differ (-plain +compressed):\n%s", diff)
				}
			}
		}
		r := readAll(t, []Input{fileInput("raw.json", string(raw))}, Options{}, false)
		var ce *CompressedError
		if errors.As(r.err, &ce) && !strings.HasPrefix(r.err.Error(), "raw.json: ") {
			t.Fatalf("error %q does not name the input first", r.err)
		}
	})
}

// The text of a plain regular file says how much of it is left (Len, which
// the decoder sizes its buffer by); a compressed file's text cannot.
func TestSniffTellsWhatIsLeftOfAPlainFile(t *testing.T) {
	text := []byte(`{"resourceSpans": []}` + "\n")
	type lener interface{ Len() int }
	r, err := sniff(bytes.NewReader(text), "plain.json", int64(len(text)))
	if err != nil {
		t.Fatal(err)
	}
	l, ok := r.(lener)
	if !ok || l.Len() != len(text) {
		t.Fatalf("plain text: Len %v (ok %v), want %d", l, ok, len(text))
	}
	if _, err := io.ReadFull(r, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if l.Len() != len(text)-5 {
		t.Errorf("after 5 bytes read: Len %d, want %d", l.Len(), len(text)-5)
	}
	gz := gzipped(t, string(text))
	r, err = sniff(bytes.NewReader(gz), "x.json.gz", int64(len(gz)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(lener); ok {
		t.Errorf("a gzip file's text says its length: the file's size is not the text's")
	}
	if r, _ := sniff(bytes.NewReader(text), "-", 0); r != nil {
		if _, ok := r.(lener); ok {
			t.Errorf("an input of unknown size says its length")
		}
	}
}
