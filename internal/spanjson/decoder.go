package spanjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Decoder reads the documents of one input one at a time, so a JSON Lines
// input of any length is decoded in memory bounded by its largest document.
//
// Framing: the input is a sequence of JSON values separated by whitespace
// (one document, JSON Lines, or concatenated pretty documents). Each value is
// cut out with a small scanner that only tracks strings and nesting, then
// validated and decoded with gjson.
type Decoder struct {
	r    io.Reader
	name string

	buf   []byte // buf[start:n] holds read, unconsumed input
	start int
	n     int
	eof   bool
	rerr  error // a read error other than io.EOF

	line, col int   // position of buf[start]
	remaining int64 // bytes left in a regular file (-1: unknown), so buf never outgrows the input
	// wholeDoc is set while a document that is kept whole (not streamed)
	// is framed: the buffer then grows to all that is left at once.
	wholeDoc bool
	// validDoc: the framer validated the document (validateRest), whose
	// big containers end where validEnds says.
	validDoc  bool
	validEnds map[int]int
	docs      int
	failed    error // sticky error: Next keeps returning it

	// lent is set when buf has been handed to a document decoder, which
	// may keep strings that point into it (the OTLP reader does): from
	// then on fill never writes over buf but reads into a new buffer, and
	// the GC keeps the old one alive for as long as anything points into
	// it. This is the one rule for text that outlives a read: bytes handed
	// out are never reused.
	lent bool
	// docAt is where in buf the document being decoded began (see lineIn).
	docAt int
	// carry is the allocation blocks the documents decoded here go on
	// filling (see slabs).
	carry  slabs
	shared *Blocks // ShareBlocks: where carry goes after each document
	minBuf int     // the first buffer's size; readChunk unless a test sets it

	// logs counts the console log records skipped so far: one warning
	// for all of them ends the input (logSummary).
	logs     consoleCount
	logsLine int

	workers int // SetWorkers
	// lists are the cuts scanDoc noted in the document it framed last
	// (listCut).
	lists []listCut
	// Framing by blocks (frameBlock), the consumer's side: the documents
	// of the block being handed on, and the slot after whose queue the
	// framing goes on by documents (toDocuments), at resume when it is a
	// block. noBlocks is set from then on.
	queue    []decodedDoc
	switchAt *slot
	resume   resumePoint
	noBlocks bool
	small    bool // SetSmall
	blocks   int  // blocks decoded or cut so far (by the framer, or decodeSmall); read by tests after the end
	// pipe is the framer and workers, once started; pipeMu guards it and
	// closed, since Close may run while Next starts it on another
	// goroutine (a stream's reader).
	pipeMu sync.Mutex
	pipe   *pipeline
	closed bool

	// mapped, when its Data is set, is all of the input in memory that
	// never changes (NewDecoderMapped): fill takes buf as a view of it
	// where it would read into a buffer of its own. mapOff is how much of
	// it fill has taken; buf[start:n] is always
	// mapped.Data[mapOff-(n-start):mapOff].
	mapped  Mapped
	mapOff  int
	mapGone int // mapped.Data[:mapGone] was given to Release (releaseBehind)
}

const readChunk = 64 << 10

// blockChunk is the least size of the buffers the framer reads into once
// it cuts blocks (see fill).
const blockChunk = 1 << 20

func (d *Decoder) firstSize() int {
	if d.minBuf > 0 {
		return d.minBuf
	}
	return readChunk
}

// NewDecoder reads from r; name is used in errors and warnings ("-" is
// shown as "<stdin>").
func NewDecoder(r io.Reader, name string) *Decoder {
	if name == "-" || name == "" {
		name = "<stdin>"
	}
	return &Decoder{r: r, name: name, line: 1, col: 1, remaining: remainingBytes(r)}
}

// NewDecoderBytes decodes data, all of an input read beforehand (a small
// file read whole): as NewDecoder over a bytes.Reader, without copying data
// into a read buffer of its own. data is never written over.
func NewDecoderBytes(data []byte, name string) *Decoder {
	d := NewDecoder(nil, name)
	d.buf, d.n, d.eof, d.lent, d.remaining = data, len(data), true, true, 0
	return d
}

// Mapped is an input held whole in memory that is never written over
// while the process runs: a file mapped read-only (NewDecoderMapped).
type Mapped struct {
	Data []byte
	// Took, if not nil, is told how many bytes each read took, as a
	// reader would have returned them; an error from it ends the input as
	// a read error does.
	Took func(n int) error
	// Release, if not nil, is given the parts of Data the decoder has
	// passed (releaseBehind), to give their pages back to the system;
	// the model may still point into them, so they must come back when
	// read again (from the mapped file).
	Release func(b []byte)
}

// NewDecoderMapped decodes m.Data as NewDecoder decodes a reader of the
// same bytes: the same documents, warnings and errors, the same pieces
// for its workers; but each read is a view of m.Data instead of a copy
// into a buffer of its own, and strings of the model may point into it.
func NewDecoderMapped(m Mapped, name string) *Decoder {
	d := NewDecoder(nil, name)
	d.mapped, d.remaining, d.lent = m, int64(len(m.Data)), true
	if len(m.Data) == 0 {
		d.eof = true
	}
	return d
}

// remainingBytes is how much a regular file, or a reader with a Len
// method, has left to read, -1 when r is neither: a 500 MB document then
// costs one 500 MB buffer, not a doubled one.
func remainingBytes(r io.Reader) int64 {
	if l, ok := r.(interface{ Len() int }); ok {
		return int64(l.Len()) // a bytes.Reader, or a reader that knows (ingest's lenReader)
	}
	f, ok := r.(*os.File)
	if !ok {
		return -1
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return -1
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > st.Size() {
		return -1
	}
	return st.Size() - off
}

// Next returns the next document, or io.EOF after the last. An empty input
// is an error, not io.EOF on the first call.
func (d *Decoder) Next() (*Document, error) {
	if d.failed != nil {
		return nil, d.failed
	}
	doc, err := d.next()
	if err != nil && err != io.EOF {
		d.failed = err
	}
	if d.shared != nil {
		d.shared.s = d.carry
	}
	return doc, err
}

// Blocks are the allocation blocks the documents of a decoder fill (see
// slabs), kept for the next decoder. The zero value is ready.
type Blocks struct{ s slabs }

// ShareBlocks makes the decoder go on filling the blocks b holds, and
// leave them there after each Next. Decoders that run one after another
// on one goroutine (ingest's reading ahead of an export directory's small
// files) share them as the documents of one input do: a trace of 44 spans
// no longer starts blocks of its own, which grow 1, 4, 16, 64 spans at a
// time (newBlock, nextBlock). Blocks are only ever appended to, so what
// earlier documents hold stays theirs. Call it before the first Next, on
// a decoder without workers, and give b to one decoder at a time.
func (d *Decoder) ShareBlocks(b *Blocks) {
	keep := d.carry.untilRead
	d.carry, d.shared = b.s, b
	d.carry.untilRead = keep
}

func (d *Decoder) next() (*Document, error) {
	for {
		var doc decodedDoc
		var err error
		if d.workers > 1 {
			doc, err = d.nextParallel()
		} else {
			doc, err = d.nextDoc()
		}
		if err == io.EOF && d.logs.logRecords > 0 {
			return d.logSummary(), nil
		}
		if err != nil {
			return nil, err
		}
		if doc.console.logRecords > 0 {
			if d.logs.logRecords == 0 {
				d.logs.firstLog, d.logsLine = doc.console.firstLog, doc.Line
			}
			d.logs.logRecords += doc.console.logRecords
			if len(doc.Traces) == 0 && len(doc.Warnings) == 0 {
				continue // a log record alone: nothing to hand on
			}
		}
		return &doc.Document, nil
	}
}

// logSummary is the document that ends an input whose console log records
// were skipped: no traces, one warning that counts them.
func (d *Decoder) logSummary() *Document {
	n := d.logs.logRecords
	msg := "1 log record (ConsoleLogExporter output, not a span) skipped"
	if n > 1 {
		msg = fmt.Sprintf("%d log records (ConsoleLogExporter output, not spans) skipped; the first is here", n)
	}
	doc := &Document{Schema: SchemaOTelConsole, Shape: "OpenTelemetry console log records", Line: d.logsLine,
		Warnings: []Warning{{Where: d.logs.firstLog, Msg: msg}}}
	d.logs = consoleCount{}
	return doc
}

// nextDoc frames and decodes the next document (without workers, and in
// the tests that read the decoder's buffer directly).
func (d *Decoder) nextDoc() (decodedDoc, error) {
	if d.small && d.docs == 0 && !d.noBlocks {
		d.decodeSmall()
	}
	if doc, ok := d.popQueue(); ok {
		return doc, nil
	}
	f, err := d.frameNext()
	if err != nil {
		return decodedDoc{}, err
	}
	return f.decode(&d.carry)
}

// popQueue hands on the next document of the block being handed on.
func (d *Decoder) popQueue() (decodedDoc, bool) {
	if len(d.queue) == 0 {
		return decodedDoc{}, false
	}
	doc := d.queue[0]
	d.queue[0] = decodedDoc{}
	d.queue = d.queue[1:]
	return doc, true
}

// frame is one document cut out of the input and not decoded yet (see
// frameNext), or one decoded while it was framed (a big document, its
// spans streamed).
type frame struct {
	name      string
	buf       []byte // the read buffer when the document was cut: buf[at:end] is the document
	at, end   int
	line, col int
	doc       decodedDoc // decoded is set: the document, already decoded
	decoded   bool
	// block: buf[at:end] is whole lines of the input, any number of
	// documents (frameBlock). toDocuments: no frame, the framer stops
	// framing blocks here.
	block, toDocuments bool
}

// wholeMax is the size up to which a document is cut out whole and decoded
// apart from the framing (on a worker): a bigger one is decoded while it is
// framed, its span list streamed, in memory bounded by the model.
const wholeMax = 1 << 20

// frameNext cuts the next document out of the input. A document up to
// wholeMax bytes is returned undecoded: frame.decode, on any goroutine,
// decodes it exactly as the framer would have (the same code runs over the
// same bytes, which are never written over: lent). A bigger one, or one the
// input ends inside, is decoded here, as it is read.
func (d *Decoder) frameNext() (*frame, error) {
	if err := d.skipSpace(); err != nil {
		return nil, err
	}
	if d.start == d.n {
		if d.rerr != nil {
			return nil, fmt.Errorf("%s: %w", d.name, d.rerr)
		}
		if d.docs == 0 {
			return nil, fmt.Errorf("%s: %w", d.name, ErrEmptyInput)
		}
		return nil, io.EOF
	}
	line, col := d.line, d.col
	c := d.buf[d.start]
	if c != '{' && c != '[' {
		return nil, d.badStart(c, line, col)
	}
	if end, ok := d.scanWhole(wholeMax); ok {
		f := &frame{name: d.name, buf: d.buf[:d.n], at: d.start, end: end, line: line, col: col}
		d.lent = true
		d.docs++
		d.advance(end)
		return f, nil
	}
	doc, err := d.decodeAt(line, col)
	if err != nil {
		return nil, err
	}
	return &frame{doc: doc, decoded: true}, nil
}

// decode decodes a framed document: the framer's own steps (decodeAt), on
// a decoder over the bytes read when the document was cut, which reads
// nothing more. Its model fills the allocation blocks of carry (see slabs).
func (f *frame) decode(carry *slabs) (decodedDoc, error) {
	if f.decoded {
		return f.doc, nil
	}
	sub := &Decoder{name: f.name, buf: f.buf[f.at:f.end:f.end], n: f.end - f.at, eof: true,
		line: f.line, col: f.col, remaining: -1, docs: 1, lent: true, carry: *carry}
	defer func() { *carry = sub.carry }()
	return sub.decodeAt(f.line, f.col)
}

// scanWhole finds the end of the object or array at buf[start] when it is
// at most limit bytes long, reading more input as needed; ok is false when
// it is longer or the input ends first (buf[start:] is still unconsumed).
func (d *Decoder) scanWhole(limit int) (end int, ok bool) {
	depth := 0
	inStr := false
	i := d.start
	for {
		stop := min(d.n, d.start+limit)
		for i < stop {
			if inStr {
				if i, inStr = stringEnd(d.buf, d.start, i, stop); inStr {
					break
				}
				continue
			}
			switch d.buf[i] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		if i-d.start >= limit {
			return 0, false
		}
		off := i - d.start
		if !d.fill() {
			return 0, false
		}
		i = d.start + off
	}
}

// decodeAt frames (its span list streamed) and decodes the document at
// buf[start], which is at line, col.
func (d *Decoder) decodeAt(line, col int) (decodedDoc, error) {
	d.docAt = d.start
	d.validDoc, d.validEnds = false, nil
	end, st, err := d.scanDoc(line, col)
	d.wholeDoc = false
	if err != nil {
		return decodedDoc{}, err
	}
	raw := d.buf[d.start:end]
	if st != nil {
		raw = append(st.prefix, raw...)
	}
	valid, ends := d.validDoc, d.validEnds
	if !valid {
		_, valid, ends = validJSON(raw)
	}
	if !valid {
		if st != nil {
			return decodedDoc{}, d.skeletonError(st, raw, line, col, d.start)
		}
		return decodedDoc{}, d.syntaxError(raw, line, col, false)
	}
	d.docs++
	if st == nil {
		d.lent = true // raw is a view of buf (with st it is a copy)
	}
	var cuts *docCuts
	if st == nil && len(d.lists) > 0 && d.workers > 1 {
		cuts = &docCuts{lists: d.lists, workers: d.workers}
	}
	doc := decodeDocument(raw, ends, d.name, line, col, st, &d.carry, cuts)
	d.advance(end)
	if doc.err != nil {
		return decodedDoc{}, doc.err
	}
	return doc, nil
}

// advance consumes buf[start:end], keeping line and col up to date.
func (d *Decoder) advance(end int) {
	seg := d.buf[d.start:end]
	if nl := bytes.Count(seg, []byte{'\n'}); nl > 0 {
		d.line += nl
		d.col = len(seg) - bytes.LastIndexByte(seg, '\n')
	} else {
		d.col += len(seg)
	}
	d.start = end
}

// fill reads more input into buf, growing it when it is full. It returns
// false when no more input can come. Consumed bytes are reused in place only
// while none of buf was lent (see Decoder.lent).
func (d *Decoder) fill() bool {
	if d.eof {
		return false
	}
	if d.mapped.Data != nil {
		return d.fillMapped()
	}
	if d.start > 0 && d.start == d.n && !d.lent {
		d.docAt -= d.start
		d.start, d.n = 0, 0
	}
	if d.n == len(d.buf) {
		size := d.nextSize()
		if size == len(d.buf) && !d.lent {
			// Reuse the consumed front instead of growing.
			d.n = copy(d.buf, d.buf[d.start:d.n])
		} else {
			nb := make([]byte, size)
			if size >= bigBlock {
				adviseHugePages(unsafe.Pointer(&nb[0]), size) // see newBlock
			}
			d.n = copyInSteps(nb, d.buf[d.start:d.n])
			d.buf, d.lent = nb, false
		}
		d.docAt -= d.start // below 0 when the document's start is gone: the line is cut at the buffer's
		d.start = 0
	}
	for tries := 0; tries < 100; tries++ {
		m, err := d.r.Read(d.buf[d.n:])
		d.n += m
		if d.remaining >= 0 {
			d.remaining = max(d.remaining-int64(m), 0)
		}
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.rerr = err
			}
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
	d.eof = true
	d.rerr = io.ErrNoProgress
	return false
}

// nextSize is the size of the buffer fill reads into next when buf is
// full (of read bytes, some of them consumed).
func (d *Decoder) nextSize() int {
	size := len(d.buf)
	if d.start <= len(d.buf)/2 {
		size = max(2*len(d.buf), d.firstSize())
	}
	if d.lent && d.blocks > 0 {
		// The framer cuts a block from each buffer: a bigger one
		// makes fewer blocks, so fewer hand-offs between goroutines,
		// each a wake-up of a sleeping worker. status over the
		// 538 MB dump: 2.0 s -> 1.6 s, and 10,000 reads -> 530.
		size = max(size, blockChunk)
	}
	if d.remaining > 0 && size > len(d.buf) {
		// +1 leaves room for the read that reports EOF. Once a
		// doubling reaches half of what is left, the buffer takes
		// all of it at once: the step after would have copied the
		// whole buffer again for the last few bytes (134 MB for
		// the last 4 MB of a 138 MB Jaeger document).
		//
		// Nor more than all of it: a file of an export directory
		// (27 KB) took a 64 KiB buffer, 1.3 GB allocated and cleared
		// for 538 MB of 20,000 files.
		all := d.n - d.start + int(min(d.remaining, int64(math.MaxInt-1))) + 1
		if size = min(size, all); 2*size >= all || (d.wholeDoc && d.remaining <= wholeReadMax) {
			// A document kept whole is most often all of its file
			// (a Jaeger download): growing by doublings copied
			// 1.3 GB on the way to a 693 MB one (0.55 s).
			size = all
		}
	}
	return size
}

// textStable says the bytes read so far are never written over again, so
// the model may keep views of them (see reader.stable): all the input has
// been read, or it is mapped.
func (d *Decoder) textStable() bool { return d.eof || d.mapped.Data != nil }

// releaseMargin is how far behind the reads of a mapped input its pages
// are kept: the workers decode what the framer read before (a few
// frames), and a page given back that is read again is a page fault (it
// comes back from the file). releaseStep is the least given back at once.
// status over the 538 MB dump: peak RSS 112 MB read, 134 MB mapped with
// 16 and 8 MiB, 122 MB with these. Variables for tests.
var (
	releaseMargin = 8 << 20
	releaseStep   = 4 << 20
)

// releaseBehind gives mapped.Release what is before at, less
// releaseMargin: a mapped input of 500 MB streamed through would otherwise
// count whole in the process's memory.
func (d *Decoder) releaseBehind(at int) {
	upTo := (at - releaseMargin) &^ (releaseStep - 1)
	if d.mapped.Release == nil || upTo-d.mapGone < releaseStep {
		return
	}
	d.mapped.Release(d.mapped.Data[d.mapGone:upTo])
	d.mapGone = upTo
}

// fillMapped is fill for a decoder of mapped input: where fill would read
// into a buffer of nextSize, buf becomes the view of mapped of that size
// that begins with its unconsumed bytes, all of it read.
func (d *Decoder) fillMapped() bool {
	tail := d.n - d.start
	at := d.mapOff - tail
	end := min(len(d.mapped.Data), at+max(d.nextSize(), tail+1))
	took := end - d.mapOff
	if d.mapped.Took != nil && took > 0 {
		if err := d.mapped.Took(took); err != nil {
			d.eof, d.rerr = true, err
			return false
		}
	}
	d.buf = d.mapped.Data[at:end:end]
	d.docAt -= d.start
	d.start, d.n, d.mapOff = 0, len(d.buf), end
	d.remaining -= int64(took)
	if end == len(d.mapped.Data) {
		d.eof = true
	}
	d.releaseBehind(at)
	return took > 0
}

// copyInSteps is copy(dst, src) a few MiB at a time. One copy is one
// memmove, which the runtime cannot stop in the middle: a collection that
// began meanwhile sent the goroutine signal after signal until it ended
// (3.3 s of `tracectl roots` on a 693 MB Jaeger file went to that while
// its read buffer grew by copies of up to 256 MB).
func copyInSteps(dst, src []byte) int {
	const step = 4 << 20
	n := 0
	for n < len(src) && n < len(dst) {
		n += copy(dst[n:], src[n:min(n+step, len(src))])
	}
	return n
}

// skipSpace consumes whitespace (and a UTF-8 byte order mark at the very
// start of the input).
func (d *Decoder) skipSpace() error {
	for {
		d.advance(skipWS(d.buf[:d.n], d.start))
		if d.start < d.n {
			if d.docs == 0 && d.line == 1 && d.col == 1 && d.n-d.start >= 3 && bytes.HasPrefix(d.buf[d.start:d.n], []byte("\xef\xbb\xbf")) {
				d.start += 3
				continue
			}
			return nil
		}
		if !d.fill() {
			return nil
		}
	}
}

// stringEnd serves the framers (scanValue, scanDoc): it looks in buf[i:n]
// for the quote that ends the JSON string being scanned, buf[lo] being at or
// before its opening quote. It returns the index after that quote and false,
// or n and true when buf[i:n] ends inside the string. A quote after an odd
// run of backslashes is escaped.
func stringEnd(buf []byte, lo, i, n int) (int, bool) {
	for {
		j := bytes.IndexByte(buf[i:n], '"')
		if j < 0 {
			return n, true
		}
		i += j
		bs := 0
		for k := i - 1; k > lo && buf[k] == '\\'; k-- {
			bs++
		}
		i++
		if bs%2 == 0 {
			return i, false
		}
	}
}

// scanValue finds the end of the object or array at buf[start], reading
// more input as needed. complete is false when the input ended first.
func (d *Decoder) scanValue() (end int, complete bool) {
	depth := 0
	inStr := false
	i := d.start
	for {
		for i < d.n {
			if inStr {
				if i, inStr = stringEnd(d.buf, d.start, i, d.n); inStr {
					break
				}
				continue
			}
			switch d.buf[i] {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		off := i - d.start
		if !d.fill() {
			return d.n, false
		}
		i = d.start + off
	}
}

// badStart reports a document that does not start with { or [.
func (d *Decoder) badStart(c byte, line, col int) error {
	// Cut the offending token out of the current line for the message,
	// with enough of it read to tell (the same whatever the read sizes).
	for d.n-d.start < maxLineText && bytes.IndexByte(d.buf[d.start:d.n], '\n') < 0 && d.fill() {
	}
	rest := d.buf[d.start:d.n]
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	e := &SyntaxError{File: d.name, Line: line, Col: col}
	e.LineText, e.LineTextCol = d.lineFromHere(col)
	switch {
	case c == '"' || c == '-' || (c >= '0' && c <= '9') || bytes.HasPrefix(rest, []byte("true")) || bytes.HasPrefix(rest, []byte("false")) || bytes.HasPrefix(rest, []byte("null")):
		e.Msg = "a bare JSON value is not a trace document; " + acceptedShapes
	default:
		r, _ := utf8.DecodeRune(rest)
		e.Msg = fmt.Sprintf("invalid character %q looking for the beginning of a JSON document", r)
	}
	return e
}

// syntaxError locates the first JSON error in raw, which is buf[start:…]
// and starts at line, col. truncated says the input ended inside it.
func (d *Decoder) syntaxError(raw []byte, line, col int, truncated bool) error {
	off := len(raw)
	if !truncated {
		off = errorOffset(raw)
	} else if o := errorOffset(raw); o < len(raw) {
		off = o // a real error before the end: a broken line of JSON Lines
	}
	e := d.errorAt(raw, off, line, col)
	e.Msg = errorMessage(raw, off)
	e.LineText, e.LineTextCol = d.lineIn(d.start+off, e.Col, d.start+len(raw))
	return e
}

const truncatedMsg = "unexpected end of input: the document is incomplete (truncated file?)"

// errorOffset returns the offset of the first byte of raw that makes it
// invalid JSON, len(raw) when it ends too early.
func errorOffset(raw []byte) int {
	bad, ok, _ := validJSON(raw)
	if ok {
		return len(raw)
	}
	return bad
}

// errorMessage describes the error at raw[off] in encoding/json's words.
func errorMessage(raw []byte, off int) string {
	if off >= len(raw) {
		return truncatedMsg
	}
	var v json.RawMessage
	err := json.Unmarshal(raw[:off+1], &v)
	var se *json.SyntaxError
	if errors.As(err, &se) && int(se.Offset) == off+1 {
		return se.Error()
	}
	r, _ := utf8.DecodeRune(raw[off:])
	return fmt.Sprintf("invalid character %q", r)
}

// errorAt converts offset off of seg (which starts at line, col) into a
// located SyntaxError.
func (d *Decoder) errorAt(seg []byte, off, line, col int) *SyntaxError {
	pre := seg[:off]
	if nl := bytes.Count(pre, []byte{'\n'}); nl > 0 {
		line += nl
		col = len(pre) - bytes.LastIndexByte(pre, '\n')
	} else {
		col += len(pre)
	}
	return &SyntaxError{File: d.name, Line: line, Col: col}
}

const maxLineText = 200

// lineTextOf returns the line of b holding b[pos] (col is its column in
// the input), clipped to about maxLineText bytes around pos, and the
// 1-based column of pos in the returned text.
func lineTextOf(b []byte, pos, col int) (string, int) {
	pos = min(max(pos, 0), len(b))
	lo := max(pos-(col-1), 0)
	if i := bytes.LastIndexByte(b[lo:pos], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := pos
	for hi < len(b) && b[hi] != '\n' {
		hi++
	}
	if hi > lo && b[hi-1] == '\r' && hi-1 >= pos {
		hi--
	}
	if hi-lo > maxLineText {
		from := max(lo, pos-maxLineText/2)
		to := min(hi, from+maxLineText)
		lo, hi = from, max(to, pos)
	}
	return string(b[lo:hi]), pos - lo + 1
}

// The line shown under an error ends with the document it is in, and a
// document cut out whole is decoded from a buffer that begins with it
// (frame.decode): the line is the same whatever the read sizes and however
// the input was framed (see frameBlock). A document that does not start
// with { or [ shows its line from there on (lineFromHere).

// lineIn is the line holding buf[pos] (column col), cut to the document
// being decoded: from its start (docAt) to end.
func (d *Decoder) lineIn(pos, col, end int) (string, int) {
	lo := min(max(d.docAt, 0), pos)
	return lineTextOf(d.buf[lo:end], pos-lo, col)
}

// lineFromHere is the line from buf[start] (column col) on, read up to
// its newline or maxLineText bytes.
func (d *Decoder) lineFromHere(col int) (string, int) {
	for d.n-d.start < maxLineText && bytes.IndexByte(d.buf[d.start:d.n], '\n') < 0 && d.fill() {
	}
	return lineTextOf(d.buf[d.start:d.n], 0, col)
}

// bytesString views b as a string without copying. The caller must not
// modify b while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Framing by blocks. With workers, the framer by documents (frameNext)
// scans every byte to find where each document ends, on one goroutine,
// and the worker then scans the same bytes again as it decodes: on a JSON
// Lines dump of 20,000 traces that scan was a serial seventh of the CPU
// time of `tracectl status`. So after the first document, the framer cuts
// the input after its last newline read so far (frameBlock, lastNewline)
// and a worker decodes the documents of that block one after
// the other (decodeBlock), finding their ends as it decodes them.
//
// A block gives the same documents as framing by documents would, since
// the same code (decodeAt) decodes each from the same bytes. Anything
// else, a document that fails or runs past the block's end (a pretty
// document cut at one of its own newlines), stops the block there, and the
// input goes on by documents from that document (toDocuments), so its
// error, or the document, is what one worker gives. A line longer than
// wholeMax ends the blocks as well: such a document is streamed.

// SetSmall says the input is a small file (at most 1 MiB, say an export
// directory's trace file): without workers, the decoder reads it whole
// and decodes its documents as one block (decodeBlock), without the
// framer's scan for their ends, going back to framing by documents from
// the start when the block stops short. Call it before the first Next.
func (d *Decoder) SetSmall() { d.small = true }

// decodeSmall is SetSmall's first step: the input read whole and decoded
// as a block, its documents queued; or, when it is bigger than wholeMax or
// a document fails or the block has none, nothing consumed (noBlocks).
func (d *Decoder) decodeSmall() {
	d.noBlocks = true
	if d.skipSpace() != nil || d.start == d.n {
		return // an empty input, or a read error: framing by documents says it
	}
	for d.n-d.start <= wholeMax && d.fill() {
	}
	if d.rerr != nil || d.n-d.start > wholeMax {
		return
	}
	r := d.blockFrame(d.n).decodeBlock(&d.carry)
	if r.resume != nil || len(r.docs) == 0 {
		return
	}
	d.queue, d.docs, d.lent = r.docs, len(r.docs), true
	d.blocks++
	d.advance(d.n)
}

// byBlocks reports whether the framer cuts blocks: with workers, after the
// first document, until toDocuments.
func (d *Decoder) byBlocks() bool { return d.workers > 1 && d.docs > 0 && !d.noBlocks }

// frameBlock cuts the input from d.start to after the last newline read
// (or to its end), reading until there is one.
func (d *Decoder) frameBlock() (*frame, error) {
	seen := 0 // bytes from start known to hold no newline: a line read in small pieces is searched once
	for {
		if nl := lastNewline(d.buf[d.start+seen : d.n]); nl >= 0 {
			return d.cutBlock(d.start + seen + nl + 1), nil
		}
		if seen = d.n - d.start; seen > wholeMax {
			return &frame{toDocuments: true}, nil
		}
		if !d.fill() {
			if d.start == d.n {
				if d.rerr != nil {
					return nil, fmt.Errorf("%s: %w", d.name, d.rerr)
				}
				return nil, io.EOF
			}
			return d.cutBlock(d.n), nil
		}
	}
}

// lastNewline is bytes.LastIndexByte(b, '\n') by bytes.IndexByte, which
// is vectorised where LastIndexByte goes byte by byte: a block holds a few
// lines, so a few calls cover it (12% of the framer's time before).
func lastNewline(b []byte) int {
	last := -1
	for {
		i := bytes.IndexByte(b[last+1:], '\n')
		if i < 0 {
			return last
		}
		last += i + 1
	}
}

// blockFrame is buf[start:end] as a block frame (see frameBlock).
func (d *Decoder) blockFrame(end int) *frame {
	return &frame{name: d.name, buf: d.buf[:end], at: d.start, end: end, line: d.line, col: d.col, block: true}
}

// cutBlock hands buf[start:end] on as a block and consumes it.
func (d *Decoder) cutBlock(end int) *frame {
	f := d.blockFrame(end)
	d.lent = true
	d.docs++
	d.blocks++
	d.advance(end)
	return f
}

// decodeBlock decodes the documents of a block in order, stopping at the
// first that fails or does not end inside it (see frameResult.resume).
func (f *frame) decodeBlock(carry *slabs) frameResult {
	sub := &Decoder{name: f.name, buf: f.buf, start: f.at, n: f.end, eof: true,
		line: f.line, col: f.col, remaining: -1, docs: 1, lent: true, carry: *carry}
	defer func() { *carry = sub.carry }()
	var r frameResult
	for {
		sub.advance(skipWS(sub.buf[:sub.n], sub.start))
		if sub.start == sub.n {
			return r
		}
		at, line, col := sub.start, sub.line, sub.col
		if c := sub.buf[at]; c == '{' || c == '[' {
			if doc, err := sub.decodeAt(line, col); err == nil {
				r.docs = append(r.docs, doc)
				continue
			}
		}
		r.resume = &resumePoint{at: at, line: line, col: col}
		return r
	}
}
