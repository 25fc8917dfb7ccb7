package spanjson

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// TraceID is an OpenTelemetry trace id: 16 bytes, printed as 32 lower-case hex
// digits. The MLflow trace id of a trace is "tr-" followed by that hex.
type TraceID [16]byte

// SpanID is an OpenTelemetry span id: 8 bytes, printed as 16 lower-case hex
// digits. The zero SpanID means "no span" (a root's parent).
type SpanID [8]byte

// MLflowTraceIDPrefix starts every MLflow 3 trace id.
const MLflowTraceIDPrefix = "tr-"

// ErrInvalidID reports an id string that is neither hex nor base64 of the
// expected length.
var ErrInvalidID = errors.New("invalid id")

func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether t is the all-zero (invalid, absent) trace id.
func (t TraceID) IsZero() bool { return t == TraceID{} }

// MLflowID returns the MLflow trace id, "tr-" + hex.
func (t TraceID) MLflowID() string { return MLflowTraceIDPrefix + t.String() }

func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// IsZero reports whether s is the all-zero span id (no span, a root's parent).
func (s SpanID) IsZero() bool { return s == SpanID{} }

// ParseTraceID decodes a trace id written in any of the encodings of
// formats.md §3.4: hex (any case, optional "0x" or "tr-" prefix) or standard
// or URL-safe base64 of the 16 raw bytes. An empty string is the zero id.
func ParseTraceID(s string) (TraceID, error) {
	var id TraceID
	err := parseID(id[:], s)
	return id, err
}

// ParseSpanID decodes a span id written as hex (optional "0x") or base64 of
// its 8 raw bytes. An empty string is the zero id.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	err := parseID(id[:], s)
	return id, err
}

// parseID fills dst from s. Hex is tried first when the length fits: a
// 16-char all-hex string is also valid base64 for 12 bytes, so the expected
// byte length decides (formats.md §3.4).
func parseID(dst []byte, s string) error {
	if s == "" {
		return nil
	}
	t := s
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		t = t[2:]
	} else if strings.HasPrefix(t, MLflowTraceIDPrefix) {
		t = t[len(MLflowTraceIDPrefix):]
	}
	if len(t) == 2*len(dst) {
		if _, err := hex.Decode(dst, []byte(t)); err == nil {
			return nil
		}
	}
	// Base64 of the whole string first: base64 text may itself start with
	// "0x" (bytes d3 1e… encode as "0x5b…").
	for _, cand := range []string{s, t} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if enc.DecodedLen(len(cand)) < len(dst) || enc.DecodedLen(len(cand)) > len(dst)+2 {
				continue
			}
			b, err := enc.DecodeString(cand)
			if err == nil && len(b) == len(dst) {
				copy(dst, b)
				return nil
			}
		}
		if t == s {
			break
		}
	}
	clear(dst)
	return fmt.Errorf("%w: %q is neither %d hex digits nor base64 of %d bytes", ErrInvalidID, s, 2*len(dst), len(dst))
}

// Base64 returns the standard padded base64 of the id's bytes, the MLflow 3
// span-dict encoding.
func (t TraceID) Base64() string { return base64.StdEncoding.EncodeToString(t[:]) }

// Base64 returns the standard padded base64 of the id's bytes.
func (s SpanID) Base64() string { return base64.StdEncoding.EncodeToString(s[:]) }

// OpaqueTraceID derives a stable trace id from an id string that cannot be
// decoded (such as "<redacted>"), so that spans sharing it still group. The
// original string is kept beside it (Span.OpaqueIDs) for writing back.
func OpaqueTraceID(s string) TraceID {
	var id TraceID
	h1 := fnv64(s, 0)
	h2 := fnv64(s, 1)
	for i := range 8 {
		id[i] = byte(h1 >> (8 * i))
		id[8+i] = byte(h2 >> (8 * i))
	}
	return id
}

// OpaqueSpanID derives a stable span id from an id string that cannot be
// decoded, so that a parent reference written the same way still resolves.
func OpaqueSpanID(s string) SpanID {
	var id SpanID
	h := fnv64(s, 0)
	for i := range 8 {
		id[i] = byte(h >> (8 * i))
	}
	return id
}

// opaqueTraceIDOf and opaqueSpanIDOf are the stand-ins of an id text read
// from a document. The text is hashed as the JSON writers write it back
// (each byte that is not UTF-8 as U+FFFD), so that the stand-in survives a
// write and a read.
func opaqueTraceIDOf(text string) TraceID { return OpaqueTraceID(asWritten(text)) }
func opaqueSpanIDOf(text string) SpanID   { return OpaqueSpanID(asWritten(text)) }

// asWritten is text with each byte that is not UTF-8 replaced by U+FFFD,
// as appendJSONText writes it.
func asWritten(text string) string {
	if utf8.ValidString(text) {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(text[i : i+size])
		}
		i += size
	}
	return b.String()
}

func fnv64(s string, seed byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(seed)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1 // a zero id means "absent"
	}
	return h
}

// UCTraceIDPrefix starts an MLflow trace id of the Unity Catalog form,
// "trace:/<location>/<id>" (formats-more.md §8.1).
const UCTraceIDPrefix = "trace:/"

// OTelIDOfMLflowID returns the OpenTelemetry trace id an MLflow trace id
// names: "tr-" + 32 hex, bare 32 hex (or any form ParseTraceID takes), or
// the Unity Catalog form "trace:/<location>/<id>", whose last path segment
// is the id. The MLflow id itself is kept whole for display and writing;
// this is the one rule for comparing it with OpenTelemetry ids. ok is false
// for any other text (such as "<redacted>").
func OTelIDOfMLflowID(id string) (TraceID, bool) {
	if rest, ok := strings.CutPrefix(id, UCTraceIDPrefix); ok {
		i := strings.LastIndexByte(rest, '/')
		if i < 0 {
			return TraceID{}, false
		}
		id = rest[i+1:]
	}
	if id == "" {
		return TraceID{}, false
	}
	t, err := ParseTraceID(id)
	if err != nil || t.IsZero() {
		return TraceID{}, false
	}
	return t, true
}
