package spanjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
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

	line, col int // position of buf[start]
	docs      int
	failed    error // sticky error: Next keeps returning it
}

const readChunk = 64 << 10

// NewDecoder reads from r; name is used in errors and warnings ("-" is
// shown as "<stdin>").
func NewDecoder(r io.Reader, name string) *Decoder {
	if name == "-" || name == "" {
		name = "<stdin>"
	}
	return &Decoder{r: r, name: name, line: 1, col: 1}
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
	return doc, err
}

func (d *Decoder) next() (*Document, error) {
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
	end, complete := d.scanValue()
	raw := d.buf[d.start:end]
	if !complete {
		if d.rerr != nil {
			return nil, fmt.Errorf("%s: %w", d.name, d.rerr)
		}
		return nil, d.syntaxError(raw, line, col, true)
	}
	if !gjson.ValidBytes(raw) {
		return nil, d.syntaxError(raw, line, col, false)
	}
	d.docs++
	doc := decodeDocument(raw, d.name, line, col)
	d.advance(end)
	if doc.err != nil {
		return nil, doc.err
	}
	return &doc.Document, nil
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
// false when no more input can come.
func (d *Decoder) fill() bool {
	if d.eof {
		return false
	}
	if d.start > 0 && d.start == d.n {
		d.start, d.n = 0, 0
	}
	if d.n == len(d.buf) {
		if d.start > len(d.buf)/2 {
			// Reuse the consumed front instead of growing.
			d.n = copy(d.buf, d.buf[d.start:d.n])
			d.start = 0
		} else {
			size := max(2*len(d.buf), readChunk)
			nb := make([]byte, size)
			d.n = copy(nb, d.buf[d.start:d.n])
			d.start = 0
			d.buf = nb
		}
	}
	for tries := 0; tries < 100; tries++ {
		m, err := d.r.Read(d.buf[d.n:])
		d.n += m
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

// skipSpace consumes whitespace (and a UTF-8 byte order mark at the very
// start of the input).
func (d *Decoder) skipSpace() error {
	for {
		i := d.start
		for i < d.n {
			c := d.buf[i]
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				break
			}
			i++
		}
		d.advance(i)
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

// scanValue finds the end of the object or array at buf[start], reading
// more input as needed. complete is false when the input ended first.
func (d *Decoder) scanValue() (end int, complete bool) {
	depth := 0
	inStr := false
	i := d.start
	for {
		for i < d.n {
			if inStr {
				j := bytes.IndexByte(d.buf[i:d.n], '"')
				if j < 0 {
					i = d.n
					break
				}
				i += j
				// An odd run of backslashes before the quote escapes it.
				bs := 0
				for k := i - 1; k > d.start && d.buf[k] == '\\'; k-- {
					bs++
				}
				i++
				if bs%2 == 0 {
					inStr = false
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
	// Cut the offending token out of the current line for the message.
	rest := d.buf[d.start:d.n]
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	e := &SyntaxError{File: d.name, Line: line, Col: col}
	e.LineText, e.LineTextCol = d.lineText(d.start, col)
	switch {
	case c == '"' || c == '-' || (c >= '0' && c <= '9') || bytes.HasPrefix(rest, []byte("true")) || bytes.HasPrefix(rest, []byte("false")) || bytes.HasPrefix(rest, []byte("null")):
		e.Msg = "a bare JSON value is not a trace document; " + acceptedShapes
	default:
		r, _ := utf8.DecodeRune(rest)
		e.Msg = fmt.Sprintf("invalid character %q looking for the beginning of a JSON document", r)
	}
	return e
}

// syntaxError locates the first JSON error in raw (a document starting at
// line, col). truncated says the input ended inside the document.
func (d *Decoder) syntaxError(raw []byte, line, col int, truncated bool) error {
	off := len(raw)
	msg := ""
	var dec = json.NewDecoder(bytes.NewReader(raw))
	var v json.RawMessage
	err := dec.Decode(&v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read including the offending one.
		off = int(se.Offset) - 1
		if off < 0 {
			off = 0
		}
		if off >= len(raw) {
			off = len(raw)
			msg = "unexpected end of input: the document is incomplete (truncated file?)"
		} else {
			msg = se.Error()
		}
	case err == nil || truncated:
		if truncated || dec.InputOffset() >= int64(len(raw)) {
			msg = "unexpected end of input: the document is incomplete (truncated file?)"
		} else {
			off = int(dec.InputOffset())
			msg = "invalid JSON"
		}
	default:
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			msg = "unexpected end of input: the document is incomplete (truncated file?)"
		} else {
			off = 0
			msg = "invalid JSON: " + err.Error()
		}
	}
	if err == nil && !truncated {
		// encoding/json accepted what gjson rejected (e.g. a lone surrogate);
		// point at the document.
		off = 0
		msg = "invalid JSON document"
	}
	l, c := line, col
	seg := raw[:off]
	if nl := bytes.Count(seg, []byte{'\n'}); nl > 0 {
		l += nl
		c = len(seg) - bytes.LastIndexByte(seg, '\n')
	} else {
		c += len(seg)
	}
	e := &SyntaxError{File: d.name, Line: l, Col: c, Msg: msg}
	e.LineText, e.LineTextCol = d.lineText(d.start+off, c)
	return e
}

const maxLineText = 200

// lineText returns the input line holding buf[pos] (col is its column),
// clipped to about maxLineText bytes around pos.
func (d *Decoder) lineText(pos, col int) (string, int) {
	lo := pos - (col - 1)
	if lo < 0 {
		lo = 0
	}
	hi := pos
	for hi < d.n && d.buf[hi] != '\n' {
		hi++
	}
	if hi > lo && d.buf[hi-1] == '\r' {
		hi--
	}
	tcol := pos - lo + 1
	if hi-lo > maxLineText {
		from := max(lo, pos-maxLineText/2)
		to := min(hi, from+maxLineText)
		tcol = pos - from + 1
		lo, hi = from, to
	}
	if pos > hi { // error at the very end of the input
		hi = pos
	}
	if hi > d.n {
		hi = d.n
	}
	return string(d.buf[lo:hi]), tcol
}

// bytesString views b as a string without copying. The caller must not
// modify b while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
