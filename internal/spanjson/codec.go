package spanjson

import (
	"errors"
	"fmt"
	"io"
)

// ErrEmptyInput is returned (wrapped, with the input name) by the first
// Decoder.Next of an input that holds no JSON document.
var ErrEmptyInput = errors.New("empty input: no JSON document found")

// Schema names a family of trace JSON formats.
type Schema string

const (
	SchemaUnknown    Schema = ""
	SchemaMLflowV2   Schema = "mlflow-v2"      // MLflow 2.x Trace.to_json and TraceData
	SchemaMLflowV3   Schema = "mlflow-v3"      // MLflow 3.x Trace.to_json, TraceData, Databricks envelope
	SchemaMLflowREST Schema = "mlflow-rest-v3" // MLflow REST v3 proto-JSON
	SchemaOTLP       Schema = "otlp"           // OTLP JSON (TracesData / ExportTraceServiceRequest)

	// Read only: a trace read in these is written as MLflow v2, v3 or OTLP.
	SchemaOTelConsole Schema = "otel-console" // OpenTelemetry Python ConsoleSpanExporter dump
	SchemaLangfuse    Schema = "langfuse"     // Langfuse trace export / API trace
	SchemaLangSmith   Schema = "langsmith"    // LangSmith runs
	SchemaJaeger      Schema = "jaeger"       // Jaeger UI / query-API JSON
	SchemaZipkin      Schema = "zipkin"       // Zipkin v2 JSON
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
	LineText string // the offending line (clipped when very long), for a caret display
	// LineTextCol is the 1-based byte column of the error within LineText;
	// it differs from Col when a long line was clipped.
	LineTextCol int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ErrNotImplemented marks a codec path that does not exist yet.
var ErrNotImplemented = errors.New("not implemented")

// DecodeAll reads every document of r.
func DecodeAll(r io.Reader, name string) ([]*Document, error) {
	return NewDecoder(r, name).all()
}

// all reads every document that is left.
func (d *Decoder) all() ([]*Document, error) {
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
	return dst, nil, errCannotWrite(schema)
}

// ReadOnly reports whether tracectl reads schema but has no writer for it.
func (s Schema) ReadOnly() bool {
	switch s {
	case SchemaMLflowREST, SchemaOTelConsole, SchemaLangfuse, SchemaLangSmith, SchemaJaeger, SchemaZipkin:
		return true
	}
	return false
}

// errCannotWrite says that schema has no writer, and which ones there are.
func errCannotWrite(schema Schema) error {
	if schema.ReadOnly() {
		return fmt.Errorf("cannot write schema %q: tracectl reads it but writes only %s, %s or %s", schema, SchemaMLflowV2, SchemaMLflowV3, SchemaOTLP)
	}
	return fmt.Errorf("cannot write schema %q: want %s, %s or %s", schema, SchemaMLflowV2, SchemaMLflowV3, SchemaOTLP)
}
