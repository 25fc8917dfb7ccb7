package spanjson

import (
	"fmt"
	"math"
	"strings"

	"github.com/tidwall/gjson"
)

// What the Jaeger and Zipkin readers share: ids written as hex of any
// length up to the id's (Jaeger's "1", Zipkin's 64-bit trace ids), times
// in microseconds, and the marks a span gets when its input could not be
// read whole. A value that cannot be read is never silently 0: it is a
// warning at its spot and a mark on the span.

// Span attributes the readers add to mark what the input did not give.
const (
	// AttrReadError says which values of the span's input could not be
	// read ("; " between several), e.g. `startTime "soon" is not a time
	// in microseconds`.
	AttrReadError = "tracectl.read_error"
	// AttrStartUnknown (true) marks a span whose input gave no start time
	// (absent, 0 or unreadable): its StartTime is 0, not 1970.
	AttrStartUnknown = "tracectl.start_unknown"
	// AttrDurationUnknown (true) marks a span whose input gave no duration
	// (absent or unreadable): it is read as zero-length.
	AttrDurationUnknown = "tracectl.duration_unknown"
)

// spanProblems collects the marks of the span being read.
type spanProblems struct {
	readErrors      []string
	startUnknown    bool
	durationUnknown bool
}

// appendTo appends the mark attributes to a span's attribute list.
func (m *spanProblems) appendTo(list []Attribute) []Attribute {
	if len(m.readErrors) > 0 {
		list = append(list, Attribute{Key: AttrReadError, Value: strings.Join(m.readErrors, "; "), Type: ValueString})
	}
	if m.startUnknown {
		list = append(list, Attribute{Key: AttrStartUnknown, Value: "true", Type: ValueBool})
	}
	if m.durationUnknown {
		list = append(list, Attribute{Key: AttrDurationUnknown, Value: "true", Type: ValueBool})
	}
	return list
}

// unreadable records a value that could not be read: a warning at its spot
// naming the span, and the span's read-error mark.
func (p *reader) unreadable(m *spanProblems, v gjson.Result, span, problem, consequence string) {
	m.readErrors = append(m.readErrors, problem)
	p.warn(v.Index, fmt.Sprintf("span %q: %s: %s", clip(span), problem, consequence))
}

// parseShortHex decodes hex (any case, optional "0x") of at most
// 2*len(dst) digits into dst, right-aligned: missing leading zeros are
// zeros. Extra leading zeros are allowed. ok is false for "" and non-hex.
func parseShortHex(dst []byte, s string) bool {
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	for len(s) > 2*len(dst) && s[0] == '0' {
		s = s[1:]
	}
	if s == "" || len(s) > 2*len(dst) {
		return false
	}
	clear(dst)
	off := 2*len(dst) - len(s)
	for i := 0; i < len(s); i++ {
		n, ok := hexValue(s[i])
		if !ok {
			clear(dst)
			return false
		}
		pos := off + i
		if pos%2 == 0 {
			dst[pos/2] |= n << 4
		} else {
			dst[pos/2] |= n
		}
	}
	return true
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexTraceID decodes a trace id written as short hex; text that is not
// hex becomes an opaque id (its text kept in *opaque) with a warning at v.
// An empty text is the zero id.
func (p *reader) hexTraceID(v gjson.Result, text string, opaque **OpaqueIDs, what string) TraceID {
	var id TraceID
	if text == "" || parseShortHex(id[:], text) {
		return id
	}
	p.warn(v.Index, fmt.Sprintf("%s %q is not hex: kept as an opaque id", what, clip(text)))
	text = p.copyStr(strings.ToValidUTF8(text, "\uFFFD"))
	opaqueOf(opaque).TraceID = text
	return opaqueTraceIDOf(text)
}

// hexSpanID decodes a span id like hexTraceID; parent says which of the
// opaque texts it is.
func (p *reader) hexSpanID(v gjson.Result, text string, opaque **OpaqueIDs, parent bool, what string) SpanID {
	var id SpanID
	if text == "" || parseShortHex(id[:], text) {
		return id
	}
	p.warn(v.Index, fmt.Sprintf("%s %q is not hex: kept as an opaque id", what, clip(text)))
	text = p.copyStr(strings.ToValidUTF8(text, "\uFFFD"))
	if parent {
		opaqueOf(opaque).ParentID = text
	} else {
		opaqueOf(opaque).SpanID = text
	}
	return opaqueSpanIDOf(text)
}

// micros reads a time or duration in microseconds (a JSON integer or a
// decimal string) as nanoseconds. ok is false for anything else, a
// negative value, or one whose nanoseconds do not fit an int64.
func micros(v gjson.Result) (ns int64, ok bool) {
	if v.Type != gjson.Number && v.Type != gjson.String {
		return 0, false
	}
	us, ok := int64Of(v)
	if !ok || us < 0 || us > math.MaxInt64/1000 {
		return 0, false
	}
	return us * 1000, true
}
