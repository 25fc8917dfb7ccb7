package spanjson

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// The hot path of decoding: MLflow span dicts read straight from the
// validated document bytes in one pass, without building gjson results for
// every member. Rare members (links, event lists, KeyValue attribute lists,
// unknown keys) are handed to the gjson readers, so both paths share one
// meaning.

// sub returns the gjson result of the validated value at b[i:j], with its
// Index relative to the document (for warning positions).
func (p *reader) sub(i, j int) gjson.Result {
	r := gjson.Parse(p.json[i:j])
	r.Index += i
	return r
}

// forEach is v.ForEach for a value of this document, without gjson's
// pass over each member to find its end: the validator's ends skip a big
// one at once (p.skip). gjson walked the 693 MB span list of a Jaeger
// trace twice to find that it was the value of "spans" (0.5 s). A value
// from elsewhere is read by gjson.
func (p *reader) forEach(v gjson.Result, fn func(k, x gjson.Result) bool) {
	if v.Index < 0 || v.Index+len(v.Raw) > len(p.json) || len(v.Raw) == 0 ||
		unsafe.StringData(v.Raw) != unsafe.StringData(p.json[v.Index:]) {
		v.ForEach(fn)
		return
	}
	b := p.raw
	switch b[v.Index] {
	case '{':
		stop := false
		p.members(v.Index, func(key []byte, ks, x int) int {
			e := p.skip(x)
			if !stop {
				stop = !fn(p.keyResult(key, ks), p.sub(x, e))
			}
			return e
		})
	case '[':
		for i := skipWS(b, v.Index+1); b[i] != ']'; {
			e := p.skip(i)
			if !fn(gjson.Result{}, p.sub(i, e)) {
				return
			}
			if i = skipWS(b, e); b[i] == ',' {
				i = skipWS(b, i+1)
			}
		}
	}
}

// readSpansAt decodes the span array whose '[' is at offset start.
func (p *reader) readSpansAt(start int) []Span {
	b := p.raw
	i := skipWS(b, start+1)
	var spans []Span
	if i < len(b) && b[i] == ']' {
		return spans
	}
	for {
		if b[i] != '{' {
			end := p.skip(i)
			p.warn(i, "a span is not a JSON object: skipped")
			i = end
		} else {
			var d SpanData
			if p.schema == SchemaMLflowV2 {
				i = p.fastSpanV2(i, &d)
			} else {
				i = p.fastSpanV3(i, &d)
			}
			spans = append(spans, p.newSpan(d))
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] == ']' {
			return spans
		}
		i = skipWS(b, i+1) // ','
	}
}

// skip returns the index after the validated value at i.
func (p *reader) skip(i int) int {
	if e, ok := p.ends[i]; ok {
		return e
	}
	return skipValid(p.raw, i)
}

// members iterates the members of the validated object at b[i] == '{',
// calling fn with the key (raw, without quotes) and the value start; fn
// returns the index after the value. members returns the index after '}'.
func (p *reader) members(i int, fn func(key []byte, keyStart, v int) int) int {
	b := p.raw
	i = skipWS(b, i+1)
	if b[i] == '}' {
		return i + 1
	}
	for {
		ks := i
		if b[i] != '"' {
			panic(errBadJSON)
		}
		ke, ok := validString(b, i)
		if !ok {
			panic(errBadJSON)
		}
		v := skipWS(b, ke)
		if b[v] != ':' {
			panic(errBadJSON)
		}
		v = skipWS(b, v+1)
		i = fn(b[ks+1:ke-1], ks, v)
		i = skipWS(b, i)
		switch b[i] {
		case '}':
			return i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			panic(errBadJSON)
		}
	}
}

// errBadJSON is raised (panic) by the span parser on input it cannot take:
// invalid JSON, or JSON cut short by the end of the buffer. Callers that
// parse unvalidated bytes recover it and let validPrefix tell which.
var errBadJSON = errors.New("invalid JSON")

// vskip returns the index after the value at i, validating it.
func (p *reader) vskip(i int) int {
	if e, ok := p.ends[i]; ok {
		return e
	}
	n, ok, _ := validPrefix(p.raw[i:])
	if !ok {
		panic(errBadJSON)
	}
	return i + n
}

// keyString returns a member key as a string (interned; unescaped).
func (p *reader) keyString(key []byte) string {
	if k, ok := wellKnownKey(key); ok {
		return k
	}
	for _, c := range key {
		if c == '\\' {
			return unescapeJSON(key)
		}
	}
	return p.interned(bytesString(key))
}

// wellKnownKey returns the MLflow attribute key spelled by key, without a
// map lookup or a copy.
func wellKnownKey(key []byte) (string, bool) {
	switch string(key) {
	case AttrTraceRequestID:
		return AttrTraceRequestID, true
	case AttrSpanType:
		return AttrSpanType, true
	case AttrInputs:
		return AttrInputs, true
	case AttrOutputs:
		return AttrOutputs, true
	case AttrFunctionName:
		return AttrFunctionName, true
	case AttrTokenUsage:
		return AttrTokenUsage, true
	case AttrMessageFormat:
		return AttrMessageFormat, true
	}
	return "", false
}

// stringAt decodes the validated string at b[i] == '"' and returns it and
// the index after it. The result never shares memory with the document:
// short strings are interned, others copied into the reader's string arena.
func (p *reader) stringAt(i int) (string, int) {
	b := p.raw
	j := i + 1
	k := skipSafe(b, j)
	if b[k] < 0x20 {
		panic(errBadJSON)
	}
	if b[k] == '"' {
		content := b[j:k]
		if len(content) <= maxInternSize {
			return p.interned(bytesString(content)), k + 1
		}
		return p.arenaString(content, len(b)-j), k + 1
	}
	// Escapes: decode into the arena in the same pass that finds the end.
	p.arenaRoom(min(arenaMax, len(b)-j), len(b)-j)
	at := len(p.arena)
	out := append(p.arena, b[j:k]...)
	for {
		// b[k] is a backslash here.
		k++
		if c, ok := unescapeByte(b[k]); ok {
			out = append(out, c)
		} else if c != 'u' {
			panic(errBadJSON)
		} else {
			if k+4 >= len(b) || !isHex(b[k+1]) || !isHex(b[k+2]) || !isHex(b[k+3]) || !isHex(b[k+4]) {
				panic(errBadJSON)
			}
			var r rune
			r, k = decodeUEscape(b, k)
			out = utf8.AppendRune(out, r)
		}
		k++
		n := skipSafe(b, k)
		out = append(out, b[k:n]...)
		k = n
		if b[k] < 0x20 {
			panic(errBadJSON)
		}
		if b[k] == '"' {
			break
		}
	}
	if cap(out) != cap(p.arena) {
		// The string outgrew the block and append moved it: keep filling
		// the new storage after it.
		s := unsafe.String(&out[at], len(out)-at)
		p.arena = out[len(out):]
		return s, k + 1
	}
	p.arena = out
	if len(out) == at {
		return "", k + 1
	}
	if len(out)-at <= maxInternSize {
		// Short, like the unescaped ones: interned, and the arena's bytes
		// taken back. MLflow writes every attribute value as JSON text,
		// so a span's type, function name and trace request id all come
		// here: 60 bytes a span copied again and again, 73 MB of the
		// arena of a 1,000,000-span trace.
		s := p.interned(unsafe.String(&out[at], len(out)-at))
		p.arena = out[:at]
		return s, k + 1
	}
	return unsafe.String(&out[at], len(out)-at), k + 1
}

const (
	arenaChunk = 64 << 10
	arenaMax   = 4 << 10 // larger strings get their own allocation
)

// arenaRoom makes sure the arena's block has room for n more bytes, else
// begins a new block: arenaChunk bytes, or rest when that is smaller: rest
// is what is left of the document from the string being copied, and the
// strings still to be copied out of it never outgrow that. A reader
// decodes one document, and a JSON Lines dump has many small ones: a full
// block each was 62 KB for a 27 KB trace, a third of everything `tracectl
// roots` allocated on 20,000 such traces (1.24 of 3.76 GB).
func (p *reader) arenaRoom(n, rest int) {
	if cap(p.arena)-len(p.arena) >= n {
		return
	}
	p.arena = newBlock[byte](p, max(n, min(arenaChunk, rest)))
}

// arenaString copies b into a shared block: one allocation per arenaChunk
// bytes of strings, and blocks hold no pointers for the GC to scan.
// rest is what is left of the document from b on (see arenaRoom).
func (p *reader) arenaString(b []byte, rest int) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaMax {
		return string(b)
	}
	p.arenaRoom(len(b), rest)
	at := len(p.arena)
	p.arena = append(p.arena, b...)
	return unsafe.String(&p.arena[at], len(b))
}

// strOrRaw reads a string value (unescaped), null as "", anything else as
// its JSON text.
func (p *reader) strOrRaw(i int) (string, int) {
	b := p.raw
	switch b[i] {
	case '"':
		return p.stringAt(i)
	case 'n':
		if !hasAt(b, i, "null") {
			panic(errBadJSON)
		}
		return "", i + 4
	}
	end := p.vskip(i)
	return p.copyStr(p.json[i:end]), end
}

// intAt reads an integer written as a number or a decimal string.
func (p *reader) intAt(i int, what string) (int64, int) {
	b := p.raw
	end := p.vskip(i)
	if n, ok := digitsInt(b[i:end]); ok {
		return n, end
	}
	if b[i] != '"' && b[i] != 'n' {
		if n, err := strconv.ParseInt(p.json[i:end], 10, 64); err == nil {
			return n, end
		}
	}
	return p.int64Field(p.sub(i, end), what), end
}

// digitsInt parses 1 to 19 plain decimal digits (no sign) that fit in an
// int64; anything else is left to strconv.
func digitsInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64 // 19 digits never overflow a uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// idText returns the text of an id value at i: string content, "" for null.
func (p *reader) idBytes(i int) ([]byte, int) {
	b := p.raw
	switch b[i] {
	case '"':
		end, ok := validString(b, i)
		if !ok {
			panic(errBadJSON)
		}
		return b[i+1 : end-1], end
	case 'n':
		if !hasAt(b, i, "null") {
			panic(errBadJSON)
		}
		return nil, i + 4
	}
	end := p.vskip(i)
	return b[i:end], end
}

// fastTraceID decodes the most common encodings (base64 of 16 bytes, 32
// hex digits) without allocating; anything else goes the general way.
func (p *reader) fastTraceID(i int, opaque **OpaqueIDs) (TraceID, int) {
	raw, end := p.idBytes(i)
	last := &p.lastTraceID
	if last.n != 0 && string(raw) == string(last.raw[:last.n]) {
		decodedTraceID(opaque)
		return last.id, end
	}
	var id TraceID
	if fastDecodeID(id[:], raw) {
		decodedTraceID(opaque)
		if len(raw) <= len(last.raw) {
			last.n = copy(last.raw[:], raw)
			last.id = id
		}
		return id, end
	}
	return p.traceID(p.sub(i, end), opaque), end
}

func (p *reader) fastSpanID(i int, opaque **OpaqueIDs, parent bool) (SpanID, int) {
	raw, end := p.idBytes(i)
	var id SpanID
	if len(raw) == 0 {
		decodedSpanID(opaque, parent)
		return id, end
	}
	if fastDecodeID(id[:], raw) {
		decodedSpanID(opaque, parent)
		return id, end
	}
	return p.spanID(p.sub(i, end), opaque, parent), end
}

// fastDecodeID fills dst from padded standard base64 or plain hex of the
// exact length, the forms MLflow writes. Anything else returns false.
func fastDecodeID(dst, raw []byte) bool {
	var tmp [18]byte
	switch len(raw) {
	case base64.StdEncoding.EncodedLen(len(dst)):
		if raw[len(raw)-1] != '=' {
			return false
		}
		n, err := base64.StdEncoding.Decode(tmp[:], raw)
		if err != nil || n != len(dst) {
			return false
		}
		copy(dst, tmp[:n])
		return true
	case 2 * len(dst):
		_, err := hex.Decode(dst, raw)
		return err == nil
	case 2*len(dst) + 2:
		if raw[0] != '0' || (raw[1] != 'x' && raw[1] != 'X') {
			return false
		}
		_, err := hex.Decode(dst, raw[2:])
		return err == nil
	}
	return false
}

// fastSpanV3 decodes the MLflow 3 span dict at b[i] into d and returns the
// index after it.
func (p *reader) fastSpanV3(i int, d *SpanData) int {
	p.spanMarks = 0
	var extras []Field
	var rawKeys []string
	end := p.members(i, func(key []byte, ks, v int) int {
		switch string(key) {
		case "trace_id":
			var e int
			d.TraceID, e = p.fastTraceID(v, &d.Opaque)
			return e
		case "span_id":
			var e int
			d.SpanID, e = p.fastSpanID(v, &d.Opaque, false)
			return e
		case "parent_span_id":
			var e int
			d.ParentID, e = p.fastSpanID(v, &d.Opaque, true)
			return e
		case "name":
			var e int
			d.Name, e = p.strOrRaw(v)
			return e
		case "start_time_unix_nano":
			var e int
			d.StartTime, e = p.intAt(v, "start time")
			return e
		case "end_time_unix_nano":
			var e int
			d.EndTime, e = p.intAt(v, "end time")
			return e
		case "trace_state":
			var e int
			d.TraceState, e = p.strOrRaw(v)
			if d.TraceState == "" && p.raw[v] == '"' {
				p.spanMarks |= spanMarkTraceState
			}
			return e
		case "status":
			return p.fastStatusV3(v, d)
		default:
			if e, ok := p.fastSharedMember(key, v, d, &rawKeys); ok {
				return e
			}
		}
		// Everything else (and the unusual forms above): the gjson reader.
		k, val, e := p.slowMember(key, ks, v)
		p.spanMemberV3(k, val, d, &extras, &rawKeys)
		return e
	})
	p.finishSpan(d, extras, rawKeys)
	return end
}

// fastSpanV2 decodes the MLflow 2 span dict at b[i].
func (p *reader) fastSpanV2(i int, d *SpanData) int {
	p.spanMarks = 0
	var extras []Field
	var rawKeys []string
	end := p.members(i, func(key []byte, ks, v int) int {
		switch string(key) {
		case "name":
			var e int
			d.Name, e = p.strOrRaw(v)
			return e
		case "context":
			if p.raw[v] == '{' {
				return p.members(v, func(ck []byte, cks, cv int) int {
					var e int
					switch string(ck) {
					case "span_id":
						d.SpanID, e = p.fastSpanID(cv, &d.Opaque, false)
					case "trace_id":
						d.TraceID, e = p.fastTraceID(cv, &d.Opaque)
					default:
						e = p.vskip(cv)
						extras = append(extras, Field{Key: "context." + p.keyString(ck), Value: compactJSON(p.json[cv:e])})
					}
					return e
				})
			}
		case "parent_id":
			var e int
			d.ParentID, e = p.fastSpanID(v, &d.Opaque, true)
			return e
		case "start_time":
			var e int
			d.StartTime, e = p.intAt(v, "start time")
			return e
		case "end_time":
			var e int
			d.EndTime, e = p.intAt(v, "end time")
			return e
		case "status_message":
			var e int
			d.Status.Message, e = p.strOrRaw(v)
			return e
		default:
			if e, ok := p.fastSharedMember(key, v, d, &rawKeys); ok {
				return e
			}
		}
		k, val, e := p.slowMember(key, ks, v)
		p.spanMemberV2(k, val, d, &extras, &rawKeys)
		return e
	})
	p.finishSpan(d, extras, rawKeys)
	return end
}

// fastSharedMember serves fastSpanV3 and fastSpanV2 for the members both
// span dicts write alike in their common forms: attributes as an object, an
// empty events list. ok is false for any other member or form.
func (p *reader) fastSharedMember(key []byte, v int, d *SpanData, rawKeys *[]string) (end int, ok bool) {
	switch string(key) {
	case "attributes":
		if p.raw[v] == '{' {
			d.Attributes, *rawKeys, end = p.fastAttributes(v)
			return end, true
		}
	case "events":
		if end, ok = p.emptyArray(v); ok {
			d.Events = []Event{}
			return end, true
		}
	}
	return 0, false
}

// slowMember serves fastSpanV3 and fastSpanV2 in handing a member to the
// gjson readers: the key (raw, at ks) and the value at v as gjson results,
// and the index after the value.
func (p *reader) slowMember(key []byte, ks, v int) (k, val gjson.Result, end int) {
	end = p.vskip(v)
	val = p.sub(v, end)
	k = gjson.Result{Type: gjson.String, Str: bytesString(key), Raw: p.json[ks : ks+len(key)+2], Index: ks}
	return k, val, end
}

func (p *reader) emptyArray(v int) (int, bool) {
	b := p.raw
	if b[v] != '[' {
		return 0, false
	}
	j := skipWS(b, v+1)
	if b[j] == ']' {
		return j + 1, true
	}
	return 0, false
}

// fastStatusV3 reads status{code, message}; other forms go to statusV3.
func (p *reader) fastStatusV3(v int, d *SpanData) int {
	b := p.raw
	if b[v] != '{' {
		e := p.vskip(v)
		d.Status = p.statusV3(p.sub(v, e))
		return e
	}
	return p.members(v, func(key []byte, ks, sv int) int {
		switch string(key) {
		case "code", "status_code":
			raw, e := p.idBytes(sv)
			code, ok := ParseStatusCode(bytesString(raw))
			if !ok {
				p.warn(sv, fmt.Sprintf("unknown status code %s: taken as UNSET", clip(p.json[sv:e])))
			}
			d.Status.Code = code
			return e
		case "message", "description":
			var e int
			d.Status.Message, e = p.strOrRaw(sv)
			return e
		}
		return p.vskip(sv)
	})
}

// fastAttributes reads an MLflow span attribute map at b[v] == '{',
// building the list straight in the attribute block.
func (p *reader) fastAttributes(v int) (Attributes, []string, int) {
	if p.untilRead.maps {
		if a, end, ok := p.lazyAttributes(v); ok {
			return a, nil, end
		}
	}
	if cap(p.attrSlab)-len(p.attrSlab) < 32 {
		// Blocks grow as newAttributes' do (nextBlock): a full block for
		// each small document of a dump was most of what it allocated.
		p.attrSlab = newBlock[attrKV](p, max(32, nextBlock(cap(p.attrSlab), 4*slabSize)))
	}
	at := len(p.attrSlab)
	list := p.attrSlab
	var rawKeys []string
	// With untilRead.values, an MLflow span's inputs and outputs, most of its
	// text and read only for previews or when every attribute is printed,
	// stay views of a stable document, escaped (valueEscaped).
	escape := p.untilRead.values && p.stable
	var escaped uint64 // bit k: list[at+k] is kept escaped
	end := p.members(v, func(key []byte, ks, av int) int {
		a := attrKV{Key: p.keyString(key)} // every type is ValueJSON
		var e int
		switch {
		case p.raw[av] != '"':
			e = p.vskip(av)
			a.Value = string(compactJSON(p.json[av:e]))
			rawKeys = append(rawKeys, a.Key)
		case escape && (a.Key == AttrInputs || a.Key == AttrOutputs) && len(list)-at < 64:
			e, a.Value = p.escapedView(av)
			escaped |= 1 << (len(list) - at)
		default:
			a.Value, e = p.stringAt(av)
		}
		list = append(list, a)
		return e
	})
	if len(list) == at {
		return Attributes{}, rawKeys, end
	}
	attrs := list[at:len(list):len(list)]
	p.attrSlab = list[len(list):] // when append moved the list, continue after it
	set := p.newAttrSet()
	set.list = attrs
	if escaped != 0 {
		set.types = p.escapedTypes(len(attrs), escaped)
	}
	return Attributes{s: set}, rawKeys, end
}

// escapedView returns the index after the JSON string at b[i] == '"' and
// its content as written, escapes and all: a view of the document, which
// must be stable.
func (p *reader) escapedView(i int) (int, string) {
	e, ok := validString(p.raw, i)
	if !ok {
		panic(errBadJSON)
	}
	return e, bytesString(p.raw[i+1 : e-1])
}

// escapedTypes is the types string (attrSet.types) of n values, those of
// the bits of escaped kept escaped and the others ValueJSON; interned,
// the spans of a trace mostly share a few.
func (p *reader) escapedTypes(n int, escaped uint64) string {
	var buf [64]byte
	t := buf[:]
	if n > len(buf) {
		t = make([]byte, n) // a long map: only its first 64 are kept escaped
	}
	t = t[:n]
	for k := range min(n, 64) {
		if escaped&(1<<k) != 0 {
			t[k] = byte(valueEscaped)
		}
	}
	if n <= maxInternSize {
		return p.interned(bytesString(t))
	}
	return string(t)
}

// lazyAttributes is fastAttributes for a reader with untilRead.maps: the map at
// b[v] == '{' is validated as it is walked and kept as its text (lazyAttrs),
// made into the list when it is first read. ok is false when a value is
// not a string (a producer's raw value, which fastAttributes records): the
// caller reads the map as fastAttributes does.
func (p *reader) lazyAttributes(v int) (a Attributes, end int, ok bool) {
	b := p.raw
	n, plain := 0, true
	end = p.members(v, func(_ []byte, _, av int) int {
		if b[av] != '"' {
			plain = false
			return p.vskip(av)
		}
		e, valid := validString(b, av)
		if !valid {
			panic(errBadJSON)
		}
		n++
		return e
	})
	if !plain {
		return Attributes{}, 0, false
	}
	if n == 0 {
		return Attributes{}, end, true
	}
	if len(p.lazySlab) == cap(p.lazySlab) {
		p.lazySlab = newBlock[lazyAttrs](p, nextBlock(cap(p.lazySlab), slabSize))
	}
	var text string
	if p.stable {
		// A view: the attribute text of the spans of a dump is most of
		// it, and copying it into the arena was a sixth of what `status`
		// allocated over 20,000 traces (and cleared, and copied).
		text = bytesString(b[v:end])
	} else {
		text = p.arenaString(b[v:end], len(b)-v)
	}
	p.lazySlab = append(p.lazySlab, lazyAttrs{text: text, n: n})
	set := p.newAttrSet()
	set.lazy = &p.lazySlab[len(p.lazySlab)-1]
	return Attributes{s: set}, end, true
}

// attrMapList makes the list of a lazy attribute map: text is a valid JSON
// object of n members whose values are all strings (lazyAttributes). Keys
// and values are unescaped as fastAttributes does; texts without escapes
// are views of text, the others share one block.
func attrMapList(text string, n int) []attrKV {
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	list := make([]attrKV, 0, n)
	var block []byte
	str := func(i int) (string, int) { // b[i] == '"'
		k := skipSafe(b, i+1)
		if b[k] == '"' {
			return text[i+1 : k], k + 1
		}
		e, _ := validString(b, i)
		if block == nil {
			block = make([]byte, 0, len(b)-i) // what is left outgrows every unescaped text
		}
		at := len(block)
		block = appendUnescaped(block, b[i+1:e-1])
		if len(block) == at {
			return "", e
		}
		return unsafe.String(&block[at], len(block)-at), e
	}
	i := skipWS(b, 1)
	for len(list) < n {
		var kv attrKV
		ke := skipSafe(b, i+1)
		if k, ok := wellKnownKey(b[i+1 : ke]); ok && b[ke] == '"' {
			kv.Key, i = k, ke+1
		} else {
			kv.Key, i = str(i)
		}
		i = skipWS(b, skipWS(b, i)+1) // past ':'
		kv.Value, i = str(i)
		list = append(list, kv)
		i = skipWS(b, skipWS(b, i)+1) // past ',' (or '}')
	}
	return list
}

// unescapeJSON decodes the content of a valid JSON string with escapes.
func unescapeJSON(s []byte) string {
	return string(appendUnescaped(make([]byte, 0, len(s)), s))
}

// appendUnescaped appends the decoded content of a valid JSON string.
func appendUnescaped(out, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if c, ok := unescapeByte(s[i]); ok || c != 'u' {
			out = append(out, c) // not ok: a letter valid JSON never has, kept
			continue
		}
		var r rune
		r, i = decodeUEscape(s, i)
		out = utf8.AppendRune(out, r)
	}
	return out
}

// decodeUEscape decodes the \u escape whose 'u' is at s[i] (its four hex
// digits already checked) and returns the rune and the index of the
// escape's last byte. As in encoding/json, a high surrogate followed by a
// \u low surrogate is one rune, and a surrogate that does not pair is
// U+FFFD on its own (the escape after it is decoded by itself). stringAt
// and appendUnescaped both use it, so they cannot decode a pair apart.
func decodeUEscape(s []byte, i int) (rune, int) {
	r := rune(hexVal(s[i+1 : i+5]))
	i += 4
	if !utf16.IsSurrogate(r) {
		return r, i
	}
	if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' &&
		isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]) && isHex(s[i+6]) {
		if dec := utf16.DecodeRune(r, rune(hexVal(s[i+3:i+7]))); dec != utf8.RuneError {
			return dec, i + 6
		}
	}
	return utf8.RuneError, i
}

// unescapeByte serves stringAt and appendUnescaped: the byte the one-letter
// JSON escape \c stands for and true, or c itself and false when c is not
// such a letter ('u' among others).
func unescapeByte(c byte) (byte, bool) {
	switch c {
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case '"', '\\', '/':
		return c, true
	}
	return c, false
}

func hexVal(h []byte) uint32 {
	var v uint32
	for _, c := range h {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint32(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint32(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= uint32(c - 'A' + 10)
		}
	}
	return v
}
