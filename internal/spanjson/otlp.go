package spanjson

import "github.com/tidwall/gjson"

// decodeOTLP decodes one OTLP JSON document (TracesData /
// ExportTraceServiceRequest, camelCase or snake_case) into traces grouped by
// trace id. Warnings carry no location; the caller adds the document's.
func decodeOTLP(doc gjson.Result) ([]Trace, []Warning, error) {
	return nil, nil, ErrNotImplemented
}

// appendOTLP writes t as one OTLP JSON TracesData object, canonical compact
// form: hex ids, numeric enums, int64 as strings, spans grouped by resource
// and scope.
func appendOTLP(dst []byte, t *Trace) ([]byte, []Loss, error) {
	return dst, nil, ErrNotImplemented
}
