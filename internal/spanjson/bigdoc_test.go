package spanjson

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A Jaeger trace's "spans" list is not streamed; the document is then
// framed whole from its start and decoded from the read buffer (lent),
// not copied after its prefix. The spans are those of a decoder reading
// in small pieces.
func TestJaegerDocumentDecodedFromTheBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jaeger.json")
	if err := writeJaegerTrace(path, 3000); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) <= wholeMax {
		t.Fatalf("the trace is %d bytes: not more than wholeMax", len(data))
	}
	d := NewDecoder(bytes.NewReader(data), "jaeger.json")
	doc, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Traces) != 1 || len(doc.Traces[0].Spans) != 3000 {
		t.Fatalf("%d traces", len(doc.Traces))
	}
	if !d.lent {
		t.Errorf("the document was copied out of the read buffer")
	}
	if len(d.buf) > len(data)+readChunk {
		t.Errorf("a read buffer of %d bytes for a %d-byte input whose size was known", len(d.buf), len(data))
	}
	small := NewDecoder(&chunkReader{data: data, chunk: 100}, "jaeger.json")
	want, err := small.Next()
	if err != nil {
		t.Fatal(err)
	}
	if diff := docsDiff(t, []*Document{want}, []*Document{doc}); diff != "" {
		t.Errorf("read whole against read in pieces of 100 bytes (-pieces +whole):\n%s", diff)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("second Next: %v", err)
	}
}

func TestCopyInSteps(t *testing.T) {
	src := make([]byte, 9<<20+5)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, 4 << 20, 4<<20 + 1, len(src)} {
		for _, room := range []int{n, n + 10, n / 2} {
			dst := make([]byte, room)
			want := make([]byte, room)
			if got, w := copyInSteps(dst, src[:n]), copy(want, src[:n]); got != w || !bytes.Equal(dst, want) {
				t.Errorf("copyInSteps of %d bytes into %d: %d copied, want %d (same bytes: %v)", n, room, got, w, bytes.Equal(dst, want))
			}
		}
	}
}

// An input smaller than a read chunk whose size is known (a file of an
// export directory) is read into a buffer of its size, plus the byte that
// lets the read see its end; small-file decoding (SetSmall) as well.
func TestSmallInputOfKnownSize(t *testing.T) {
	data := v3Lines(t, 1, 20).Bytes()
	if len(data) >= readChunk {
		t.Fatalf("the trace is %d bytes: not less than readChunk", len(data))
	}
	for _, small := range []bool{false, true} {
		d := NewDecoder(bytes.NewReader(data), "t.json")
		if small {
			d.SetSmall()
		}
		doc, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Traces) != 1 || len(doc.Traces[0].Spans) != 20 {
			t.Fatalf("%d traces", len(doc.Traces))
		}
		if len(d.buf) != len(data)+1 {
			t.Errorf("small=%v: a read buffer of %d bytes for a %d-byte input whose size was known", small, len(d.buf), len(data))
		}
	}
}

// NewDecoderBytes decodes what NewDecoder over a reader of the same bytes
// decodes, documents, warnings and errors alike, read whole (SetSmall) or
// not, and leaves the bytes as they were.
func TestDecoderBytesDecodesAsAReader(t *testing.T) {
	for name, data := range workerMixes(t) {
		for _, small := range []bool{false, true} {
			d := NewDecoder(bytes.NewReader(data), name)
			kept := bytes.Clone(data)
			b := NewDecoderBytes(kept, name)
			if small {
				d.SetSmall()
				b.SetSmall()
			}
			want, wantErr := d.all()
			got, gotErr := b.all()
			if errorText(gotErr) != errorText(wantErr) {
				t.Errorf("%s (small %v): error %s, from a reader %s", name, small, errorText(gotErr), errorText(wantErr))
			}
			if diff := docsDiff(t, want, got); diff != "" {
				t.Errorf("%s (small %v): (-reader +bytes):\n%s", name, small, diff)
			}
			if !bytes.Equal(kept, data) {
				t.Errorf("%s: the bytes were written over", name)
			}
		}
	}
}
