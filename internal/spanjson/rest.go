package spanjson

import (
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
// camelCase or snake_case AnyValue) with the OTLP codec's decodeKVList.
// With mlflowValues a stringValue is MLflow JSON text (REST v3 span
// attributes); otherwise event values are plain, strings JSON-quoted. A list
// that cannot be decoded is dropped with a warning, never an error.
func (p *reader) keyValueList(v gjson.Result, mlflowValues bool) Attributes {
	attrs, err := decodeKVList(v, !mlflowValues)
	if err != nil {
		p.warn(v.Index, "attributes"+err.Error()+": attributes dropped")
		return Attributes{}
	}
	if !mlflowValues {
		return attrs
	}
	list := attrs.List()
	for i := range list {
		if list[i].Type == ValueString {
			list[i].Type = ValueJSON
		}
	}
	return NewAttributes(list)
}
