package render

import (
	"bytes"
	"encoding/json"
	"strings"

	"tracectl/internal/spanjson"
)

// PrettyJSON indents JSON text for a person: members keep their order and
// numbers their digits (the text is re-indented, not decoded), and string
// escapes of printable characters are undone, so "14\u00b0C" reads 14°C.
// Control characters stay escaped inside strings (\n, \u001b); the lines
// still go through Printable before they reach a terminal (C1 controls
// and DEL are valid in JSON strings). ok is false for text that is not
// one JSON value.
func PrettyJSON(raw string) (text string, ok bool) {
	raw = strings.Trim(raw, " \t\r\n") // JSON's whitespace, no other
	if raw == "" || !json.Valid([]byte(raw)) {
		return "", false
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, []byte(raw), "", "  "); err != nil {
		return "", false
	}
	src := ind.Bytes()
	var out strings.Builder
	out.Grow(len(src))
	for i := 0; i < len(src); {
		if src[i] != '"' {
			out.WriteByte(src[i])
			i++
			continue
		}
		j := i + 1
		for j < len(src) && src[j] != '"' {
			if src[j] == '\\' {
				j++
			}
			j++
		}
		j = min(j+1, len(src))
		lit := src[i:j]
		i = j
		if bytes.IndexByte(lit, '\\') < 0 {
			out.Write(lit)
			continue
		}
		var s string
		if json.Unmarshal(lit, &s) != nil {
			out.Write(lit)
			continue
		}
		out.WriteString(quoteJSON(s))
	}
	return out.String(), true
}

// quoteJSON is s as a JSON string: non-ASCII as is, control characters
// and invalid UTF-8 escaped, no HTML escaping.
func quoteJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// prettyValue is a span attribute's value as indented JSON text: a typed
// string (OTLP stringValue) and a value that is not JSON (a producer's
// plain text) are JSON strings.
func prettyValue(a spanjson.Attribute) string {
	if a.Type != spanjson.ValueString {
		if s, ok := PrettyJSON(a.Value); ok {
			return s
		}
	}
	return quoteJSON(a.Value)
}

// prettyEventValue is prettyValue for event and link attributes, whose
// values are JSON text whatever their type (spanjson's event rule).
func prettyEventValue(a spanjson.Attribute) string {
	if s, ok := PrettyJSON(a.Value); ok {
		return s
	}
	return quoteJSON(a.Value)
}

// prettyIO is an inputs or outputs attribute as indented JSON text: as
// prettyValue, but a typed string or a JSON string that holds a JSON
// object or list is that object or list (as the GenAI view reads it).
func prettyIO(a spanjson.Attribute) string {
	if a.Type == spanjson.ValueString {
		if t := strings.TrimSpace(a.Value); t != "" && (t[0] == '{' || t[0] == '[') {
			if s, ok := PrettyJSON(t); ok {
				return s
			}
		}
		return quoteJSON(a.Value)
	}
	a.Value = unwrapJSONString(a.Value)
	return prettyValue(a)
}

// prettyAny is a decoded value as indented JSON text (map keys sorted).
func prettyAny(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return quoteJSON(err.Error())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// unwrapJSONString is the JSON text a JSON string holds when it holds an
// object or a list (MLflow inputs written twice encoded), else raw.
func unwrapJSONString(raw string) string {
	t := strings.TrimSpace(raw)
	if len(t) < 2 || t[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal([]byte(t), &s) != nil {
		return raw
	}
	if in := strings.TrimSpace(s); in != "" && (in[0] == '{' || in[0] == '[') && json.Valid([]byte(in)) {
		return in
	}
	return raw
}
