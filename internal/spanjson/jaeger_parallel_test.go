package spanjson

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// A long Jaeger span list is decoded in pieces on the decoder's workers
// (parallelSpans). It must give what one reader in order gives: the same
// spans, warnings and errors, one pointer per resource and scope value;
// and where a piece cannot decide alone (a process that warns, a span with
// an unknown or inline process), the list is decoded in order instead.

// jaegerListDoc is a Jaeger trace object of n spans, over wholeMax bytes
// for n >= 1500, with what quirk(i) gives in place of span i when it is
// not "" (a span's JSON or any other list item).
func jaegerListDoc(n int, processes string, quirk func(i int) string) []byte {
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"traceID":%q,"spans":[`, tid)
	writeListItems(&b, n, ",\n  ", quirk, func(i int) string {
		refs := "[]"
		if i > 0 {
			refs = fmt.Sprintf(`[{"refType":"CHILD_OF","traceID":%q,"spanID":"%016x"}]`, tid, (i-1)/4+1)
		}
		return fmt.Sprintf(`{"traceID":%q,"spanID":"%016x","operationName":"op-%d","references":%s,"startTime":%d,"duration":%d,`+
			`"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"gen_ai.usage.input_tokens","type":"int64","value":%d},`+
			`{"key":"note","type":"string","value":"%s"}],"logs":[],"processID":"p%d"}`,
			tid, i+1, i%7, refs, 1738404000000000+i, 100+i%50, i%900, strings.Repeat("x", 400), i%3+1)
	})
	fmt.Fprintf(&b, "],\n"+`"processes":%s}`, processes)
	return b.Bytes()
}

// writeListItems writes n list items to b, sep between them: quirk(i)
// when it is not "", else item(i).
func writeListItems(b *bytes.Buffer, n int, sep string, quirk, item func(i int) string) {
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		if q := quirk(i); q != "" {
			b.WriteString(q)
		} else {
			b.WriteString(item(i))
		}
	}
}

const jaegerTestProcesses = `{"p1":{"serviceName":"a","tags":[{"key":"host.name","type":"string","value":"h1"}]},` +
	`"p2":{"serviceName":"b","tags":[]},"p3":{"serviceName":"c"}}`

// quirkSpan is span i with its members replaced or added (JSON members).
func quirkSpan(i int, members string) string {
	return fmt.Sprintf(`{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"%016x","operationName":"quirk-%d",`+
		`"startTime":%d,"duration":5,%s}`, i+1, i, 1738404000000000+i, members)
}

func withCutsEvery(t *testing.T, n int) {
	old := listCutEvery
	listCutEvery = n
	t.Cleanup(func() { listCutEvery = old })
}

func TestJaegerSpanListInPiecesEqualsInOrder(t *testing.T) {
	withCutsEvery(t, 32<<10)
	scoped := func(i int) string {
		return quirkSpan(i, fmt.Sprintf(`"processID":"p2","tags":[{"key":"otel.scope.name","type":"string","value":"lib-%d"},`+
			`{"key":"otel.scope.version","type":"string","value":"1"}]`, i%2))
	}
	cases := map[string]struct {
		processes string
		quirk     func(i int) string
		pieces    bool // decoded in pieces, not in order after all
	}{
		"plain": {jaegerTestProcesses, func(int) string { return "" }, true},
		"warnings in spans, scopes, items that are not spans": {jaegerTestProcesses, func(i int) string {
			switch {
			case i%97 == 5:
				return quirkSpan(i, `"processID":"p1","tags":[{"key":"k","type":"weird","value":1},{"key":"otel.status_code","type":"string","value":"MAYBE"}]`)
			case i%113 == 7:
				return `{"spanID":"00000000000000aa","operationName":"no trace id","duration":3,"processID":"p3"}`
			case i%131 == 11:
				return "42"
			case i%59 == 3:
				return scoped(i)
			case i%211 == 13:
				return quirkSpan(i, `"processID":"p1","startTime":"yesterday","warnings":["clock skew"]`)
			}
			return ""
		}, true},
		"another trace id in the list": {jaegerTestProcesses, func(i int) string {
			if i%300 == 299 {
				return strings.Replace(quirkSpan(i, `"processID":"p1"`), "4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000000000000000abcd", 1)
			}
			return ""
		}, true},
		"a process that warns": {`{"p1":{"serviceName":"a","tags":5},"p2":{"serviceName":"b"},"p3":{"serviceName":"c"}}`,
			func(int) string { return "" }, false},
		"an unknown process": {jaegerTestProcesses, func(i int) string {
			if i == 1700 || i == 40 {
				return quirkSpan(i, `"processID":"p9"`)
			}
			return ""
		}, false},
		"an inline process": {jaegerTestProcesses, func(i int) string {
			if i == 900 {
				return quirkSpan(i, `"process":{"serviceName":"inline"}`)
			}
			return ""
		}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data := jaegerListDoc(2000, c.processes, c.quirk)
			if len(data) <= wholeMax {
				t.Fatalf("%d bytes: not over wholeMax, so not decoded by the framer", len(data))
			}
			before := listsInPieces.Load()
			checkWorkersEqualOne(t, data, name, 64<<10, readChunk)
			checkKnownSizeEqualsUnknown(t, data, name)
			if got := listsInPieces.Load() > before; got != c.pieces {
				t.Errorf("decoded in pieces: %v, want %v", got, c.pieces)
			}
			if c.pieces {
				docs, err := decodeWithWorkers(data, name, 64<<10, readChunk, 2)
				if err != nil {
					t.Fatal(err)
				}
				checkOnePointerPerValue(t, docs)
			}
		})
	}
}

// checkKnownSizeEqualsUnknown: a document kept whole is framed by
// validating it when the input's size is known (validateRest), by
// scanDoc's framing and a validation after when it is not (a pipe); both
// give the same documents and the same error, on one worker and two.
func checkKnownSizeEqualsUnknown(t *testing.T, data []byte, name string) {
	t.Helper()
	want, wantErr := decodeWithWorkers(data, name, 64<<10, readChunk, 1)
	for _, workers := range []int{1, 2} {
		d := NewDecoder(bytes.NewReader(data), name)
		if d.remaining != int64(len(data)) {
			t.Fatalf("a bytes.Reader's size is not known to the decoder")
		}
		d.SetWorkers(workers)
		got, gotErr := d.all()
		d.Close()
		if diff := docsDiff(t, want, got); diff != "" {
			t.Fatalf("%s, %d workers: size known differs from unknown (-unknown +known):\n%s", name, workers, diff)
		}
		if errorText(wantErr) != errorText(gotErr) {
			t.Fatalf("%s, %d workers: size known: error %s, unknown: %s", name, workers, errorText(gotErr), errorText(wantErr))
		}
	}
}

// checkOnePointerPerValue: spans with equal resources or scopes share one
// pointer, as one reader in order makes them.
func checkOnePointerPerValue(t *testing.T, docs []*Document) {
	t.Helper()
	resources, scopes := map[string]*Resource{}, map[[2]string]*Scope{}
	for _, doc := range docs {
		for _, tr := range doc.Traces {
			for _, s := range tr.Spans {
				if r := s.d.Resource; r != nil {
					k := fmt.Sprint(r.Attributes.List())
					if first, ok := resources[k]; ok && first != r {
						t.Fatalf("two pointers for resource %s", k)
					}
					resources[k] = r
				}
				if sc := s.d.Scope; sc != nil {
					k := [2]string{sc.Name, sc.Version}
					if first, ok := scopes[k]; ok && first != sc {
						t.Fatalf("two pointers for scope %v", k)
					}
					scopes[k] = sc
				}
			}
		}
	}
	if len(resources) != 3 {
		t.Errorf("%d resources, want 3", len(resources))
	}
}

// A query API response with one long trace: its list is four levels down.
// Broken JSON in a long list: the same error as in order.
func TestJaegerSpanListInPiecesQueryAndErrors(t *testing.T) {
	withCutsEvery(t, 32<<10)
	doc := jaegerListDoc(2000, jaegerTestProcesses, func(int) string { return "" })
	small := jaegerListDoc(3, jaegerTestProcesses, func(int) string { return "" })
	query := []byte(`{"data":[` + string(doc) + ",\n" + string(small) + `],"total":2,"limit":0,"offset":0,"errors":null}`)
	before := listsInPieces.Load()
	checkWorkersEqualOne(t, query, "query.json", 64<<10, readChunk)
	if listsInPieces.Load() == before {
		t.Error("the query response's long list was not decoded in pieces")
	}
	checkKnownSizeEqualsUnknown(t, query, "query.json")
	mid := bytes.Index(doc[len(doc)/2:], []byte("},\n  {")) + len(doc)/2
	broken := append(append(append([]byte{}, doc[:mid+1]...), []byte(",,")...), doc[mid+1:]...)
	checkWorkersEqualOne(t, broken, "broken.json", 64<<10, readChunk)
	checkKnownSizeEqualsUnknown(t, broken, "broken.json")
	// Two long traces in one file, and one cut short.
	two := append(append(append([]byte{}, doc...), "\n\n  "...), doc...)
	checkWorkersEqualOne(t, two, "two.json", 64<<10, readChunk)
	checkKnownSizeEqualsUnknown(t, two, "two.json")
	checkKnownSizeEqualsUnknown(t, append(append([]byte{}, two...), '\n'), "two.json")
	checkKnownSizeEqualsUnknown(t, two[:len(two)-10], "cut.json")
	if _, err := decodeWithWorkers(broken, "broken.json", 64<<10, readChunk, 2); err == nil {
		t.Error("no error for a list with ,,")
	}
}

// The framer's cuts are ends of elements of the list they name, and at
// least listCutEvery apart.
func TestScanDocCutsLongLists(t *testing.T) {
	withCutsEvery(t, 16<<10)
	doc := jaegerListDoc(2000, jaegerTestProcesses, func(int) string { return "" })
	input := append(append([]byte{}, doc...), " \n{}"...)
	// Size known: validateRest notes the cuts; unknown: scanDoc.
	for name, r := range map[string]io.Reader{"known": bytes.NewReader(input), "unknown": &chunkReader{data: input, chunk: 4096}} {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(r, "cuts.json")
			if err := d.skipSpace(); err != nil {
				t.Fatal(err)
			}
			d.docAt = d.start
			end, st, err := d.scanDoc(1, 1)
			if err != nil || st != nil || end-d.start != len(doc) {
				t.Fatalf("scanDoc: end %d of %d, streamed %v, %v", end-d.start, len(doc), st != nil, err)
			}
			if d.validDoc != (name == "known") {
				t.Errorf("validated while framed: %v", d.validDoc)
			}
			checkCuts(t, doc, d.lists)
		})
	}
}

func checkCuts(t *testing.T, doc []byte, lists []listCut) {
	spans := gjson.GetBytes(doc, "spans")
	elemEnds := map[int]bool{}
	spans.ForEach(func(_, v gjson.Result) bool {
		elemEnds[v.Index+len(v.Raw)] = true
		return true
	})
	cuts := cutsOf(lists, spans.Index)
	if want := len(spans.Raw) / listCutEvery; len(cuts) < want*3/4 || len(cuts) > want {
		t.Errorf("%d cuts in a list of %d bytes, cut every %d", len(cuts), len(spans.Raw), listCutEvery)
	}
	last := spans.Index
	for _, at := range cuts {
		if !elemEnds[at] {
			t.Errorf("cut at %d is not the end of a span", at)
		}
		if at-last < listCutEvery {
			t.Errorf("cut at %d only %d bytes after the last", at, at-last)
		}
		last = at
	}
	for _, c := range lists {
		if c.list != spans.Index && c.at-c.list < listCutEvery {
			t.Errorf("a cut in a list shorter than listCutEvery: %+v", c)
		}
	}
}

// reader.forEach visits what gjson's ForEach visits, with the same
// positions, and reads values from elsewhere with gjson.
func TestReaderForEachIsGJSONs(t *testing.T) {
	raw := []byte(` {"a": [1, {"b": "c\"d"}, [], "x"], "e\u0066": {}, "g": null, "h": [ ] }`)
	p := newReader(raw, "f.json", 1, 1)
	_, ok, ends := validJSON(raw)
	if !ok {
		t.Fatal("invalid test JSON")
	}
	p.ends = ends
	var visit func(v gjson.Result) []string
	visit = func(v gjson.Result) []string {
		var got, want []string
		p.forEach(v, func(k, x gjson.Result) bool {
			got = append(got, fmt.Sprintf("%q@%d=%s@%d", k.Str, k.Index, x.Raw, x.Index))
			return true
		})
		v.ForEach(func(k, x gjson.Result) bool {
			want = append(want, fmt.Sprintf("%q@%d=%s@%d", k.Str, k.Index, x.Raw, x.Index))
			return true
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("forEach of %s:\n got %v\nwant %v", v.Raw, got, want)
		}
		return got
	}
	root := gjson.Parse(p.json)
	visit(root)
	visit(root.Get("a"))
	visit(root.Get("a.1"))
	visit(root.Get("h"))
	elsewhere := gjson.Parse(`{"z": [1, 2]}`)
	visit(elsewhere)
	n := 0
	p.forEach(root.Get("a"), func(_, _ gjson.Result) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("forEach went on after false: %d visits", n)
	}
}

// A Jaeger document kept whole grows its read buffer once to what is left
// of its file, not by doublings (after the first wholeMax bytes, which
// frameNext reads to tell a small document from a big one).
func TestWholeDocumentBufferGrowsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jaeger.json")
	data := jaegerListDoc(12000, jaegerTestProcesses, func(int) string { return "" })
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewDecoder(f, path)
	r := &countingReader{r: f}
	d.r = r
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if len(d.buf) > len(data)+readChunk {
		t.Errorf("a read buffer of %d bytes for a file of %d", len(d.buf), len(data))
	}
	if r.bigBuffers != 1 {
		t.Errorf("%d buffers of more than wholeMax, want one", r.bigBuffers)
	}
}

// countingReader counts the buffers of more than wholeMax read into (reads
// into one buffer all end at its end; the first read into a new one has
// the room the copy of the old one left).
type countingReader struct {
	r          *os.File
	last       *byte
	bigBuffers int
}

func (c *countingReader) Read(b []byte) (int, error) {
	if len(b) > 0 {
		if end := &b[len(b)-1]; end != c.last {
			if len(b) > wholeMax {
				c.bigBuffers++
			}
			c.last = end
		}
	}
	return c.r.Read(b)
}
