package spanjson

import (
	"errors"
	"fmt"
	"io"
)

// Schema names a family of trace JSON formats.
type Schema string

const (
	SchemaUnknown    Schema = ""
	SchemaMLflowV2   Schema = "mlflow-v2"      // MLflow 2.x Trace.to_json and TraceData
	SchemaMLflowV3   Schema = "mlflow-v3"      // MLflow 3.x Trace.to_json, TraceData, Databricks envelope
	SchemaMLflowREST Schema = "mlflow-rest-v3" // MLflow REST v3 proto-JSON
	SchemaOTLP       Schema = "otlp"           // OTLP JSON (TracesData / ExportTraceServiceRequest)
)

// Warning is a problem that did not stop decoding or tree building: an id
// that could not be decoded, an orphan span, a duplicate id, a cycle.
type Warning struct {
	Where string // "FILE:LINE:COL", or "trace tr-…/span …"
	Msg   string
}

func (w Warning) String() string {
	if w.Where == "" {
		return w.Msg
	}
	return w.Where + ": " + w.Msg
}

// Document is one JSON document of an input (a file, one line of a JSON
// Lines file, one of several concatenated objects) and what it held.
type Document struct {
	Schema   Schema
	Shape    string // what the document looked like, e.g. "MLflow 3 trace", "Databricks serving envelope"
	Line     int    // 1-based line where the document starts
	Traces   []Trace
	Warnings []Warning
}

// SyntaxError is invalid JSON or a document of an unknown shape, located in
// its input. Error() reads "FILE:LINE:COL: message".
type SyntaxError struct {
	File     string
	Line     int // 1-based
	Col      int // 1-based, in bytes
	Msg      string
	LineText string // the offending line, for a caret display
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrNotImplemented marks a codec path that does not exist yet.
var ErrNotImplemented = errors.New("not implemented")

// Decoder reads the documents of one input one at a time, so a JSON Lines
// input of any length is decoded in memory bounded by its largest document.
type Decoder struct {
	r    io.Reader
	name string
}

// NewDecoder reads from r; name is used in errors and warnings ("-" is
// shown as "<stdin>").
func NewDecoder(r io.Reader, name string) *Decoder {
	if name == "-" || name == "" {
		name = "<stdin>"
	}
	return &Decoder{r: r, name: name}
}

// Next returns the next document, or io.EOF after the last. An empty input
// is an error, not io.EOF on the first call.
func (d *Decoder) Next() (*Document, error) {
	return nil, ErrNotImplemented
}

// DecodeAll reads every document of r.
func DecodeAll(r io.Reader, name string) ([]*Document, error) {
	d := NewDecoder(r, name)
	var docs []*Document
	for {
		doc, err := d.Next()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, doc)
	}
}

// Loss is something a cross-schema write could not carry: which field, and
// how many times it was dropped.
type Loss struct {
	Field string
	Count int
}

// AppendTrace appends t written in schema as one line of canonical compact
// JSON (no trailing newline) and reports what the schema could not carry.
func AppendTrace(dst []byte, schema Schema, t *Trace) ([]byte, []Loss, error) {
	switch schema {
	case SchemaMLflowV2:
		return appendMLflowV2(dst, t)
	case SchemaMLflowV3:
		return appendMLflowV3(dst, t)
	case SchemaOTLP:
		return appendOTLP(dst, t)
	}
	return dst, nil, fmt.Errorf("cannot write schema %q: want %s, %s or %s", schema, SchemaMLflowV2, SchemaMLflowV3, SchemaOTLP)
}
