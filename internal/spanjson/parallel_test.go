package spanjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"tracectl/internal/spanjson/spanjsontest"
)

// Decoding on several workers must give what one gives, byte for byte:
// the same documents in the same order, the same warnings, and the same
// error (message, spot and the clipped line shown under it) after the same
// documents.

// decodeWithWorkers decodes data read chunk bytes at a time on workers.
func decodeWithWorkers(data []byte, name string, chunk, minBuf, workers int) ([]*Document, error) {
	d := NewDecoder(&chunkReader{data: data, chunk: chunk}, name)
	d.minBuf = minBuf
	d.SetWorkers(workers)
	defer d.Close()
	return d.all()
}

// errorText is everything an error shows: its message and, for a syntax
// error, the line and caret column printed under it.
func errorText(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v | %q @%d", err, se.LineText, se.LineTextCol)
	}
	return fmt.Sprint(err)
}

func checkWorkersEqualOne(t testing.TB, data []byte, name string, chunk, minBuf int) {
	t.Helper()
	want, wantErr := decodeWithWorkers(data, name, chunk, minBuf, 1)
	same := func(how string, got []*Document, gotErr error) {
		t.Helper()
		if diff := docsDiff(t, want, got); diff != "" {
			t.Fatalf("%s: %s differs from one worker framing by documents (-one +%s):\n%s", name, how, how, diff)
		}
		if errorText(wantErr) != errorText(gotErr) {
			t.Fatalf("%s: %s: error %s, one worker framing by documents: %s", name, how, errorText(gotErr), errorText(wantErr))
		}
	}
	if len(data) <= wholeMax+1 {
		// A small file read whole (SetSmall) gives the same.
		d := NewDecoder(&chunkReader{data: data, chunk: chunk}, name)
		d.minBuf = minBuf
		d.SetSmall()
		got, gotErr := d.all()
		same("read whole (SetSmall)", got, gotErr)
	}
	for _, workers := range []int{2, 3, 8} {
		got, gotErr := decodeWithWorkers(data, name, chunk, minBuf, workers)
		same(fmt.Sprintf("%d workers", workers), got, gotErr)
	}
	// Attributes kept as text until read (SetLazyAttributes), or their
	// inputs and outputs escaped until read (SetLazyValues), give the
	// same; so does mapped input (NewDecoderMapped): values escaped on one
	// worker (views of the input), maps kept as text on two.
	for _, c := range []struct {
		workers int
		mode    attrMode
		mapped  bool
	}{{1, lazyText, false}, {2, lazyText, false}, {2, lazyValues, false}, {1, lazyValues, true}, {2, lazyText, true}} {
		how := fmt.Sprintf("%s on %d workers", c.mode, c.workers)
		if c.mapped {
			got, gotErr := decodeMapped(t, data, name, minBuf, c.workers, c.mode)
			same("mapped, "+how, got, gotErr)
			continue
		}
		got, gotErr := decodeLazily(data, name, chunk, minBuf, c.workers, c.mode)
		same(how, got, gotErr)
	}
}

// attrMode is how a test decoder keeps attributes until they are read.
type attrMode int

const (
	eagerAttrs attrMode = iota
	lazyText            // SetLazyAttributes
	lazyValues          // SetLazyValues
)

func (m attrMode) String() string {
	return [...]string{"eager attributes", "attribute maps as text", "escaped values"}[m]
}

func (m attrMode) setUp(d *Decoder) {
	switch m {
	case lazyText:
		d.SetLazyAttributes()
	case lazyValues:
		d.SetLazyValues()
	}
}

// decodeLazily is decodeWithWorkers with attributes kept as mode says.
func decodeLazily(data []byte, name string, chunk, minBuf, workers int, mode attrMode) ([]*Document, error) {
	d := NewDecoder(&chunkReader{data: data, chunk: chunk}, name)
	d.minBuf = minBuf
	d.SetWorkers(workers)
	mode.setUp(d)
	defer d.Close()
	return d.all()
}

// decodeMapped decodes data as a mapped input (a copy of it: the model
// may point into it). What the decoder gives back (Mapped.Release) must
// come in order, from the start, each part at least releaseMargin behind
// what it had read then, and it is counted in mapReleased.
func decodeMapped(t testing.TB, data []byte, name string, minBuf, workers int, mode attrMode) ([]*Document, error) {
	t.Helper()
	mem := bytes.Clone(data)
	took, released := 0, 0
	d := NewDecoderMapped(Mapped{
		Data: mem,
		Took: func(n int) error { took += n; return nil },
		Release: func(b []byte) {
			at := cap(mem) - cap(b) // where b begins in mem
			if at != released || at+len(b) > took-releaseMargin {
				t.Errorf("%s: released [%d, %d) after [0, %d) released and %d read", name, at, at+len(b), released, took)
			}
			released = at + len(b)
			mapReleased.Add(int64(len(b)))
		},
	}, name)
	d.minBuf = minBuf
	d.SetWorkers(workers)
	mode.setUp(d)
	defer d.Close()
	docs, err := d.all()
	if err == nil && took != len(data) {
		t.Errorf("%s: the reads of a mapped input took %d bytes of %d", name, took, len(data))
	}
	return docs, err
}

// mapReleased counts what mapped decoders gave back in tests.
var mapReleased atomic.Int64

// v3Lines is a JSON Lines dump of n generated MLflow 3 traces of spans
// spans each (seeds 1 to n), one compact line a trace.
func v3Lines(t testing.TB, n, spans int) *bytes.Buffer {
	var dump bytes.Buffer
	for seed := range n {
		var b bytes.Buffer
		if err := spanjsontest.WriteV3Trace(&b, spans, int64(seed+1)); err != nil {
			t.Fatal(err)
		}
		dump.Write(bytes.ReplaceAll(bytes.TrimSpace(b.Bytes()), []byte("\n"), nil))
		dump.WriteByte('\n')
	}
	return &dump
}

// workerMixes adds to streamMixes inputs that fail part-way or mix
// documents decoded apart (up to wholeMax) with big ones decoded as read.
func workerMixes(t testing.TB) map[string][]byte {
	mixes := streamMixes(t)
	small := v3Lines(t, 20, 30)
	var big bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&big, 3000, 7); err != nil {
		t.Fatal(err)
	}
	if big.Len() <= wholeMax {
		t.Fatalf("the big trace is %d bytes, not more than wholeMax", big.Len())
	}
	lines := strings.SplitAfter(small.String(), "\n")
	broken := func(at int, bad string) []byte {
		out := strings.Join(lines[:at], "") + bad + strings.Join(lines[at+1:], "")
		return []byte(out)
	}
	mixes["small and big"] = bytes.Join([][]byte{small.Bytes(), big.Bytes(), small.Bytes()}, []byte("\n"))
	mixes["bad JSON in line 7"] = broken(6, strings.Replace(lines[6], `"span_id"`, `"span_id" "`, 1))
	mixes["bad span list in line 4"] = broken(3, strings.Replace(lines[3], `},{`, `},,{`, 1))
	mixes["bad start in line 12"] = broken(11, "nope\n")
	mixes["bare value in line 2"] = broken(1, "42\n")
	mixes["unknown shape in line 9"] = broken(8, `{"hello": "world"}`+"\n")
	mixes["truncated last line"] = small.Bytes()[:small.Len()-100]
	mixes["bad JSON after a big trace"] = append(append(append([]byte{}, big.Bytes()...), '\n'), broken(2, `{"info": {]}`+"\n")...)
	return mixes
}

func TestWorkersEqualOne(t *testing.T) {
	for name, data := range workerMixes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct{ chunk, minBuf int }{{64 << 10, readChunk}, {4 << 10, 4 << 10}, {7, 16}} {
				checkWorkersEqualOne(t, data, name, c.chunk, c.minBuf)
			}
		})
	}
}

// The error of a document in the middle comes after the documents before
// it and ends the input, as with one worker.
func TestWorkersStopAtTheFirstError(t *testing.T) {
	data := workerMixes(t)["bad JSON in line 7"]
	docs, err := decodeWithWorkers(data, "bad.jsonl", 64<<10, readChunk, 4)
	var se *SyntaxError
	if !errors.As(err, &se) || se.File != "bad.jsonl" || se.Line != 7 {
		t.Fatalf("error %v, want a syntax error in bad.jsonl line 7", err)
	}
	if len(docs) != 6 {
		t.Fatalf("%d documents before the error, want 6", len(docs))
	}
}

// Close ends a decoder read part-way; Next then fails.
func TestWorkersClose(t *testing.T) {
	data := workerMixes(t)["small and big"]
	d := NewDecoder(bytes.NewReader(data), "many.jsonl")
	d.SetWorkers(2)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close()
	if _, err := d.Next(); err == nil || err == io.EOF {
		t.Fatalf("Next after Close: %v, want an error", err)
	}
}

// FuzzWorkersEqualOne checks the equality on any input, with small reads
// and buffers.
func FuzzWorkersEqualOne(f *testing.F) {
	for name, data := range workerMixes(f) {
		if len(data) < 64<<10 || strings.HasPrefix(name, "bad") {
			f.Add(data, uint16(3), uint16(16))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk, minBuf uint16) {
		checkWorkersEqualOne(t, data, "fuzz", int(chunk%4096)+1, int(minBuf%4096)+1)
	})
}

// TestWorkersFrameJSONLinesByBlocks: a JSON Lines dump is cut in blocks of
// lines after its first document; a pretty document among the lines ends
// the blocks and the rest is framed by documents; both give what one
// worker gives.
func TestWorkersFrameJSONLinesByBlocks(t *testing.T) {
	mixes := workerMixes(t)
	lines := mixes["v3 jsonl"]
	pretty, err := os.ReadFile(filepath.Join(fixturesDir, "mlflow3_error_trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bytes.TrimSpace(pretty), []byte("\n")) {
		t.Fatal("the fixture is not a pretty document")
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		chunks   []int // read sizes
		byBlocks bool
	}{
		{"lines", lines, []int{64 << 10, 100}, true},
		// Reads of 100 bytes cut a block inside the pretty document (a
		// bigger read may hold it whole: a block takes it then).
		{"lines, a pretty document, lines", bytes.Join([][]byte{lines, pretty, lines}, []byte("\n")), []int{100}, false},
		{"lines, a bad line", mixes["bad JSON in line 7"], []int{64 << 10, 100}, false},
	} {
		for _, chunk := range tc.chunks {
			checkWorkersEqualOne(t, tc.data, tc.name, chunk, 64)
			d := NewDecoder(&chunkReader{data: tc.data, chunk: chunk}, tc.name)
			d.SetWorkers(2)
			_, _ = d.all()
			d.Close()
			if d.blocks == 0 {
				t.Errorf("%s (reads of %d): no block cut", tc.name, chunk)
			}
			if d.noBlocks == tc.byBlocks {
				t.Errorf("%s (reads of %d): framed by blocks to the end: %v, want %v", tc.name, chunk, !d.noBlocks, tc.byBlocks)
			}
		}
	}
}

// Once it cuts blocks the framer reads into buffers of blockChunk: blocks
// of about that size, not of the first buffer's (a hand-off each).
func TestWorkersCutBlocksOfBlockChunk(t *testing.T) {
	var line bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&line, 30, 1); err != nil {
		t.Fatal(err)
	}
	one := append(bytes.ReplaceAll(bytes.TrimSpace(line.Bytes()), []byte("\n"), nil), '\n')
	data := bytes.Repeat(one, 4*blockChunk/len(one))
	d := NewDecoder(bytes.NewReader(data), "many.jsonl")
	d.SetWorkers(2)
	docs, err := d.all()
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != bytes.Count(data, []byte("\n")) {
		t.Fatalf("%d documents, want %d", len(docs), bytes.Count(data, []byte("\n")))
	}
	// The first document is framed alone, then about one block a chunk.
	if most := len(data)/blockChunk + 3; d.blocks == 0 || d.blocks > most {
		t.Errorf("%d bytes cut into %d blocks, want 1 to %d", len(data), d.blocks, most)
	}
}

func TestLastNewline(t *testing.T) {
	for _, s := range []string{"", "a", "\n", "a\n", "\na", "a\nb\nc", "\n\n\n", strings.Repeat("x\n", 100) + "tail"} {
		if got, want := lastNewline([]byte(s)), strings.LastIndexByte(s, '\n'); got != want {
			t.Errorf("lastNewline(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestSmallInputDecodedAsOneBlock: SetSmall decodes a small file as one
// block when every document in it decodes, and frames it by documents
// otherwise (checkWorkersEqualOne checks that both give the same).
func TestSmallInputDecodedAsOneBlock(t *testing.T) {
	mixes := workerMixes(t)
	for _, tc := range []struct {
		name    string
		data    []byte
		asBlock bool
	}{
		{"lines", mixes["v3 jsonl"], true},
		{"bad line", mixes["bad JSON in line 7"], false},
		{"empty", []byte(" \n"), false},
		{"bare value", []byte("[]\n0\n"), false},
	} {
		d := NewDecoder(bytes.NewReader(tc.data), tc.name)
		d.SetSmall()
		_, _ = d.all()
		if got := d.blocks == 1; got != tc.asBlock {
			t.Errorf("%s: decoded as one block: %v, want %v", tc.name, got, tc.asBlock)
		}
	}
}

// TestSharedBlocksKeepEarlierDocuments: decoders run one after another
// with one Blocks (ShareBlocks, as ingest reads an export directory's
// files) give each input's documents as a decoder of its own does, and
// what the later ones make never writes over the earlier ones' spans: all
// are compared after the last input is decoded.
func TestSharedBlocksKeepEarlierDocuments(t *testing.T) {
	mixes := workerMixes(t)
	names := make([]string, 0, len(mixes))
	for name := range mixes {
		names = append(names, name)
	}
	slices.Sort(names)
	var blocks Blocks
	type result struct {
		docs []*Document
		err  error
	}
	shared := make([]result, len(names))
	for k, name := range names {
		d := NewDecoder(bytes.NewReader(mixes[name]), name)
		d.SetSmall()
		if k%2 == 1 {
			d.SetLazyAttributes() // before ShareBlocks here, after it below: either order
		}
		d.ShareBlocks(&blocks)
		if k%4 == 2 {
			d.SetLazyAttributes()
		}
		docs, err := d.all()
		shared[k] = result{docs, err}
	}
	if blocks.s.slab == nil || blocks.s.arena == nil {
		t.Fatal("the decoders left no blocks to share")
	}
	for k, name := range names {
		d := NewDecoder(bytes.NewReader(mixes[name]), name)
		d.SetSmall()
		want, wantErr := d.all()
		if diff := docsDiff(t, want, shared[k].docs); diff != "" {
			t.Errorf("%s: with shared blocks (-own +shared):\n%s", name, diff)
		}
		if errorText(wantErr) != errorText(shared[k].err) {
			t.Errorf("%s: with shared blocks: error %s, own: %s", name, errorText(shared[k].err), errorText(wantErr))
		}
	}
}
