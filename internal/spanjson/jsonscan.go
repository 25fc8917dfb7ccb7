package spanjson

import (
	"encoding/binary"
	"math/bits"
)

// A strict JSON validator and a small pull scanner over validated JSON.
// They replace generic tree walking on the hot path (span lists): one pass
// validates a document, one pass decodes its spans.

// bigContainer is the size from which validJSON records where a container
// ends, so later passes skip large values (a trace's span list) in O(1).
const bigContainer = 32 << 10

// validJSON reports whether b holds exactly one JSON value (with optional
// surrounding whitespace). On failure bad is the offset of the offending
// byte (len(b) when the input ends too early). No recursion: any depth.
// ends maps the start of every container of at least bigContainer bytes to
// the offset after it.
func validJSON(b []byte) (bad int, ok bool, ends map[int]int) {
	return validValue(b, false)
}

// validPrefix validates the JSON value at the start of b and returns the
// index after it; bad == len(b) means b ended inside the value.
func validPrefix(b []byte) (end int, ok bool, ends map[int]int) {
	return validValue(b, true)
}

func validValue(b []byte, prefix bool) (bad int, ok bool, ends map[int]int) {
	return validValueCuts(b, prefix, nil)
}

// validValueCuts is validValue that also notes, in cuts when it is not
// nil, cuts in long lists by scanDoc's rule (see listCut).
func validValueCuts(b []byte, prefix bool, cuts *[]listCut) (bad int, ok bool, ends map[int]int) {
	var stack []byte // '{' or '[' per open container
	var starts []int // offset of each open container
	var cutter listCutter
	i := skipWS(b, 0)
	for {
		// A value starts at i.
		if i >= len(b) {
			return i, false, nil
		}
		switch c := b[i]; c {
		case '{':
			at := i
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			stack = append(stack, '{')
			starts = append(starts, at) // the container's own offset, not its first member's
			var ok bool
			if i, ok = validKey(b, i); !ok {
				return i, false, nil
			}
			continue
		case '[':
			at := i
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == ']' {
				i++
				break
			}
			stack = append(stack, '[')
			starts = append(starts, at)
			continue
		case '"':
			var ok bool
			if i, ok = validString(b, i); !ok {
				return i, false, nil
			}
		case 't':
			if !hasAt(b, i, "true") {
				return litBad(b, i, "true"), false, nil
			}
			i += 4
		case 'f':
			if !hasAt(b, i, "false") {
				return litBad(b, i, "false"), false, nil
			}
			i += 5
		case 'n':
			if !hasAt(b, i, "null") {
				return litBad(b, i, "null"), false, nil
			}
			i += 4
		default:
			var ok bool
			if i, ok = validNumber(b, i); !ok {
				return i, false, nil
			}
		}
		// After a value: close containers or move to the next member.
		for {
			if k := len(stack); cuts != nil && k > 0 && k < listDepth && stack[k-1] == '[' {
				cutter.note(cuts, k, starts[k-1], i)
			}
			i = skipWS(b, i)
			if len(stack) == 0 {
				if prefix {
					return i, true, ends
				}
				if i != len(b) {
					return i, false, nil
				}
				return 0, true, ends
			}
			if i >= len(b) {
				return i, false, nil
			}
			top := stack[len(stack)-1]
			c := b[i]
			if c == ',' {
				i = skipWS(b, i+1)
				if top == '{' {
					var ok bool
					if i, ok = validKey(b, i); !ok {
						return i, false, nil
					}
				}
				break
			}
			if (top == '{' && c == '}') || (top == '[' && c == ']') {
				open := starts[len(starts)-1]
				stack, starts = stack[:len(stack)-1], starts[:len(starts)-1]
				i++
				if i-open >= bigContainer {
					if ends == nil {
						ends = map[int]int{}
					}
					ends[open] = i
				}
				continue
			}
			return i, false, nil
		}
	}
}

// validKey checks `"key" :` at i and returns the index of the value.
func validKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, ok := validString(b, i)
	if !ok {
		return i, false
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipWS(b, i+1), true
}

func hasAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// litBad returns the offset of the first byte that breaks a literal.
func litBad(b []byte, i int, lit string) int {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) || b[i+k] != lit[k] {
			return i + k
		}
	}
	return i
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// strSafe marks bytes that need no attention inside a JSON string.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

const (
	lo7  = 0x0101010101010101
	hi8  = 0x8080808080808080
	quot = '"' * lo7
	bksl = '\\' * lo7
)

// skipSafe returns the first index from i of a byte that ends or escapes
// a string, or is a control character: eight bytes at a time.
func skipSafe(b []byte, i int) int {
	for i+8 <= len(b) {
		v := binary.LittleEndian.Uint64(b[i:])
		q := v ^ quot
		s := v ^ bksl
		// A byte is zero in q or s, or below 0x20 in v: the usual
		// "has zero / has less" tricks; bytes >= 0x80 never match. A
		// borrow may flag bytes above a match, never below one, so the
		// lowest flag is the first match (most strings a reader meets
		// are short: finding it byte by byte was half of this function).
		m := ((q - lo7) &^ q) | ((s - lo7) &^ s) | ((v - 0x20*lo7) &^ v)
		if m &= hi8; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(b) && strSafe[b[i]] {
		i++
	}
	return i
}

// validString checks the string starting at b[i] == '"' and returns the
// index after its closing quote.
func validString(b []byte, i int) (int, bool) {
	i++
	for {
		i = skipSafe(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '"':
			return i + 1, true
		case '\\':
			if i+1 >= len(b) {
				return i + 1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) || !isHex(b[i+k]) {
						return i + k, false
					}
				}
				i += 6
			default:
				return i + 1, false
			}
		default: // a control character
			return i, false
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validNumber checks a JSON number at i and returns the index after it.
func validNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, true
}

// skipValid returns the index after the (already validated) value at i.
func skipValid(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				i = endOfString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// endOfString returns the index after the validated string at b[i] == '"'.
func endOfString(b []byte, i int) int {
	i++
	for {
		i = skipSafe(b, i)
		if i >= len(b) {
			return i
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // an escape: its first char is never a quote that ends the string
	}
}
