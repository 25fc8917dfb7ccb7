package spanjson

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// A streamed span list in pieces on several goroutines. The span list of
// one huge MLflow trace is nearly all of its file, and one goroutine
// decoding it left the other cores idle: `tracectl show` of a
// 1,000,000-span trace spent three fifths of its time there.
//
// So, with workers (Decoder.SetWorkers), the framer reads a window of the
// list at a time (pieceBytes for each worker) and cuts it into as many
// pieces where an element seems to begin: a '{' after "}," whose first
// key is the first span's (spanStart). The framer decodes the first piece
// and a helper goroutine each other one, each from its start until it
// reaches the next piece's start. A guess may be wrong (the key of an
// object inside a span, or a string that looks like one), but it is
// never taken on trust: a piece is kept only when the piece before it was
// kept and ended exactly at its start, so each kept piece begins where
// the decoding in order would have begun an element, and decoding from
// there is decoding in order. The first piece begins where the framer is.
// What is not kept (after a wrong guess, a span a helper could not decode
// without a warning, invalid JSON) is decoded in order again, which also
// gives every warning and error its exact place: a helper does not know
// the line it is on, so it stops before a span that warns.

// pieceBytes is the part of a window each worker decodes; a variable for
// tests.
var pieceBytes = 2 << 20

// piecesKept and piecesMissed count the helpers' pieces kept and the
// guesses found wrong, for tests.
var piecesKept, piecesMissed atomic.Int64

// spanPiece is what one goroutine decoded of a window: the spans of the
// elements from its start, and where it stopped (offsets in the window).
type spanPiece struct {
	spans []Span
	end   int // just after the last span decoded; the start when none was
	next  int // where the element after it begins; -1 when it did not stop at a "," (the list's end, the window's, a bad element)
}

// pieceReaders are the helpers' readers of a streamed list, kept from one
// window to the next with their allocation blocks and intern tables.
type pieceReaders struct {
	key     []byte    // the first span's first key, quoted, as read (spanStart)
	readers []*reader // one per helper
	// spans are the pieces' span lists, reused from window to window
	// (st.add copies them): made afresh, they were 33 MB of the
	// 1,000,000-span trace's allocations.
	spans [][]Span
}

// startPieces sets up decoding in pieces for the list being streamed,
// after its first element elem, when the decoder has workers and the
// first span has a first key to look for.
func (d *Decoder) startPieces(st *streamed, elem []byte) {
	if d.workers < 2 || elem[0] != '{' {
		return
	}
	i := skipWS(elem, 1)
	if i == len(elem) || elem[i] != '"' {
		return
	}
	end := bytes.IndexByte(elem[i+1:], '"')
	if end < 0 || end > 64 || bytes.IndexByte(elem[i+1:i+1+end], '\\') >= 0 {
		return
	}
	pr := &pieceReaders{key: append([]byte(nil), elem[i:i+end+2]...)}
	for range d.workers - 1 {
		r := newReader(nil, d.name, 0, 0)
		r.untilRead, r.spansMade = st.r.untilRead, st.r.spansMade
		pr.readers = append(pr.readers, r)
	}
	pr.spans = make([][]Span, d.workers)
	st.pieces = pr
}

// spansInPieces decodes the span list from buf[start] (the '{' of an
// element that is not the first) in pieces, as above. It returns the end
// of the last span it kept, in buf, and whether it kept any; st has them.
func (d *Decoder) spansInPieces(st *streamed, line, col int) (end int, ok bool) {
	pr := st.pieces
	want := pieceBytes * (len(pr.readers) + 1)
	for d.n-d.start < want && d.fill() {
	}
	win := d.buf[d.start:d.n]
	if len(win) < want/2 {
		return 0, false // the list's last bytes: in order
	}
	// The first span in order first: when the fast parser does not take
	// it, the helpers are not started (the decoding in order reads it).
	first := decodePiece(pr.spans[0][:0], st.r, st.schema, win, 0, 1, line, col, d.textStable(), false)
	if len(first.spans) == 0 {
		return 0, false
	}
	starts := []int{0}
	for k := 1; k <= len(pr.readers) && first.next > 0; k++ {
		at := spanStart(win, max(starts[len(starts)-1]+1, first.next+1, len(win)*k/(len(pr.readers)+1)), pr.key)
		if at < 0 {
			break
		}
		starts = append(starts, at)
	}
	pieces := make([]spanPiece, len(starts))
	bound := func(k int) int {
		if k+1 < len(starts) {
			return starts[k+1]
		}
		return len(win)
	}
	var wg sync.WaitGroup
	for k := 1; k < len(starts); k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pieces[k] = decodePiece(pr.spans[k][:0], pr.readers[k-1], st.schema, win, starts[k], bound(k), 0, 0, d.textStable(), true)
		}()
	}
	pieces[0] = first
	if first.next > 0 && first.next < bound(0) {
		l, c := positionAfter(win[:first.next], line, col)
		if rest := decodePiece(first.spans, st.r, st.schema, win, first.next, bound(0), l, c, d.textStable(), false); len(rest.spans) > len(first.spans) {
			pieces[0] = rest
		}
	}
	wg.Wait()

	for k := range pieces {
		if k > 0 && pieces[k-1].next != starts[k] {
			piecesMissed.Add(1)
			break
		}
		if len(pieces[k].spans) == 0 {
			break // it stopped at its start: the element there is read in order
		}
		if k > 0 {
			piecesKept.Add(1)
		}
		for _, s := range pieces[k].spans {
			st.add(s)
		}
		st.n += len(pieces[k].spans)
		end = pieces[k].end
	}
	for k := range pieces {
		pr.spans[k] = pieces[k].spans[:0]
	}
	return d.start + end, true
}

// decodePiece decodes the span list elements of win from its element at
// from until one begins at or after bound, with p, and appends them to
// dst; line and col are
// from's place in the input (helper: not known, so it stops before a span
// that warns and leaves it to the decoding in order).
func decodePiece(dst []Span, p *reader, schema Schema, win []byte, from, bound, line, col int, stable, helper bool) spanPiece {
	piece := spanPiece{spans: dst, end: from, next: -1}
	p.schema = schema
	i := from
	for i < bound && i < len(win) && win[i] == '{' {
		p.setDoc(win[i:], nil, line, col, stable)
		nw := len(p.warnings)
		var sd SpanData
		e, good := p.tryParseSpan(&sd)
		if !good || (helper && len(p.warnings) > nw) {
			p.warnings = p.warnings[:nw]
			return piece
		}
		piece.spans = append(piece.spans, p.newSpan(sd))
		piece.end = i + e
		piece.next = -1
		j := skipWS(win, piece.end)
		if j == len(win) || win[j] != ',' {
			return piece
		}
		j = skipWS(win, j+1)
		if !helper {
			line, col = positionAfter(win[i:j], line, col)
		}
		piece.next, i = j, j
	}
	return piece
}

// positionAfter is the line and column after seg when it begins at line,
// col.
func positionAfter(seg []byte, line, col int) (int, int) {
	if nl := bytes.Count(seg, []byte{'\n'}); nl > 0 {
		return line + nl, len(seg) - bytes.LastIndexByte(seg, '\n')
	}
	return line, col + len(seg)
}

// spanStart returns the offset in b, at or after from, of the first '{'
// that seems to begin a span list element: '}' ',' '{' (whitespace
// between them allowed) and then key, the first span's first key,
// followed by ':'. -1 when there is none.
func spanStart(b []byte, from int, key []byte) int {
	for from < len(b) {
		k := bytes.Index(b[from:], key)
		if k < 0 {
			return -1
		}
		k += from
		from = k + 1
		if j := skipWS(b, k+len(key)); j == len(b) || b[j] != ':' {
			continue
		}
		open := skipWSBack(b, k)
		if open < 0 || b[open] != '{' {
			continue
		}
		comma := skipWSBack(b, open)
		if comma < 0 || b[comma] != ',' {
			continue
		}
		if c := skipWSBack(b, comma); c < 0 || b[c] != '}' {
			continue
		}
		return open
	}
	return -1
}

// skipWSBack returns the index of the last byte before i that is not
// JSON whitespace, or -1.
func skipWSBack(b []byte, i int) int {
	for i--; i >= 0; i-- {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}
