package spanjson

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// restTrace decodes an MLflow REST v3 trace (formats.md §2.4, §3.3):
// {"trace_info": {...}, "spans"|"data"|"trace_data": ...} with proto-JSON
// encodings (Timestamp and Duration strings, KeyValue attribute lists).
func (p *reader) restTrace(t topLevel, doc *Document) error {
	p.schema = SchemaMLflowREST
	spans := t.spans
	if !spans.Exists() {
		for _, holder := range []gjson.Result{t.data, lookup(t.others, "trace_data")} {
			if s := holder.Get("spans"); s.Exists() {
				spans = s
				break
			}
		}
	}
	if spans.Exists() && !spans.IsArray() && spans.Type != gjson.Null {
		return p.shapeError(spans.Index, `"spans" is not an array`)
	}
	info := p.infoV3(t.traceInfo)
	read := p.readSpans(spans.Array())
	doc.Traces = p.groupTraces(read, &info)
	return nil
}

func lookup(kv []gjson.Result, key string) gjson.Result {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i].Str == key {
			return kv[i+1]
		}
	}
	return gjson.Result{}
}

// keyValueList decodes an OTLP KeyValue list ([{"key","value":AnyValue}],
// camelCase or snake_case AnyValue). With mlflowValues a stringValue is
// MLflow JSON text (REST v3 span attributes); otherwise the OTLP rules of
// the brief apply (event values are plain, strings JSON-quoted).
//
// This is a small local reader: the full OTLP AnyValue codec lives in
// otlp.go/anyvalue.go.
func (p *reader) keyValueList(v gjson.Result, mlflowValues bool) Attributes {
	var list []Attribute
	v.ForEach(func(_, kv gjson.Result) bool {
		if !kv.IsObject() {
			p.warn(kv.Index, "an attribute is not a {key, value} object: skipped")
			return true
		}
		var a Attribute
		kv.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "key":
				a.Key = p.str(val)
			case "value":
				a.Value, a.Type = p.anyValue(val, !mlflowValues)
				if mlflowValues && a.Type == ValueString {
					a.Type = ValueJSON
				}
			}
			return true
		})
		list = append(list, a)
		return true
	})
	return NewAttributes(list)
}

// anyValue converts an AnyValue object to attribute text and type. With
// quoteStrings a stringValue becomes a JSON string (plain-value rule).
func (p *reader) anyValue(v gjson.Result, quoteStrings bool) (string, ValueType) {
	var val string
	typ := ValueString
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "stringValue", "string_value":
			val, typ = p.str(x), ValueString
			if quoteStrings {
				val = string(appendJSONString(nil, val))
			}
		case "boolValue", "bool_value":
			val, typ = "false", ValueBool
			if x.Type == gjson.True || (x.Type == gjson.String && x.Str == "true") {
				val = "true"
			}
		case "intValue", "int_value":
			n, ok := int64Of(x)
			if !ok {
				p.warn(x.Index, "intValue "+clip(x.Raw)+" is not an integer: taken as 0")
			}
			val, typ = strconv.FormatInt(n, 10), ValueInt
		case "doubleValue", "double_value":
			val, typ = doubleText(x), ValueDouble
		case "bytesValue", "bytes_value":
			val, typ = string(appendJSONString(nil, x.Str)), ValueBytes
		case "arrayValue", "array_value":
			val, typ = p.plainArray(x.Get("values")), ValueArray
		case "kvlistValue", "kvlist_value":
			val, typ = p.plainObject(x.Get("values")), ValueKVList
		}
		return true
	})
	return val, typ
}

// doubleText renders a JSON number so that it always reads as a double.
func doubleText(x gjson.Result) string {
	s := x.Raw
	if x.Type == gjson.String {
		s = x.Str
	}
	if s == "" {
		return "0.0"
	}
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// plainJSON returns the plain JSON value of an AnyValue (for arrays and
// kvlists).
func (p *reader) plainJSON(v gjson.Result) string {
	val, typ := p.anyValue(v, true)
	switch typ {
	case ValueString, ValueJSON:
		return val
	}
	if val == "" {
		return "null"
	}
	return val
}

func (p *reader) plainArray(values gjson.Result) string {
	var b strings.Builder
	b.WriteByte('[')
	i := 0
	values.ForEach(func(_, x gjson.Result) bool {
		if i > 0 {
			b.WriteByte(',')
		}
		i++
		b.WriteString(p.plainJSON(x))
		return true
	})
	b.WriteByte(']')
	return b.String()
}

func (p *reader) plainObject(values gjson.Result) string {
	var b strings.Builder
	b.WriteByte('{')
	i := 0
	values.ForEach(func(_, kv gjson.Result) bool {
		if i > 0 {
			b.WriteByte(',')
		}
		i++
		b.Write(appendJSONString(nil, kv.Get("key").Str))
		b.WriteByte(':')
		b.WriteString(p.plainJSON(kv.Get("value")))
		return true
	})
	b.WriteByte('}')
	return b.String()
}
