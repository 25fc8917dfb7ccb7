package spanjson

import (
	"bytes"
	"fmt"
	"strings"
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

// A short attribute value with escapes (MLflow writes every value as JSON
// text, so its quotes come escaped) is interned like an unescaped one: the
// spans of a trace share one copy of their trace request id and type. The
// arena's bytes it took back serve the next string: a long escaped value
// after it, and a short one cut off by the end of the arena, read whole.
func TestShortEscapedValuesInterned(t *testing.T) {
	long := strings.Repeat(`a\"b`, 30)
	var doc strings.Builder
	doc.WriteString(`{"info":{"trace_id":"tr-1"},"data":{"spans":[`)
	for k := range 50 {
		if k > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAA%s=","parent_span_id":null,"name":"s","start_time_unix_nano":1,"end_time_unix_nano":2,`+
			`"attributes":{"mlflow.traceRequestId":"\"tr-1\"","mlflow.spanType":"\"LLM\"","long":"%s","k%d":"\"v%d\""}}`,
			string(rune('A'+k%26))+string(rune('A'+k/26)), long, k, k)
	}
	doc.WriteString(`]}}`)
	d := NewDecoder(strings.NewReader(doc.String()), "t.json")
	docs, err := d.all()
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	spans := docs[0].Traces[0].Spans
	if len(spans) != 50 {
		t.Fatalf("%d spans", len(spans))
	}
	wantLong := strings.ReplaceAll(long, `\"`, `"`)
	raw := func(a Attributes, key string) string { v, _ := a.Raw(key); return v }
	firstID := raw(spans[0].Attributes(), "mlflow.traceRequestId")
	for k, s := range spans {
		a := s.Attributes()
		id := raw(a, "mlflow.traceRequestId")
		if id != `"tr-1"` || unsafe.StringData(id) != unsafe.StringData(firstID) {
			t.Errorf("span %d: request id %q, a copy of its own: %v", k, id, unsafe.StringData(id) != unsafe.StringData(firstID))
		}
		if got := raw(a, "long"); got != wantLong {
			t.Errorf("span %d: long value %q", k, got)
		}
		if got, want := raw(a, fmt.Sprintf("k%d", k)), fmt.Sprintf(`"v%d"`, k); got != want {
			t.Errorf("span %d: k%d = %q, want %q", k, k, got, want)
		}
	}
}
