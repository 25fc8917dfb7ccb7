package spanjson

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// OTLP AnyValue and KeyValue lists, both directions, following the shared
// attribute rules of the team brief:
//
// Reading a span, resource or scope attribute (valueIsPlain=false):
// stringValue s → Value s (ValueString); boolValue → "true"/"false";
// intValue (string or number) → decimal text; doubleValue → JSON number text
// that always holds '.' or 'e' ("2" → "2.0"); bytesValue → the JSON string of
// the base64; arrayValue / kvlistValue → JSON text of the elements' plain
// values. An empty AnyValue ({}) is JSON null: Value "null", ValueJSON.
// Event and link attributes (valueIsPlain=true) are the same, except that a
// stringValue is stored JSON-quoted, as MLflow stores plain event values.
//
// Writing is the inverse; ValueJSON and ValueString values go through the
// canonical mapping of appendAttrValue. One addition to the brief: ValueJSON
// "null" is written as the empty AnyValue {}, the OTLP spelling of "no value",
// so that {} survives otlp → v3 → otlp instead of turning into a string.

// maxAnyValueDepth bounds the nesting of arrayValue/kvlistValue accepted on
// read (and converted on write), so hostile input cannot exhaust the stack.
const maxAnyValueDepth = 64

var errAnyValueDepth = errors.New("arrayValue/kvlistValue nested too deep")

// decodeKVList decodes an OTLP KeyValue list ([{"key": …, "value": AnyValue}],
// camelCase or snake_case AnyValue members) into Attributes, in list order.
// An absent or null list is empty. valueIsPlain selects the event/link rule
// (stringValue stored JSON-quoted). Errors name the offending element as
// "[i] (key \"k\"): …" (or ": …" for the list itself), so the caller
// prefixes its own path with no separator.
func decodeKVList(list gjson.Result, valueIsPlain bool) (Attributes, error) {
	if !list.Exists() || list.Type == gjson.Null {
		return Attributes{}, nil
	}
	if !list.IsArray() {
		return Attributes{}, fmt.Errorf(": want a list of {\"key\", \"value\"} objects, got %s", describeJSONKind(list))
	}
	var attrs []Attribute
	i := 0
	var err error
	list.ForEach(func(_, kv gjson.Result) bool {
		var at Attribute
		at, err = decodeKeyValue(kv, valueIsPlain)
		if err != nil {
			err = fmt.Errorf("[%d]%w", i, err)
			return false
		}
		attrs = append(attrs, at)
		i++
		return true
	})
	if err != nil {
		return Attributes{}, err
	}
	return NewAttributes(attrs), nil
}

// decodeKeyValue decodes one {"key": …, "value": …}. Errors start with the
// key in parentheses (or ": " when there is none yet).
func decodeKeyValue(kv gjson.Result, valueIsPlain bool) (Attribute, error) {
	if !kv.IsObject() {
		return Attribute{}, fmt.Errorf(": want a {\"key\", \"value\"} object, got %s", describeJSONKind(kv))
	}
	var key, value gjson.Result
	kv.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "key":
			key = v
		case "value":
			value = v
		}
		return true
	})
	if key.Exists() && key.Type != gjson.String {
		return Attribute{}, fmt.Errorf(": key must be a string, got %s", describeJSONKind(key))
	}
	val, typ, err := decodeAnyValue(value, valueIsPlain, 0)
	if err != nil {
		return Attribute{}, fmt.Errorf(" (key %q): %w", key.Str, located(value, err))
	}
	return Attribute{Key: key.Str, Value: val, Type: typ}, nil
}

// decodeAnyValue turns an OTLP AnyValue into the model's Value text and
// Type. An absent, null or empty value is JSON null. A value that is not an
// AnyValue object (a plain JSON string, number or bool, as some producers
// send) is taken as that plain value.
func decodeAnyValue(v gjson.Result, valueIsPlain bool, depth int) (string, ValueType, error) {
	if depth > maxAnyValueDepth {
		return "", 0, errAnyValueDepth
	}
	switch v.Type {
	case gjson.Null:
		return "null", ValueJSON, nil
	case gjson.String:
		if valueIsPlain {
			return string(appendJSONText(nil, v.Str)), ValueString, nil
		}
		return v.Str, ValueString, nil
	case gjson.True:
		return "true", ValueBool, nil
	case gjson.False:
		return "false", ValueBool, nil
	case gjson.Number:
		if n, ok := parseJSONInt(v.Raw); ok {
			return strconv.FormatInt(n, 10), ValueInt, nil
		}
		return doubleText(v.Raw), ValueDouble, nil
	}
	if !v.IsObject() {
		return "", 0, fmt.Errorf("want an AnyValue object, got %s", describeJSONKind(v))
	}
	var (
		member string
		val    gjson.Result
	)
	v.ForEach(func(k, x gjson.Result) bool {
		if x.Type == gjson.Null {
			return true // proto-JSON: null means absent
		}
		switch k.Str {
		case "stringValue", "string_value", "boolValue", "bool_value", "intValue", "int_value",
			"doubleValue", "double_value", "bytesValue", "bytes_value",
			"arrayValue", "array_value", "kvlistValue", "kvlist_value":
			member, val = k.Str, x
			return false
		}
		return true // unknown members of an AnyValue are ignored (OTLP receivers must)
	})
	switch member {
	case "":
		return "null", ValueJSON, nil
	case "stringValue", "string_value":
		s, err := stringMember(member, val)
		if err != nil {
			return "", 0, err
		}
		if valueIsPlain {
			return string(appendJSONText(nil, s)), ValueString, nil
		}
		return s, ValueString, nil
	case "boolValue", "bool_value":
		switch {
		case val.Type == gjson.True || val.Type == gjson.String && val.Str == "true":
			return "true", ValueBool, nil
		case val.Type == gjson.False || val.Type == gjson.String && val.Str == "false":
			return "false", ValueBool, nil
		}
		return "", 0, fmt.Errorf("%s must be true or false, got %s", member, describeJSONKind(val))
	case "intValue", "int_value":
		n, err := int64Member(member, val)
		if err != nil {
			return "", 0, err
		}
		return strconv.FormatInt(n, 10), ValueInt, nil
	case "doubleValue", "double_value":
		t, err := doubleMember(member, val)
		if err != nil {
			return "", 0, err
		}
		return t, ValueDouble, nil
	case "bytesValue", "bytes_value":
		s, err := stringMember(member, val)
		if err != nil {
			return "", 0, err
		}
		return string(appendJSONText(nil, s)), ValueBytes, nil
	case "arrayValue", "array_value":
		b, err := appendPlainArray(nil, val, depth)
		if err != nil {
			return "", 0, err
		}
		return string(b), ValueArray, nil
	default: // kvlistValue, kvlist_value
		b, err := appendPlainKVList(nil, val, depth)
		if err != nil {
			return "", 0, err
		}
		return string(b), ValueKVList, nil
	}
}

func stringMember(name string, v gjson.Result) (string, error) {
	if v.Type != gjson.String {
		return "", fmt.Errorf("%s must be a string, got %s", name, describeJSONKind(v))
	}
	return v.Str, nil
}

// int64Member reads an OTLP 64-bit integer written as a decimal string (the
// spec) or a bare JSON number (tolerated), never through float64. name
// places its errors: a member name (AnyValue intValue) or a jsonPath, built
// only for an error (timeField).
func int64Member[N string | jsonPath](name N, v gjson.Result) (int64, error) {
	var text string
	switch v.Type {
	case gjson.String:
		text = v.Str
	case gjson.Number:
		text = v.Raw
	default:
		return 0, fmt.Errorf("%s must be an integer or a decimal string, got %s", name, describeJSONKind(v))
	}
	n, ok := parseJSONInt(text)
	if !ok {
		return 0, located(v, fmt.Errorf("%s %q is not a 64-bit integer", name, text))
	}
	return n, nil
}

// parseJSONInt parses decimal integer text (optional '-', digits only).
func parseJSONInt(s string) (int64, bool) {
	if s == "" || strings.ContainsAny(s, ".eE+ ") {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// doubleMember reads a doubleValue: a JSON number (kept as written), a
// number in a string, or the proto-JSON special strings NaN, Infinity and
// -Infinity (kept as a JSON string, written back the same way).
func doubleMember(name string, v gjson.Result) (string, error) {
	switch v.Type {
	case gjson.Number:
		return doubleText(v.Raw), nil
	case gjson.String:
		switch v.Str {
		case "NaN", "Infinity", "-Infinity":
			return string(appendJSONText(nil, v.Str)), nil
		}
		if isJSONNumber(v.Str) {
			return doubleText(v.Str), nil
		}
	}
	return "", fmt.Errorf("%s must be a number, got %s", name, describeJSONKind(v))
}

// doubleText makes JSON number text read as a double: it always holds '.',
// 'e' or 'E', so that a later write knows it is not an integer.
func doubleText(raw string) string {
	if strings.ContainsAny(raw, ".eE") {
		return raw
	}
	return raw + ".0"
}

// isJSONNumber reports whether s is exactly one JSON number.
func isJSONNumber(s string) bool {
	return s != "" && gjson.Valid(s) && gjson.Parse(s).Type == gjson.Number && strings.TrimSpace(s) == s
}

// appendPlainAnyValue appends the plain JSON value of an AnyValue: what an
// element of an arrayValue or kvlistValue becomes in the model's JSON text.
func appendPlainAnyValue(dst []byte, v gjson.Result, depth int) ([]byte, error) {
	val, typ, err := decodeAnyValue(v, true, depth)
	if err != nil {
		return dst, err
	}
	_ = typ // every plain value is already JSON text
	return append(dst, val...), nil
}

// appendPlainArray converts an arrayValue {"values": [AnyValue…]} into a JSON
// array of plain values.
func appendPlainArray(dst []byte, v gjson.Result, depth int) ([]byte, error) {
	values, err := valuesMember("arrayValue", v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '[')
	i := 0
	values.ForEach(func(_, e gjson.Result) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst, err = appendPlainAnyValue(dst, e, depth+1)
		if err != nil {
			err = fmt.Errorf("arrayValue.values[%d]: %w", i, err)
			return false
		}
		i++
		return true
	})
	return append(dst, ']'), err
}

// appendPlainKVList converts a kvlistValue {"values": [{key, value}…]} into a
// JSON object of plain values, in list order.
func appendPlainKVList(dst []byte, v gjson.Result, depth int) ([]byte, error) {
	values, err := valuesMember("kvlistValue", v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '{')
	i := 0
	values.ForEach(func(_, kv gjson.Result) bool {
		if !kv.IsObject() {
			err = fmt.Errorf("kvlistValue.values[%d]: want a {\"key\", \"value\"} object, got %s", i, describeJSONKind(kv))
			return false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		var key, value gjson.Result
		kv.ForEach(func(k, x gjson.Result) bool {
			switch k.Str {
			case "key":
				key = x
			case "value":
				value = x
			}
			return true
		})
		if key.Exists() && key.Type != gjson.String {
			err = fmt.Errorf("kvlistValue.values[%d]: key must be a string, got %s", i, describeJSONKind(key))
			return false
		}
		dst = appendJSONText(dst, key.Str)
		dst = append(dst, ':')
		dst, err = appendPlainAnyValue(dst, value, depth+1)
		if err != nil {
			err = fmt.Errorf("kvlistValue.values[%d] (key %q): %w", i, key.Str, err)
			return false
		}
		i++
		return true
	})
	return append(dst, '}'), err
}

// valuesMember returns the "values" list of an arrayValue or kvlistValue
// (absent means empty). A bare list in place of the object is tolerated.
func valuesMember(name string, v gjson.Result) (gjson.Result, error) {
	if v.IsArray() {
		return v, nil
	}
	if !v.IsObject() {
		return gjson.Result{}, fmt.Errorf("%s must be an object with \"values\", got %s", name, describeJSONKind(v))
	}
	var values gjson.Result
	v.ForEach(func(k, x gjson.Result) bool {
		if k.Str == "values" {
			values = x
			return false
		}
		return true
	})
	if !values.Exists() || values.Type == gjson.Null {
		return gjson.Parse("[]"), nil
	}
	if !values.IsArray() {
		return gjson.Result{}, fmt.Errorf("%s.values must be a list, got %s", name, describeJSONKind(values))
	}
	return values, nil
}

// describeJSONKind names the kind of a JSON value for error messages.
func describeJSONKind(v gjson.Result) string {
	switch {
	case !v.Exists():
		return "nothing"
	case v.Type == gjson.Null:
		return "null"
	case v.Type == gjson.String:
		s := v.Str
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return "string " + strconv.Quote(s)
	case v.Type == gjson.Number:
		return "number " + v.Raw
	case v.Type == gjson.True || v.Type == gjson.False:
		return "boolean " + v.Raw
	case v.IsArray():
		return "a list"
	default:
		return "an object"
	}
}

// appendKVList appends a as an OTLP KeyValue list (always "[…]", possibly
// empty), each value an AnyValue chosen by appendAttrValue. valueIsPlain is
// true for event and link attributes. inexact counts the values that will
// not read back as they are (see appendAttrValue).
func appendKVList(dst []byte, a Attributes, valueIsPlain bool) (out []byte, inexact int) {
	dst = append(dst, '[')
	for i := range a.Len() {
		at := a.At(i)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendJSONText(dst, at.Key)
		dst = append(dst, `,"value":`...)
		var n int
		dst, n = appendAttrValue(dst, at, valueIsPlain)
		inexact += n
		dst = append(dst, '}')
	}
	return append(dst, ']'), inexact
}

// appendAttrValue appends at's value as an OTLP AnyValue object.
//
// Typed values (ValueBool, ValueInt, ValueDouble, ValueBytes, ValueArray,
// ValueKVList) become that AnyValue. ValueString and ValueJSON (and any type
// this codec does not know) are mapped canonically:
//   - span attributes: a JSON string whose content is not itself valid JSON
//     → stringValue of the content (MLflow's "\"AGENT\"" → "AGENT"); for
//     ValueJSON a number → appendNumberValue (intValue, doubleValue, or the
//     stringValue of its text when neither holds it as written, which reads
//     back as that text), true/false → boolValue, null → {}; anything else
//     → stringValue of the text verbatim (MLflow inputs/outputs stay JSON
//     text).
//   - event/link attributes (plain values): the JSON value itself → the
//     matching AnyValue (arrays → arrayValue, objects → kvlistValue, numbers
//     by appendNumberValue); text that is not JSON → stringValue verbatim.
//
// A typed value whose text does not fit its type falls back to the
// canonical mapping, so nothing is ever written invalid. inexact counts the
// values that will not read back as they are: numbers that are plain values
// neither int64 nor float64 holds, written as the stringValue of their
// text, which reads back as a JSON string.
func appendAttrValue(dst []byte, at Attribute, valueIsPlain bool) (out []byte, inexact int) {
	v := at.Value
	switch at.Type {
	case ValueBool:
		if v == "true" || v == "false" {
			return append(append(append(dst, `{"boolValue":`...), v...), '}'), 0
		}
	case ValueInt:
		if n, ok := parseJSONInt(v); ok {
			return appendIntValue(dst, n), 0
		}
	case ValueDouble:
		if isJSONNumber(v) {
			return append(append(append(dst, `{"doubleValue":`...), v...), '}'), 0
		}
		switch v {
		case `"NaN"`, `"Infinity"`, `"-Infinity"`:
			return append(append(append(dst, `{"doubleValue":`...), v...), '}'), 0
		}
	case ValueBytes:
		if r, ok := parseOneJSON(v); ok && r.Type == gjson.String {
			dst = append(dst, `{"bytesValue":`...)
			return append(appendJSONText(dst, r.Str), '}'), 0
		}
	case ValueArray:
		if r, ok := parseOneJSON(v); ok && r.IsArray() {
			if out, ok := appendAnyValueOfJSON(dst, r, 0, true, &inexact); ok {
				return out, inexact
			}
		}
	case ValueKVList:
		if r, ok := parseOneJSON(v); ok && r.IsObject() {
			if out, ok := appendAnyValueOfJSON(dst, r, 0, true, &inexact); ok {
				return out, inexact
			}
		}
	}
	r, valid := parseOneJSON(v)
	if valueIsPlain {
		if valid {
			inexact = 0
			if out, ok := appendAnyValueOfJSON(dst, r, 0, false, &inexact); ok {
				return out, inexact
			}
		}
		return appendStringValue(dst, v), 0
	}
	if valid {
		switch {
		case r.Type == gjson.String:
			if !gjson.Valid(r.Str) {
				return appendStringValue(dst, r.Str), 0
			}
		case at.Type == ValueString:
			// a plain OTLP string stays that string
		case r.Type == gjson.Number:
			// the stringValue fallback holds v, which reads back as v
			out, _ := appendNumberValue(dst, r.Raw, false)
			return out, 0
		case r.Type == gjson.True || r.Type == gjson.False:
			return append(append(append(dst, `{"boolValue":`...), r.Raw...), '}'), 0
		case r.Type == gjson.Null:
			return append(dst, "{}"...), 0
		}
	}
	return appendStringValue(dst, v), 0
}

// appendNumberValue appends the AnyValue of JSON number text n: intValue
// when n is an int64 written canonically ("-0" is not), doubleValue when n
// has a fraction or an exponent and float64 holds it (float64Faithful, or
// typed: n was read from a doubleValue), so that every OTLP reader gets n
// back; else the stringValue of n (exact false): the OTLP reader gives a
// span attribute that text back as it is, but as a plain value (event and
// link attributes, array and kvlist elements) it reads back as a string.
// A doubleValue of n would lose digits, or make the document unreadable to
// float64 readers (1e400), and a doubleValue of an integer reads back as
// "n.0".
func appendNumberValue(dst []byte, n string, typed bool) (out []byte, exact bool) {
	if i, ok := parseJSONInt(n); ok {
		var buf [20]byte
		if string(strconv.AppendInt(buf[:0], i, 10)) == n {
			return appendIntValue(dst, i), true
		}
	}
	if strings.ContainsAny(n, ".eE") && (typed || float64Faithful(n)) {
		return append(append(append(dst, `{"doubleValue":`...), n...), '}'), true
	}
	return appendStringValue(dst, n), false
}

// float64Faithful reports whether float64 holds JSON number text n as
// written: n is in range and its nearest float64, written shortest, is the
// same decimal number (1e300 and 0.1 are; 1e400, 1e-400 and
// 1.00000000000000000001 are not).
func float64Faithful(n string) bool {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return false
	}
	var buf [32]byte
	a, ok1 := decimalOf(n)
	b, ok2 := decimalOf(string(strconv.AppendFloat(buf[:0], f, 'e', -1, 64)))
	return ok1 && ok2 && a == b
}

// decimal is a number as sign, significant digits (no leading or trailing
// zeros; none for zero) and the power of ten of the first digit's place.
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// decimalOf normalizes JSON number text (or Go's 'e' form of a float).
func decimalOf(s string) (decimal, bool) {
	var d decimal
	if s != "" && s[0] == '-' {
		d.neg, s = true, s[1:]
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > math.MaxInt32 || e < math.MinInt32 {
			return d, false
		}
		d.exp, s = e, s[:i]
	}
	whole, frac, _ := strings.Cut(s, ".")
	digits := whole + frac
	d.exp += len(whole)
	trimmed := strings.TrimLeft(digits, "0")
	d.exp -= len(digits) - len(trimmed)
	d.digits = strings.TrimRight(trimmed, "0")
	if d.digits == "" {
		d.exp = 0
	}
	return d, true
}

// appendAnyValueOfJSON appends the AnyValue of a plain JSON value: strings,
// numbers (appendNumberValue; typed: numbers of a value read from OTLP),
// booleans, null, arrays and objects map to stringValue, intValue or
// doubleValue, boolValue, {}, arrayValue and kvlistValue. It adds the
// numbers that will read back as strings to *inexact. ok is false (dst
// unchanged) when nesting is too deep.
func appendAnyValueOfJSON(dst []byte, r gjson.Result, depth int, typed bool, inexact *int) ([]byte, bool) {
	if depth > maxAnyValueDepth {
		return dst, false
	}
	start := len(dst)
	switch {
	case r.Type == gjson.String:
		return appendStringValue(dst, r.Str), true
	case r.Type == gjson.Number:
		dst, exact := appendNumberValue(dst, r.Raw, typed)
		if !exact {
			*inexact++
		}
		return dst, true
	case r.Type == gjson.True || r.Type == gjson.False:
		return append(append(append(dst, `{"boolValue":`...), r.Raw...), '}'), true
	case r.Type == gjson.Null:
		return append(dst, "{}"...), true
	case r.IsArray():
		dst = append(dst, `{"arrayValue":{"values":[`...)
		i, ok := 0, true
		r.ForEach(func(_, e gjson.Result) bool {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, ok = appendAnyValueOfJSON(dst, e, depth+1, typed, inexact)
			i++
			return ok
		})
		if !ok {
			return dst[:start], false
		}
		return append(dst, "]}}"...), true
	default: // object
		dst = append(dst, `{"kvlistValue":{"values":[`...)
		i, ok := 0, true
		r.ForEach(func(k, e gjson.Result) bool {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"key":`...)
			dst = appendJSONText(dst, k.Str)
			dst = append(dst, `,"value":`...)
			dst, ok = appendAnyValueOfJSON(dst, e, depth+1, typed, inexact)
			dst = append(dst, '}')
			i++
			return ok
		})
		if !ok {
			return dst[:start], false
		}
		return append(dst, "]}}"...), true
	}
}

func appendStringValue(dst []byte, s string) []byte {
	dst = append(dst, `{"stringValue":`...)
	return append(appendJSONText(dst, s), '}')
}

func appendIntValue(dst []byte, n int64) []byte {
	dst = append(dst, `{"intValue":"`...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, `"}`...)
}

// parseOneJSON parses s when it is exactly one valid JSON value.
func parseOneJSON(s string) (gjson.Result, bool) {
	if s == "" || !gjson.Valid(s) {
		return gjson.Result{}, false
	}
	return gjson.Parse(s), true
}

// appendJSONText appends s as a JSON string literal the way the OTLP writer
// and the attribute codec write it: '"', '\\' and control characters
// escaped (\b and \f as \u0008 and \u000c), no HTML escaping, invalid
// UTF-8 replaced by U+FFFD (written as the rune, not "\ufffd", so that
// reading and writing again gives the same bytes), U+2028/U+2029 escaped.
func appendJSONText(dst []byte, s string) []byte {
	return appendJSONQuoted(dst, s, false)
}

// appendJSONString is appendJSONText as the MLflow writer writes it, with
// \b and \f escaped short, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	return appendJSONQuoted(dst, s, true)
}

// AppendJSONString appends s as a JSON string literal as encoding/json
// writes it without HTML escaping, except that invalid UTF-8 becomes the
// rune U+FFFD rather than its escape (the same string either way).
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// appendJSONQuoted serves appendJSONText and appendJSONString, which differ
// only in shortBF: whether \b and \f are written as such or as \u00XX.
func appendJSONQuoted(dst []byte, s string, shortBF bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b' && shortBF:
				dst = append(dst, '\\', 'b')
			case c == '\f' && shortBF:
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...) // the rune itself, so a re-write is identical
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
