package query

import (
	"cmp"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// vkind is the type of a value; vNone is nil (an absent field).
type vkind uint8

const (
	vNone vkind = iota
	vStr
	vNum
	vBool
	vDur
	vAny // a field whose values may be of any type (span.KEY, assessment.NAME)
)

func kindName(k vkind) string {
	return [...]string{"nil", "string", "number", "boolean", "duration", "value"}[k]
}

// value is one field's value or a literal.
type value struct {
	k vkind
	s string
	n float64
	b bool
	d time.Duration
}

func strVal(s string) value        { return value{k: vStr, s: s} }
func numVal(n float64) value       { return value{k: vNum, n: n} }
func boolVal(b bool) value         { return value{k: vBool, b: b} }
func durVal(d time.Duration) value { return value{k: vDur, d: d} }
func (v value) present() bool      { return v.k != vNone }

// text prints v as a literal would be written: strings quoted.
func (v value) text() string {
	switch v.k {
	case vStr:
		return strconv.Quote(v.s)
	case vNum:
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case vBool:
		return strconv.FormatBool(v.b)
	case vDur:
		return durationText(v.d)
	}
	return "nil"
}

// fromJSON makes a value of a decoded JSON value (json.Number for numbers).
func fromJSON(x any) value {
	switch t := x.(type) {
	case nil:
		return value{}
	case string:
		return strVal(t)
	case bool:
		return boolVal(t)
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return numVal(f)
		}
		return strVal(t.String())
	case float64:
		return numVal(t)
	case int64:
		return numVal(float64(t))
	}
	b, _ := json.Marshal(x)
	return strVal(string(b))
}

// coerce reads a string as the literal's type: many formats (Jaeger,
// Zipkin, tags, metadata) carry numbers and booleans as text.
func coerce(v value, to vkind) value {
	if v.k != vStr || to == vStr {
		return v
	}
	switch to {
	case vNum:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64); err == nil {
			return numVal(f)
		}
	case vBool:
		if b, err := strconv.ParseBool(v.s); err == nil {
			return boolVal(b)
		}
	}
	return v
}

// compareValues orders a and b of one kind; ok is false for values that
// do not compare (different kinds).
func compareValues(a, b value) (c int, ok bool) {
	if a.k != b.k {
		return 0, false
	}
	switch a.k {
	case vStr:
		return strings.Compare(a.s, b.s), true
	case vNum:
		return cmp.Compare(a.n, b.n), true
	case vDur:
		return cmp.Compare(a.d, b.d), true
	case vBool:
		if a.b == b.b {
			return 0, true
		}
		if !a.b {
			return -1, true
		}
		return 1, true
	}
	return 0, true
}

// holds applies a comparison operator to the result of compareValues.
func holds(op tokKind, c int) bool {
	switch op {
	case tEq:
		return c == 0
	case tNeq:
		return c != 0
	case tLt:
		return c < 0
	case tLe:
		return c <= 0
	case tGt:
		return c > 0
	case tGe:
		return c >= 0
	}
	return false
}

// opText is the operator as written.
func opText(op tokKind) string { return tokNames[op] }
