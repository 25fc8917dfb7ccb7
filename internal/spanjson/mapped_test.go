package spanjson

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// withReleaseMargin shrinks what a mapped decoder keeps behind its reads,
// so that inputs of a test's size are given back as they are read.
func withReleaseMargin(t *testing.T, margin, step int) {
	oldMargin, oldStep := releaseMargin, releaseStep
	releaseMargin, releaseStep = margin, step
	t.Cleanup(func() { releaseMargin, releaseStep = oldMargin, oldStep })
}

// TestMappedReleasesBehindItsReads: a mapped input is decoded as read
// input is (checkWorkersEqualOne compares them) while its front is given
// back, in order and never closer to the reads than releaseMargin
// (decodeMapped checks each part): a dump of many traces, one trace whose
// span list is decoded in pieces, a syntax error late in a dump.
func TestMappedReleasesBehindItsReads(t *testing.T) {
	withReleaseMargin(t, 64<<10, 16<<10)
	withPieceBytes(t, 8<<10)
	dump := v3Lines(t, 60, 30).Bytes()
	broken := bytes.Clone(dump)
	broken[len(broken)*3/4] = '}'
	before := mapReleased.Load()
	for _, in := range []struct {
		name string
		data []byte
	}{
		{"dump.jsonl", dump},
		{"list.json", v3ListDoc(4000, ",", func(int) string { return "" })},
		{"broken.jsonl", broken},
	} {
		if len(in.data) < 1<<20 {
			t.Fatalf("%s: %d bytes, too few to give any back", in.name, len(in.data))
		}
		checkWorkersEqualOne(t, in.data, in.name, 4096, 0)
	}
	if mapReleased.Load() == before {
		t.Fatal("no part of the mapped inputs was given back")
	}
}

// TestMappedReadError: an error from Mapped.Took (ingest's: the context
// was cancelled) ends the input as a read error does, after the documents
// read before it.
func TestMappedReadError(t *testing.T) {
	dump := v3Lines(t, 200, 30).Bytes()
	decode := func(failAt int) (int, []*Document, error) {
		reads := 0
		d := NewDecoderMapped(Mapped{Data: dump, Took: func(int) error {
			if reads++; reads == failAt {
				return context.Canceled
			}
			return nil
		}}, "dump.jsonl")
		d.minBuf = 4096
		d.SetWorkers(2)
		defer d.Close()
		docs, err := d.all()
		return reads, docs, err
	}
	reads, docs, err := decode(0)
	if err != nil || len(docs) != 200 || reads < 3 {
		t.Fatalf("%d documents in %d reads, error %v", len(docs), reads, err)
	}
	_, docs, err = decode(reads - 1) // the last read fails
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the read's", err)
	}
	if len(docs) == 0 || len(docs) >= 200 {
		t.Fatalf("%d documents before the error, want some and not all", len(docs))
	}
}

// TestMappedEmpty: an empty mapped input is refused as an empty file is.
func TestMappedEmpty(t *testing.T) {
	_, want := NewDecoder(bytes.NewReader(nil), "empty.json").all()
	_, got := NewDecoderMapped(Mapped{Data: []byte{}}, "empty.json").all()
	if want == nil || errorText(got) != errorText(want) {
		t.Fatalf("mapped: %v, read: %v", got, want)
	}
}
