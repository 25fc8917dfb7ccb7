package spanjson

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson/spanjsontest"
)

// v3WithAttributes is an MLflow 3 trace of one span whose attributes member
// is attrs, verbatim.
func v3WithAttributes(attrs string) string {
	return `{"info": {"trace_id": "tr-1", "state": "OK"}, "data": {"spans": [{"trace_id": "AAAAAAAAAAAAAAAAAAAAAQ==", "span_id": "AAAAAAAAAAE=", "parent_span_id": "", "name": "s", "start_time_unix_nano": 1, "end_time_unix_nano": 2, "status": {"code": "STATUS_CODE_OK", "message": ""}, "attributes": ` + attrs + `}]}}`
}

// TestLazyAttributesEqualEager decodes attribute maps of every form
// eagerly and kept until read (maps as text, values escaped): the lists,
// each key and value (KeyAt, At, Get), the documents and the errors must
// be the same.
func TestLazyAttributesEqualEager(t *testing.T) {
	cases := map[string]string{
		"plain":             `{"mlflow.spanType": "\"LLM\"", "k": "v"}`,
		"empty map":         `{}`,
		"empty values":      `{"a": "", "b": "\"\"", "": "x"}`,
		"spaces":            " {\n  \"a\" :\t\"1\" ,\n\"b\":\"2\"\n } ",
		"escaped key":       `{"a\"b": "1", "t\u00e9": "2", "mlflow.spanType\u0041": "\"X\""}`,
		"well-known keys":   `{"mlflow.traceRequestId": "\"tr-1\"", "mlflow.spanInputs": "{\"q\": 1}", "mlflow.spanOutputs": "[1, 2]", "mlflow.spanFunctionName": "\"f\"", "mlflow.chat.tokenUsage": "{\"input_tokens\": 3}", "mlflow.message.format": "\"openai\""}`,
		"unicode escapes":   `{"s": "\ud83d\ude00 \u00e9 \ud800 x\\n\\t\/"}`,
		"utf-8":             `{"ключ": "значение ✓"}`,
		"duplicate keys":    `{"a": "1", "a": "2"}`,
		"only escapes":      `{"a": "\\\\", "b": "\"\\\"\""}`,
		"long value":        `{"a": "` + strings.Repeat(`x\"`, 5000) + `"}`,
		"many attributes":   manyAttributes(100),
		"raw values":        `{"a": "1", "n": 42, "o": {"x": [1, true, null]}, "z": "2"}`,
		"null value":        `{"a": null}`,
		"bad escape":        `{"a": "\x"}`,
		"bad unicode":       `{"a": "\u12G4"}`,
		"control character": "{\"a\": \"x\ty\"}",
		"missing colon":     `{"a" "1"}`,
		"trailing comma":    `{"a": "1",}`,
		"bad key":           `{a: "1"}`,
		"cut short":         `{"a": "1"`,
	}
	for name, attrs := range cases {
		for _, mode := range []attrMode{lazyText, lazyValues} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) { checkLazyEqualsEager(t, attrs, mode) })
		}
	}
}

func checkLazyEqualsEager(t *testing.T, attrs string, mode attrMode) {
	data := []byte(v3WithAttributes(attrs))
	want, wantErr := decodeWithWorkers(data, "t.json", 1<<20, readChunk, 1)
	got, gotErr := decodeLazily(data, "t.json", 1<<20, readChunk, 1, mode)
	if errorText(wantErr) != errorText(gotErr) {
		t.Fatalf("lazy error %s, eager %s", errorText(gotErr), errorText(wantErr))
	}
	if diff := docsDiff(t, want, got); diff != "" {
		t.Fatalf("(-eager +lazy):\n%s", diff)
	}
	if wantErr != nil {
		return
	}
	w, g := want[0].Traces[0].Spans[0].Attributes(), got[0].Traces[0].Spans[0].Attributes()
	if g.Len() != w.Len() {
		t.Fatalf("lazy Len %d, eager %d", g.Len(), w.Len())
	}
	if diff := cmp.Diff(w.List(), g.List()); diff != "" {
		t.Fatalf("(-eager +lazy):\n%s", diff)
	}
	for i := range w.Len() {
		if g.KeyAt(i) != w.KeyAt(i) || g.At(i) != w.At(i) {
			t.Fatalf("attribute %d: lazy %q %v, eager %q %v", i, g.KeyAt(i), g.At(i), w.KeyAt(i), w.At(i))
		}
	}
	for a := range w.All() {
		wv, _ := w.Get(a.Key)
		gv, ok := g.Get(a.Key)
		if !ok || !cmp.Equal(wv, gv) {
			t.Fatalf("Get(%q): lazy %v, eager %v", a.Key, gv, wv)
		}
	}
}

// manyAttributes is an attribute map of the span's inputs and outputs
// and n more members.
func manyAttributes(n int) string {
	var b strings.Builder
	b.WriteString(`{"mlflow.spanInputs": "{\"q\": \"why\"}", "mlflow.spanOutputs": "\"because\"", "mlflow.spanType": "\"LLM\""`)
	for i := range n {
		fmt.Fprintf(&b, `, "k%d": "\"v%d\""`, i, i)
	}
	b.WriteString("}")
	return b.String()
}

// lazyState says how a span's attributes are held: "text" while the map is
// kept as its text, "list" once made into the list (or read eagerly).
func lazyState(s Span) string {
	set := s.Attributes().s
	if set == nil {
		return "none"
	}
	if set.lazy != nil && set.list == nil {
		return "text"
	}
	return "list"
}

// eachLazyCase runs f as a subtest on each input of the tests of
// attributes kept until read, a dump of small traces and one trace big
// enough to be streamed, with one worker and with two.
func eachLazyCase(t *testing.T, dump *bytes.Buffer, f func(t *testing.T, data []byte, workers int)) {
	var big bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&big, 3000, 7); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"dump": dump.Bytes(), "big trace": big.Bytes()} {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%d workers", name, workers), func(t *testing.T) { f(t, data, workers) })
		}
	}
}

// TestLazyAttributesStayText: with SetLazyAttributes every path of the
// decoder (one worker or several, a document framed whole or a span list
// streamed, a dump cut in blocks) keeps the maps as text until one is
// read, and reading one span's makes that span's alone.
func TestLazyAttributesStayText(t *testing.T) {
	dump := v3Lines(t, 30, 20)
	eachLazyCase(t, dump, func(t *testing.T, data []byte, workers int) {
		docs, err := decodeLazily(data, "t.json", 4<<10, 4<<10, workers, lazyText)
		if err != nil {
			t.Fatal(err)
		}
		spans := 0
		for _, d := range docs {
			for _, tr := range d.Traces {
				for _, s := range tr.Spans {
					if st := lazyState(s); st != "text" {
						t.Fatalf("span %s of %s: attributes held as %s before any read", s.SpanID(), tr.ID(), st)
					}
					spans++
				}
			}
		}
		first := docs[0].Traces[0].Spans
		if _, ok := first[0].Attributes().Get(AttrSpanType); !ok {
			t.Fatalf("no %s", AttrSpanType)
		}
		if lazyState(first[0]) != "list" || lazyState(first[1]) != "text" {
			t.Fatalf("after reading the first span's attributes: %s, %s; want list, text", lazyState(first[0]), lazyState(first[1]))
		}
		t.Logf("%d spans", spans)
	})
	// Without the setting the maps are lists at once.
	docs, err := decodeWithWorkers(dump.Bytes(), "t.json", 4<<10, 4<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	if st := lazyState(docs[0].Traces[0].Spans[0]); st != "list" {
		t.Fatalf("eager decode holds attributes as %s", st)
	}
}

// TestLazyAttributesReadConcurrently: the first reads of lazy maps, or of
// escaped values, may come from several goroutines at once (run with
// -race).
func TestLazyAttributesReadConcurrently(t *testing.T) {
	for _, mode := range []attrMode{lazyText, lazyValues} {
		t.Run(mode.String(), func(t *testing.T) { checkLazyReadConcurrently(t, mode) })
	}
}

func checkLazyReadConcurrently(t *testing.T, mode attrMode) {
	var b bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&b, 200, 3); err != nil {
		t.Fatal(err)
	}
	want, err := decodeWithWorkers(b.Bytes(), "t.json", 1<<20, readChunk, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeLazily(b.Bytes(), "t.json", 1<<20, readChunk, 1, mode)
	if err != nil {
		t.Fatal(err)
	}
	wantSpans, gotSpans := want[0].Traces[0].Spans, got[0].Traces[0].Spans
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range gotSpans {
				i := (k + g*25) % len(gotSpans) // each goroutine starts elsewhere
				w, a := wantSpans[i].Attributes(), gotSpans[i].Attributes()
				if g%2 == 0 {
					if v, _ := a.Get(AttrSpanType); v == nil {
						errs <- fmt.Sprintf("span %d: no span type", i)
						return
					}
				}
				if !cmp.Equal(w.List(), a.List()) {
					errs <- fmt.Sprintf("span %d: %v, want %v", i, a.List(), w.List())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestLazyValuesStayEscaped: with SetLazyValues every path of the decoder
// (one worker or several, a span list streamed in pieces, a mapped input)
// keeps each span's inputs and outputs escaped, views of its document,
// where the document is stable, and the other values unescaped; only a
// read unescapes one, and the stored text still has its escapes after.
func TestLazyValuesStayEscaped(t *testing.T) {
	withPieceBytes(t, 8<<10)
	eachLazyCase(t, v3Lines(t, 30, 20), func(t *testing.T, data []byte, workers int) {
		mapped, err := decodeMapped(t, data, "t.json", 4<<10, workers, lazyValues)
		if err != nil {
			t.Fatal(err)
		}
		spans := allSpans(mapped)
		if len(spans) == 0 {
			t.Fatal("no spans")
		}
		for _, s := range spans {
			checkEscapedValues(t, s)
		}
	})
}

// checkEscapedValues checks that s keeps its inputs (which every generated
// span has) escaped and its span type unescaped, and that At unescapes.
func checkEscapedValues(t *testing.T, s Span) {
	t.Helper()
	attrs := s.Attributes()
	in, typ := attrs.index(AttrInputs), attrs.index(AttrSpanType)
	if in < 0 || typ < 0 {
		t.Fatalf("span %s: no inputs or no type", s.SpanID())
	}
	set := attrs.s
	stored, read := set.list[in].Value, attrs.At(in)
	if ValueType(set.types[in]) != valueEscaped || !strings.Contains(stored, `\"`) {
		t.Fatalf("span %s: inputs stored as %q, not escaped", s.SpanID(), stored)
	}
	if strings.Contains(read.Value, `\"`) || read.Type != ValueJSON {
		t.Fatalf("span %s: inputs read as %q (%v)", s.SpanID(), read.Value, read.Type)
	}
	if ValueType(set.types[typ]) == valueEscaped || strings.Contains(set.list[typ].Value, `\`) {
		t.Fatalf("span %s: type stored as %q, escaped", s.SpanID(), set.list[typ].Value)
	}
}
