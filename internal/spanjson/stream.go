package spanjson

import (
	"fmt"
	"runtime"

	"github.com/tidwall/gjson"
)

// Streaming of span lists. A trace document is mostly its span list
// ("data.spans", or "spans" of a bare TraceData). While framing such a
// document the decoder cuts each span out as soon as it is complete,
// validates and decodes it, and drops its bytes; what remains of the
// document (info, the empty list and the rest) is decoded at the end. So a
// trace file of any size is decoded in memory bounded by the model plus one
// span and one read buffer (with workers, a window of the list that they
// decode in pieces: stream_pieces.go).

// streamed is the span list cut out of the current document.
type streamed struct {
	spans   []Span   // the last part of the list (see add)
	full    [][]Span // earlier parts, full
	schema  Schema
	r       *reader       // decodes one span at a time (shares its intern table)
	pieces  *pieceReaders // decodes the list in pieces on several goroutines, when the decoder has workers (spansInPieces)
	prefix  []byte        // the document up to and including the list's '['
	cutLine int           // position of the list's ']' in the input
	cutCol  int
	n       int // elements seen
}

// spanPart is the size of the parts a long span list is read in.
const spanPart = 8192

// add appends s to the span list. A long list is kept in parts of
// spanPart spans and joined once at its end (list): growing one slice by
// append would allocate about five times its final size on the way.
func (st *streamed) add(s Span) {
	if len(st.spans) == spanPart {
		st.full = append(st.full, st.spans)
		st.spans = make([]Span, 0, spanPart)
	}
	st.spans = append(st.spans, s)
}

// list returns the whole span list.
func (st *streamed) list() []Span {
	if len(st.full) == 0 {
		return st.spans
	}
	all := make([]Span, 0, len(st.full)*spanPart+len(st.spans))
	for _, part := range st.full {
		all = append(all, part...)
	}
	all = append(all, st.spans...)
	st.full, st.spans = nil, all
	return all
}

// scanDoc frames the object or array at buf[start], reading more input as
// needed, and streams its span list if it has one. It returns the end of
// the document in buf; when st is not nil the document is st.prefix +
// buf[start:end] (start has moved to the list's ']').
func (d *Decoder) scanDoc(line, col int) (end int, st *streamed, err error) {
	depth := 0
	inStr := false
	strStart := 0 // relative to d.start
	var kinds [listDepth]byte
	var opens [listDepth]int // where the container at depth k began, relative to d.start
	var cutter listCutter
	var openKey [4]string // the key a container at depth k is the value of
	var lastStr [4][]byte // the last string seen directly at depth k (short ones)
	whole := false        // the span list was not streamed: none is
	d.lists = d.lists[:0]
	i := d.start
	for {
		for i < d.n {
			if inStr {
				if i, inStr = stringEnd(d.buf, d.start, i, d.n); !inStr {
					if depth >= 1 && depth <= 2 {
						s := d.buf[d.start+strStart+1 : i-1]
						if len(s) <= 16 {
							lastStr[depth] = append(lastStr[depth][:0], s...)
						} else {
							lastStr[depth] = lastStr[depth][:0]
						}
					}
				}
				continue
			}
			switch c := d.buf[i]; c {
			case '"':
				inStr = true
				strStart = i - d.start
			case '{', '[':
				depth++
				if depth < len(kinds) {
					kinds[depth], opens[depth] = c, i-d.start
				}
				if depth < len(openKey) {
					openKey[depth] = ""
					if kinds[depth-1] == '{' {
						openKey[depth] = string(lastStr[depth-1])
					}
				}
				if c == '[' && st == nil && !whole && kinds[1] == '{' &&
					((depth == 2 && openKey[2] == "spans") ||
						(depth == 3 && kinds[2] == '{' && openKey[2] == "data" && openKey[3] == "spans")) {
					st = &streamed{prefix: append([]byte(nil), d.buf[d.start:i+1]...)}
					st.r = newReader(nil, d.name, 0, 0)
					st.r.slabs = d.carry
					d.advance(i + 1)
					if err := d.streamSpans(st, line, col); err != nil {
						return 0, nil, err
					}
					i = d.start // at the list's ']', or its first element
					if st.n == 0 && d.docAt >= 0 {
						// Nothing streamed (a Jaeger trace's list, an
						// empty one) and the document's start still in
						// buf: the document is framed whole from there,
						// not copied after its prefix (661 MB copied for a
						// 693 MB Jaeger file).
						st, whole, d.wholeDoc = nil, true, true
						d.start, d.line, d.col = d.docAt, line, col
						d.lists, cutter = d.lists[:0], listCutter{}
						if end, ok := d.validateRest(); ok {
							return end, nil, nil
						}
						continue
					}
					st.cutLine, st.cutCol = d.line, d.col
					continue
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, st, nil
				}
				if depth < len(kinds) && kinds[depth] == '[' {
					cutter.note(&d.lists, depth, opens[depth], i+1-d.start)
				}
			}
			i++
		}
		off := i - d.start
		if !d.fill() {
			if d.rerr != nil {
				return 0, nil, fmt.Errorf("%s: %w", d.name, d.rerr)
			}
			if st != nil {
				return 0, nil, d.syntaxError(d.buf[d.start:d.n], d.line, d.col, true)
			}
			return 0, nil, d.syntaxError(d.buf[d.start:d.n], line, col, true)
		}
		i = d.start + off
	}
}

// validateRest frames the document at buf[start], which is kept whole,
// by validating it, when the input's size is known: the rest of the input
// is read at once into a buffer of its size (see Decoder.wholeDoc), and
// one pass validates, finds the end, the ends of big containers and the
// cuts (decodeAt then does not validate again). Framing first and
// validating after were two passes: 0.7 s and 0.55 s of a 693 MB Jaeger
// file. ok is false when the size is not known or the document is not
// valid; scanDoc then frames it, and decodeAt's validation says what is
// wrong, as for any other document.
func (d *Decoder) validateRest() (end int, ok bool) {
	if d.remaining < 0 || d.remaining > wholeReadMax {
		return 0, false
	}
	for !d.eof && d.fill() {
	}
	if d.rerr != nil {
		return 0, false
	}
	b := d.buf[d.start:d.n]
	n, valid, ends := validValueCuts(b, true, &d.lists)
	if !valid {
		d.lists = d.lists[:0]
		return 0, false
	}
	for n > 0 && b[n-1] != '}' && b[n-1] != ']' { // the document ends at its last bracket, not after the space that follows
		n--
	}
	d.validDoc, d.validEnds = true, ends
	return d.start + n, true
}

// wholeReadMax is the most of a file a document kept whole makes the
// decoder read at once (validateRest, Decoder.wholeDoc): what follows the
// document is read with it, which for a file of several huge documents
// would be all of them.
const wholeReadMax = 1 << 30

// Cuts in long lists. While it frames a document, scanDoc notes, about
// every listCutEvery bytes, the end of an element of the list it is in
// (at any depth below listDepth): a reader can then decode a long list in
// pieces on several goroutines (Jaeger's span list, see parallelSpans)
// without a pass of its own to find where elements end. The framing pass
// costs a comparison per closing bracket more.
type listCut struct {
	list int // the offset in the document of the list's '['
	at   int // the offset just after one of its elements
}

const listDepth = 8

// listCutter applies the rule of cuts for both framers (scanDoc and the
// validator): a cut in the list at depth that opened at offset list, at
// offset at just after an element, when at is listCutEvery or more past
// the list's start or its last cut.
type listCutter struct{ last [listDepth]int }

func (c *listCutter) note(cuts *[]listCut, depth, list, at int) {
	if at-max(list, c.last[depth]) >= listCutEvery {
		c.last[depth] = at
		*cuts = append(*cuts, listCut{list: list, at: at})
	}
}

// listCutEvery is the distance between cuts; a variable for tests.
var listCutEvery = 1 << 20

// cutsOf returns the cuts of the list that begins at offset list.
func cutsOf(cuts []listCut, list int) []int {
	var at []int
	for _, c := range cuts {
		if c.list == list {
			at = append(at, c.at)
		}
	}
	return at
}

// streamSpans reads the elements of a span list: d.start is just after its
// '['. It returns with d.start at the closing ']', or, when the first
// element is a Jaeger span, at that element with nothing read (st.n 0).
func (d *Decoder) streamSpans(st *streamed, docLine, docCol int) error {
	for {
		if err := d.skipSpaceIn(); err != nil {
			return err
		}
		if d.start == d.n {
			return d.syntaxError(nil, d.line, d.col, true)
		}
		c := d.buf[d.start]
		if c == ']' && st.n == 0 {
			return nil
		}
		if st.n > 0 {
			if c == ']' {
				return nil
			}
			if c != ',' {
				return d.badByte(c, "after a span in the span list")
			}
			d.advance(d.start + 1)
			if err := d.skipSpaceIn(); err != nil {
				return err
			}
			if d.start == d.n {
				return d.syntaxError(nil, d.line, d.col, true)
			}
			c = d.buf[d.start]
		}
		if c == ']' || c == ',' || c == '}' || c == ':' {
			return d.badByte(c, "looking for the beginning of a span")
		}
		line, col := d.line, d.col
		if c == '{' && st.pieces != nil {
			if end, ok := d.spansInPieces(st, line, col); ok {
				d.advance(end)
				continue
			}
		}
		if c == '{' && st.n > 0 {
			end, sd, ok := d.fastElement(st, line, col)
			if ok {
				st.n++
				st.add(st.r.newSpan(sd))
				d.advance(end)
				continue
			}
		}
		end, ends, err := d.frameElement(line, col)
		if err != nil {
			return err
		}
		elem := d.buf[d.start:end]
		if st.n == 0 && elem[0] == '{' && isJaegerSpan(gjson.Parse(bytesString(elem))) {
			// A Jaeger trace's "spans", not an MLflow span list: the list
			// stays in the document, which is decoded whole.
			return nil
		}
		st.n++
		p := st.r
		p.setDoc(elem, ends, line, col, d.textStable())
		if st.n == 1 {
			st.schema = SchemaMLflowV3
			if elem[0] == '{' {
				st.schema = spanSchema(gjson.Parse(p.json))
			}
			d.startPieces(st, elem)
		}
		p.schema = st.schema
		if elem[0] != '{' {
			p.warn(0, "a span is not a JSON object: skipped")
		} else {
			var sd SpanData
			if st.schema == SchemaMLflowV2 {
				p.fastSpanV2(0, &sd)
			} else {
				p.fastSpanV3(0, &sd)
			}
			st.add(p.newSpan(sd))
		}
		d.advance(end)
	}
}

// fastElement decodes the span at buf[start] straight from the read buffer,
// validating as it goes (one pass instead of validate-then-decode). ok is
// false when it could not: invalid JSON (the caller's validated path then
// reports the exact error) or input the fast parser does not take.
func (d *Decoder) fastElement(st *streamed, line, col int) (end int, sd SpanData, ok bool) {
	p := st.r
	for {
		avail := d.buf[d.start:d.n]
		nw := len(p.warnings)
		p.setDoc(avail, nil, line, col, d.textStable())
		e, good := p.tryParseSpan(&sd)
		if good {
			return d.start + e, sd, true
		}
		p.warnings = p.warnings[:nw]
		sd = SpanData{}
		n, _, _ := validPrefix(avail)
		if n < len(avail) {
			return 0, sd, false // invalid, or valid and not for us
		}
		// Cut by the end of the buffer: read as much again, then retry.
		have := d.n - d.start
		if !d.fill() {
			return 0, sd, false
		}
		for d.n-d.start < 2*have && d.fill() {
		}
	}
}

// tryParseSpan runs the span parser over unvalidated bytes; bad input
// (errBadJSON, or running off the end of the buffer) returns ok false.
func (p *reader) tryParseSpan(d *SpanData) (end int, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isRuntime := r.(runtime.Error); isRuntime || r == errBadJSON {
				ok = false
				return
			}
			panic(r)
		}
	}()
	if p.schema == SchemaMLflowV2 {
		end = p.fastSpanV2(0, d)
	} else {
		end = p.fastSpanV3(0, d)
	}
	return end, true
}

// frameElement validates the span list element at buf[start] and returns
// its end, reading more input when the element runs past the buffer. An
// object (the usual case) is validated and framed in one pass.
func (d *Decoder) frameElement(line, col int) (end int, ends map[int]int, err error) {
	if d.buf[d.start] != '{' {
		end, complete := d.scanElement()
		elem := d.buf[d.start:end]
		if !complete {
			if d.rerr != nil {
				return 0, nil, fmt.Errorf("%s: %w", d.name, d.rerr)
			}
			return 0, nil, d.syntaxError(elem, line, col, true)
		}
		if _, valid, ends := validJSON(elem); !valid {
			return 0, nil, d.syntaxError(elem, line, col, false)
		} else {
			return end, ends, nil
		}
	}
	for {
		n, ok, ends := validPrefix(d.buf[d.start:d.n])
		if ok {
			return d.start + n, ends, nil
		}
		if n < d.n-d.start || !d.fill() {
			if d.rerr != nil {
				return 0, nil, fmt.Errorf("%s: %w", d.name, d.rerr)
			}
			return 0, nil, d.syntaxError(d.buf[d.start:d.n], line, col, n >= d.n-d.start)
		}
		// Validation restarts at the element: read at least as much again
		// first, so short reads cannot make it quadratic.
		for want := 2 * n; d.n-d.start < want && d.fill(); {
		}
	}
}

// skipSpaceIn consumes whitespace inside a document.
func (d *Decoder) skipSpaceIn() error {
	for {
		d.advance(skipWS(d.buf[:d.n], d.start))
		if d.start < d.n {
			return nil
		}
		if !d.fill() {
			if d.rerr != nil {
				return fmt.Errorf("%s: %w", d.name, d.rerr)
			}
			return nil
		}
	}
}

// scanElement frames one JSON value at buf[start] (a container, a string
// or a scalar), reading more input as needed.
func (d *Decoder) scanElement() (end int, complete bool) {
	switch d.buf[d.start] {
	case '{', '[':
		return d.scanValue()
	}
	i := d.start
	inStr := d.buf[i] == '"'
	if inStr {
		i++
	}
	for {
		for i < d.n {
			c := d.buf[i]
			if inStr {
				if c == '\\' {
					i += 2
					continue
				}
				i++
				if c == '"' {
					return i, true
				}
				continue
			}
			switch c {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return i, true
			}
			i++
		}
		off := i - d.start
		if !d.fill() {
			return min(d.n, d.start+off), !inStr
		}
		i = d.start + off
	}
}

// badByte reports an unexpected byte at buf[start].
func (d *Decoder) badByte(c byte, where string) error {
	e := &SyntaxError{File: d.name, Line: d.line, Col: d.col, Msg: fmt.Sprintf("invalid character %q %s", rune(c), where)}
	e.LineText, e.LineTextCol = d.lineIn(d.start, d.col, d.n)
	return e
}

// skeletonError locates a JSON error in a document whose span list was
// streamed: offsets in the prefix map to the document start, the rest to
// the list's end.
func (d *Decoder) skeletonError(st *streamed, raw []byte, line, col, suffixStart int) error {
	off := errorOffset(raw)
	var e *SyntaxError
	if off < len(st.prefix) {
		e = d.errorAt(st.prefix, off, line, col)
		e.LineText, e.LineTextCol = lineTextOf(st.prefix, off, e.Col)
	} else {
		e = d.errorAt(raw[len(st.prefix):], off-len(st.prefix), st.cutLine, st.cutCol)
		e.LineText, e.LineTextCol = d.lineIn(suffixStart+off-len(st.prefix), e.Col, suffixStart+len(raw)-len(st.prefix))
	}
	e.Msg = errorMessage(raw, off)
	return e
}

// setDoc points the reader at another document (a streamed span).
// stable says raw is never written over again (see reader.stable): the
// decoder's buffer once it has read all it will read (eof), as no fill
// comes after that.
func (p *reader) setDoc(raw []byte, ends map[int]int, line, col int, stable bool) {
	p.json, p.raw, p.ends, p.stable = bytesString(raw), raw, ends, stable
	p.docLine, p.docCol = line, col
	p.locIdx, p.locLine, p.locCol = 0, line, col
}
