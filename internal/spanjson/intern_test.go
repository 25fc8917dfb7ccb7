package spanjson

import (
	"bytes"
	"testing"
	"unsafe"
)

// The intern table goes on from one document to the next: the names the
// traces of a dump share are one string, on one worker or several, and a
// string met before the table filled up and began afresh stays intact.
func TestInternTableCarriedAcrossDocuments(t *testing.T) {
	dump := v3Lines(t, 40, 10).Bytes()
	for _, workers := range []int{1, 2} {
		d := NewDecoder(bytes.NewReader(dump), "dump.jsonl")
		d.SetWorkers(workers)
		docs, err := d.all()
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		copies := map[string]map[*byte]bool{} // a span name -> the bytes of its copies
		spans := 0
		for _, doc := range docs {
			for _, tr := range doc.Traces {
				for _, s := range tr.Spans {
					if copies[s.Name()] == nil {
						copies[s.Name()] = map[*byte]bool{}
					}
					copies[s.Name()][unsafe.StringData(s.Name())] = true
					spans++
				}
			}
		}
		// A copy per worker (and the framer, which decodes documents
		// of its own), not per document.
		for name, c := range copies {
			if len(c) > workers+1 {
				t.Errorf("%d workers: %d copies of span name %q in %d spans of %d traces", workers, len(c), name, spans, 40)
			}
		}
	}
	p := newReader(nil, "t", 1, 1)
	kept := p.interned("kept")
	for k := range maxInterned + 10 {
		p.interned(string(rune('a'+k%26)) + string(rune(k)))
	}
	if len(p.intern) > maxInterned {
		t.Errorf("the table grew to %d strings", len(p.intern))
	}
	if kept != "kept" {
		t.Errorf("a string interned before the table began afresh changed: %q", kept)
	}
}
