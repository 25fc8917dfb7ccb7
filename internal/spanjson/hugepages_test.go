package spanjson

import (
	"testing"
	"unsafe"
)

func TestNewBlockIsBigInALargeDocument(t *testing.T) {
	p := &reader{}
	if b := newBlock[SpanData](p, 10); cap(b) != 10 {
		t.Errorf("small document: a block of %d spans, want 10", cap(b))
	}
	p.spansMade = bigDocSpans
	for _, got := range []int{
		cap(newBlock[SpanData](p, 10)) * int(unsafe.Sizeof(SpanData{})),
		cap(newBlock[attrKV](p, 10)) * int(unsafe.Sizeof(attrKV{})),
		cap(newBlock[attrSet](p, 10)) * int(unsafe.Sizeof(attrSet{})),
		cap(newBlock[byte](p, 10)),
	} {
		if got < bigBlock-256 || got > bigBlock {
			t.Errorf("large document: a block of %d bytes, want about %d", got, bigBlock)
		}
	}
	if b := newBlock[byte](p, 3*bigBlock); cap(b) != 3*bigBlock {
		t.Errorf("a block for more than bigBlock: %d bytes, want %d", cap(b), 3*bigBlock)
	}
}
