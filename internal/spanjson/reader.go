package spanjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// reader holds the state of decoding one document: where it is in its file
// (for warnings), the schema being read, and a small intern table so the
// many repeated keys and short values of a large trace share one string.
type reader struct {
	file            string
	json            string      // the document; strings kept in the model are copied out of it (but see stable)
	raw             []byte      // the same bytes
	ends            map[int]int // where large containers end (validJSON)
	cuts            *docCuts    // where long lists may be cut, when they may be decoded in pieces at once
	stream          *streamed   // the span list cut out while reading, if any
	cut             int         // offset of the list's ']' in json when streamed
	cutLine, cutCol int         // its position in the input
	postWarnings    []Warning   // warnings after the cut
	slabs                       // spans, attributes and strings are allocated in blocks
	// stable: raw is never written over again (its decoder has read all
	// it will read into it), so a text kept in the model may be a view of
	// it instead of a copy; the GC keeps raw alive while one is (see
	// lazyAttributes).
	stable           bool
	docLine, docCol  int
	schema           Schema
	warnings         []Warning
	locIdx, locLine  int // incremental offset → line cache for warnings
	locCol           int
	spanScratch      []Attribute
	eventAttrScratch []Attribute
	spanMarks        uint8   // spanMark* bits of the span being read
	envelope         []Field // members around a Databricks envelope's trace
	spansMade        int     // spans of this document made so far (newBlock)
	console          consoleCount
	lastTraceID      lastID // the trace id the last span read named
}

// lastID is a decoded trace id and the text it was decoded from: the spans
// of a trace repeat one id, whose base64 decoding was 3% of the CPU time of
// `tracectl status` over 20,000 traces.
type lastID struct {
	raw [32]byte // raw[:n] is the text: padded base64 (24 bytes) or hex (32)
	n   int      // 0: none yet
	id  TraceID
}

// docCuts are the cuts the framer noted in a document's long lists
// (listCut) and how many goroutines may decode their pieces.
type docCuts struct {
	lists   []listCut
	workers int
}

const (
	maxInterned   = 1 << 14
	maxInternSize = 40
)

// untilRead is what a decoder keeps of MLflow attribute maps as it read
// them, until they are read: the settings its workers, pieces and shared
// blocks carry together.
type untilRead struct {
	maps   bool // each map as its text (Decoder.SetLazyAttributes)
	values bool // inputs and outputs escaped (Decoder.SetLazyValues, valueEscaped)
}

// slabs are the blocks a reader allocates spans, attributes and strings
// in. A decoder hands them on from one document to the next (see
// Decoder.carry), so that the documents of a dump fill blocks together:
// blocks begun afresh for each document were half empty at its end, 600 MB
// of the 2.5 GB `tracectl status` allocated on 20,000 traces.
type slabs struct {
	slab     []spanData
	rareSlab []spanRare
	attrSlab []attrKV
	setSlab  []attrSet
	arena    []byte // string storage, see arenaString
	// untilRead is what of MLflow attribute maps is kept as read until
	// it is read (the lazy maps in lazySlab).
	untilRead untilRead
	lazySlab  []lazyAttrs
	// intern is the intern table (see interned), carried from document
	// to document like the blocks: a table made for each document was 92
	// MB of the 1.5 GB `status` allocated over 20,000 traces, and the
	// same names and types were copied into each.
	intern map[string]string
}

func newReader(raw []byte, file string, line, col int) *reader {
	return &reader{
		file: file, json: bytesString(raw), raw: raw, docLine: line, docCol: col,
		locLine: line, locCol: col,
	}
}

// piece returns a reader of the same document for a piece of it decoded
// on another goroutine (see parallelSpans): what it reads is shared, what
// it makes (intern table, allocation blocks, warnings) is its own.
func (p *reader) piece() *reader {
	c := newReader(p.raw, p.file, p.docLine, p.docCol)
	c.ends, c.schema, c.spansMade, c.untilRead = p.ends, p.schema, p.spansMade, p.untilRead
	c.cut, c.cutLine, c.cutCol = p.cut, p.cutLine, p.cutCol
	return c
}

// position converts a byte index of the document into a 1-based line and
// column of the file. Indexes mostly grow, so it counts newlines from the
// last answer.
func (p *reader) position(index int) (line, col int) {
	if index < 0 || index > len(p.json) {
		index = 0
	}
	if index < p.locIdx {
		p.locIdx, p.locLine, p.locCol = 0, p.docLine, p.docCol
	}
	seg := p.json[p.locIdx:index]
	if nl := strings.Count(seg, "\n"); nl > 0 {
		p.locLine += nl
		p.locCol = len(seg) - strings.LastIndexByte(seg, '\n')
	} else {
		p.locCol += len(seg)
	}
	p.locIdx = index
	return p.locLine, p.locCol
}

func (p *reader) where(index int) string {
	if p.cut > 0 && index >= p.cut {
		seg := p.json[p.cut:min(max(index, p.cut), len(p.json))]
		l, c := p.cutLine, p.cutCol
		if nl := strings.Count(seg, "\n"); nl > 0 {
			l += nl
			c = len(seg) - strings.LastIndexByte(seg, '\n')
		} else {
			c += len(seg)
		}
		return fmt.Sprintf("%s:%d:%d", p.file, l, c)
	}
	l, c := p.position(index)
	return fmt.Sprintf("%s:%d:%d", p.file, l, c)
}

func (p *reader) warn(index int, msg string) {
	w := Warning{Where: p.where(index), Msg: msg}
	if p.cut > 0 && index >= p.cut {
		p.postWarnings = append(p.postWarnings, w)
		return
	}
	p.warnings = append(p.warnings, w)
}

const slabSize = 256

// spanSlabSize fills a span block's 64 KiB (a block of a round number of
// spans would be rounded up to a size class, wasting the rest).
const spanSlabSize = 64 << 10 / int(unsafe.Sizeof(spanData{}))

// newSpan makes an immutable span whose data lives in a block shared with
// its neighbours: one allocation per slabSize spans instead of one each.
func (p *reader) newSpan(d SpanData) Span {
	if len(p.slab) == cap(p.slab) {
		p.slab = newBlock[spanData](p, nextBlock(cap(p.slab), spanSlabSize))
	}
	p.spansMade++
	var rare *spanRare
	if hasRare(&d) {
		if len(p.rareSlab) == cap(p.rareSlab) {
			p.rareSlab = make([]spanRare, 0, nextBlock(cap(p.rareSlab), slabSize))
		}
		p.rareSlab = p.rareSlab[:len(p.rareSlab)+1]
		rare = &p.rareSlab[len(p.rareSlab)-1]
	}
	p.slab = p.slab[:len(p.slab)+1]
	s := &p.slab[len(p.slab)-1]
	s.fill(&d, rare)
	return Span{d: s}
}

// newAttributes copies list into a block-allocated immutable attribute list.
func (p *reader) newAttributes(list []Attribute) Attributes {
	if len(list) == 0 {
		return Attributes{}
	}
	if cap(p.attrSlab)-len(p.attrSlab) < len(list) {
		p.attrSlab = newBlock[attrKV](p, max(nextBlock(cap(p.attrSlab), 4*slabSize), len(list)))
	}
	at := len(p.attrSlab)
	var types string
	p.attrSlab, types = packAttrs(p.attrSlab, list)
	set := p.newAttrSet()
	set.list, set.types = p.attrSlab[at:len(p.attrSlab):len(p.attrSlab)], types
	return Attributes{s: set}
}

// newAttrSet returns an empty attribute set in the reader's block of sets.
func (p *reader) newAttrSet() *attrSet {
	if len(p.setSlab) == cap(p.setSlab) {
		p.setSlab = newBlock[attrSet](p, nextBlock(cap(p.setSlab), slabSize))
	}
	p.setSlab = p.setSlab[:len(p.setSlab)+1] // a block's slots are zero until taken
	return &p.setSlab[len(p.setSlab)-1]
}

// In a large document (bigDocSpans spans made) blocks take at least
// bigBlock bytes, and the heap around each is advised onto huge pages
// (adviseHugePages). The model of a 1,000,000-span trace is about 600 MB,
// and in 4 KiB pages the kernel's cost of faulting each in and the TLB
// misses of walking them were a third of `tracectl show`: on the
// generated 600 MB trace (spanjsontest.Nested) it took 6.4 s, 2.1 s of
// them in the kernel, for 250,000 page faults; with these blocks 3.6 to
// 3.9 s, 0.9 s and 61,000 (random parents: 8.3 s -> 5.3 s). The peak RSS
// went from 935 MB to 850 MB (1.56x -> 1.42x the file): fewer, fuller
// blocks.
const (
	bigDocSpans = 1 << 16
	bigBlock    = 8 << 20
)

// newBlock returns an empty block with room for n values of T, or for
// bigBlock bytes of them in a large document.
func newBlock[T any](p *reader, n int) []T {
	if p.spansMade < bigDocSpans {
		return make([]T, 0, n)
	}
	size := int(unsafe.Sizeof(*new(T)))
	b := make([]T, 0, max(n, bigBlock/size))
	adviseHugePages(unsafe.Pointer(unsafe.SliceData(b)), cap(b)*size)
	return b
}

// nextBlock is the size of the block after one of size prev: blocks start
// small and grow to full, so that a document of one span (a console dump
// is one span a document) does not keep a 64 KiB block alive.
func nextBlock(prev, full int) int {
	return min(full, max(1, 4*prev))
}

// str returns a JSON string's content, copied out of the document (short
// strings interned). A non-string value gives its JSON text; null gives "".
func (p *reader) str(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		s := v.Str
		if len(s) != len(v.Raw)-2 {
			return s // unescaped: already a fresh string
		}
		return p.copyStr(s)
	case gjson.Null:
		return ""
	default:
		return p.copyStr(v.Raw)
	}
}

func (p *reader) copyStr(s string) string {
	if len(s) <= maxInternSize {
		return p.interned(s)
	}
	return strings.Clone(s)
}

// interned serves copyStr and key: the interned copy of s, added to the
// intern table while it has room.
func (p *reader) interned(s string) string {
	if t, ok := p.intern[s]; ok {
		return t
	}
	t := strings.Clone(s)
	if p.intern == nil {
		// Made on first use: a document whose span list was streamed
		// takes the streaming reader's (decodeDocument), and two maps a
		// document were 200 MB of the 2.7 GB `status` allocated on
		// 20,000 traces.
		p.intern = make(map[string]string, 64)
	}
	if len(p.intern) >= maxInterned {
		// Full: begin afresh, so that the strings a document repeats
		// are still shared however many came before it.
		clear(p.intern)
	}
	p.intern[t] = t
	return t
}

// key returns an object key, interned.
func (p *reader) key(k gjson.Result) string {
	s := k.Str
	if len(s) != len(k.Raw)-2 {
		return s
	}
	return p.interned(s)
}

// rawJSON returns v's JSON text, compacted and copied.
func (p *reader) rawJSON(v gjson.Result) json.RawMessage {
	return json.RawMessage(compactJSON(v.Raw))
}

// rawText is rawJSON as a string (attribute values are strings).
func (p *reader) rawText(v gjson.Result) string {
	if v.Type == gjson.String || v.Type == gjson.Number || v.Type == gjson.True || v.Type == gjson.False || v.Type == gjson.Null {
		return p.copyStr(v.Raw)
	}
	return string(compactJSON(v.Raw))
}

// compactJSON returns a compact copy of valid JSON text.
func compactJSON(raw string) []byte {
	if !needsCompact(raw) {
		return []byte(raw)
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := json.Compact(&b, []byte(raw)); err != nil {
		return []byte(raw)
	}
	return b.Bytes()
}

// needsCompact reports whether raw has whitespace outside strings.
func needsCompact(raw string) bool {
	inStr := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ' ', '\t', '\n', '\r':
			return true
		}
	}
	return false
}

// int64Of parses an integer written as a JSON number or a decimal string,
// without going through float64.
func int64Of(v gjson.Result) (int64, bool) {
	var s string
	switch v.Type {
	case gjson.Number:
		s = v.Raw
	case gjson.String:
		s = strings.TrimSpace(v.Str)
	case gjson.Null:
		return 0, true
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, true
	}
	// Exponent or fraction forms ("1.7e18"): exact when integral.
	if f, ok := exactInt(s); ok {
		return f, true
	}
	return 0, false
}

// exactInt parses a decimal number with fraction or exponent that denotes
// an integer exactly (e.g. "1.5e3", "12.0").
func exactInt(s string) (int64, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return 0, false
		}
		mant, exp = s[:i], e
	}
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	exp -= len(frac)
	for exp < 0 && strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		exp++
	}
	if exp < 0 || exp > 20 {
		return 0, false
	}
	digits += strings.Repeat("0", exp)
	if neg {
		digits = "-" + digits
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil
}

func (p *reader) int64Field(v gjson.Result, what string) int64 {
	n, ok := int64Of(v)
	if !ok {
		if isIntegerText(v) {
			unit := ""
			if strings.HasSuffix(what, "time") {
				unit = " nanoseconds"
			}
			p.warn(v.Index, fmt.Sprintf("%s %s is out of range for int64%s; taken as 0", what, clip(v.Raw), unit))
		} else {
			p.warn(v.Index, fmt.Sprintf("%s %s is not an integer; taken as 0", what, clip(v.Raw)))
		}
	}
	return n
}

// isIntegerText reports whether v is an integer (a number without fraction
// or exponent, or a decimal string), whatever its size.
func isIntegerText(v gjson.Result) bool {
	s := v.Raw
	if v.Type == gjson.String {
		s = strings.TrimSpace(v.Str)
	} else if v.Type != gjson.Number {
		return false
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// eventTime converts an MLflow event timestamp to nanoseconds, inferring
// its unit from its magnitude (formats.md §10.1).
func eventTime(n int64) int64 {
	a := n
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1e18:
		return n
	case a >= 1e15:
		return n * 1e3
	case a >= 1e12:
		return n * 1e6
	default:
		return n * 1e9
	}
}

func unixNanoTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// traceID decodes a span's trace id; an undecodable id becomes an opaque id
// with a warning.
func (p *reader) traceID(v gjson.Result, opaque **OpaqueIDs) TraceID {
	s := p.idText(v)
	id, err := ParseTraceID(s)
	if err != nil {
		p.warn(v.Index, fmt.Sprintf("trace id %q cannot be decoded: kept as an opaque id", clip(s)))
		opaqueOf(opaque).TraceID = p.copyStr(s)
		return opaqueTraceIDOf(s)
	}
	decodedTraceID(opaque)
	return id
}

// spanID decodes a span or parent id like traceID.
func (p *reader) spanID(v gjson.Result, opaque **OpaqueIDs, parent bool) SpanID {
	s := p.idText(v)
	id, err := ParseSpanID(s)
	if err != nil {
		what := "span id"
		if parent {
			what = "parent span id"
		}
		p.warn(v.Index, fmt.Sprintf("%s %q cannot be decoded: kept as an opaque id", what, clip(s)))
		o := opaqueOf(opaque)
		if parent {
			o.ParentID = p.copyStr(s)
		} else {
			o.SpanID = p.copyStr(s)
		}
		return opaqueSpanIDOf(s)
	}
	decodedSpanID(opaque, parent)
	return id
}

// decodedTraceID and decodedSpanID forget an undecodable id text kept for
// a member that is given again, decodable this time (a repeated key: the
// last one is the member's value, as for any other member).
func decodedTraceID(opaque **OpaqueIDs) {
	if o := *opaque; o != nil {
		o.TraceID = ""
	}
}

func decodedSpanID(opaque **OpaqueIDs, parent bool) {
	if o := *opaque; o != nil {
		if parent {
			o.ParentID = ""
		} else {
			o.SpanID = ""
		}
	}
}

func (p *reader) idText(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return v.Str
	case gjson.Null:
		return ""
	}
	return v.Raw
}

func opaqueOf(o **OpaqueIDs) *OpaqueIDs {
	if *o == nil {
		*o = &OpaqueIDs{}
	}
	return *o
}
