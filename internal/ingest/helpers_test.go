package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tracectl/internal/spanjson"
	"tracectl/internal/spanjson/spanjsontest"
)

// tspan is a span written by hand into an OTLP or MLflow v3 document.
type tspan struct {
	trace      int // trace number (traceHex)
	id         int // span number (spanHex)
	parent     int // parent span number; 0 for a root
	name       string
	start, end int64 // unix nanoseconds; end 0: still running
	errMsg     string
}

func traceHex(n int) string { return fmt.Sprintf("5ca1ab1e%024x", n) }
func spanHex(n int) string  { return fmt.Sprintf("5a%014x", n) }

func hexToBase64(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// mlflowID is the MLflow trace id of trace n ("tr-" + its OpenTelemetry id).
func mlflowID(n int) string { return "tr-" + traceHex(n) }

// otlpLine is one OTLP/JSON document (one line) holding spans.
func otlpLine(spans ...tspan) string {
	var b strings.Builder
	b.WriteString(`{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[`)
	for i, s := range spans {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"traceId":%q,"spanId":%q`, traceHex(s.trace), spanHex(s.id))
		if s.parent != 0 {
			fmt.Fprintf(&b, `,"parentSpanId":%q`, spanHex(s.parent))
		}
		fmt.Fprintf(&b, `,"name":%q,"startTimeUnixNano":"%d"`, s.name, s.start)
		if s.end != 0 {
			fmt.Fprintf(&b, `,"endTimeUnixNano":"%d"`, s.end)
		}
		if s.errMsg != "" {
			fmt.Fprintf(&b, `,"status":{"code":"STATUS_CODE_ERROR","message":%q}`, s.errMsg)
		} else {
			// As MLflow writes it: the OTLP copy of an MLflow span is a copy.
			b.WriteString(`,"status":{"code":"STATUS_CODE_OK"}`)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}]}]}\n")
	return b.String()
}

// mlflowLine is one MLflow v3 trace document (one line): trace n with info
// (client request id clientID, the given state) and spans.
func mlflowLine(n int, clientID, state string, spans ...tspan) string {
	return mlflowLineID(mlflowID(n), clientID, state, spans...)
}

// mlflowLineID is mlflowLine with the MLflow trace id given (the spans keep
// their own OpenTelemetry trace id).
func mlflowLineID(id, clientID, state string, spans ...tspan) string {
	var b strings.Builder
	first := int64(0)
	last := int64(0)
	for _, s := range spans {
		if first == 0 || s.start < first {
			first = s.start
		}
		last = max(last, s.end)
	}
	fmt.Fprintf(&b, `{"info":{"trace_id":%q,"client_request_id":%q,"request_time":%q,"execution_duration_ms":%d,"state":%q,"trace_metadata":{"mlflow.trace_schema.version":"3"},"tags":{}},"data":{"spans":[`,
		id, clientID, time.Unix(0, first).UTC().Format("2006-01-02T15:04:05.000Z"), (last-first)/1e6, state)
	for i, s := range spans {
		if i > 0 {
			b.WriteByte(',')
		}
		parent := "null"
		if s.parent != 0 {
			parent = fmt.Sprintf("%q", hexToBase64(spanHex(s.parent)))
		}
		code, msg := "STATUS_CODE_OK", ""
		if s.errMsg != "" {
			code, msg = "STATUS_CODE_ERROR", s.errMsg
		}
		fmt.Fprintf(&b, `{"trace_id":%q,"span_id":%q,"parent_span_id":%s,"name":%q,"start_time_unix_nano":%d,"end_time_unix_nano":%d,"events":[],"status":{"code":%q,"message":%q},"attributes":{}}`,
			hexToBase64(traceHex(s.trace)), hexToBase64(spanHex(s.id)), parent, s.name, s.start, s.end, code, msg)
	}
	b.WriteString("]}}\n")
	return b.String()
}

// v3Trace is an MLflow v3 trace of n spans made by spanjsontest (one line).
func v3Trace(t testing.TB, n int, seed int64) string {
	t.Helper()
	var b bytes.Buffer
	if err := spanjsontest.WriteV3Trace(&b, n, seed); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fileInput is an in-memory input read as a regular file.
func fileInput(name, text string) Input {
	return Input{Name: name, Reader: strings.NewReader(text)}
}

// onlyReader hides every method but Read: Read takes the input for a
// stream (a pipe), not a file.
type onlyReader struct{ r *strings.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func streamInput(name, text string) Input {
	return Input{Name: name, Reader: onlyReader{strings.NewReader(text)}}
}

// readOutcome is everything Read reported.
type readOutcome struct {
	traces   []*Trace
	warnings []spanjson.Warning
	errs     []error // given to Options.Error
	err      error   // returned by Read
}

// readAll runs Read, collecting traces, warnings and (when collectErrs)
// per-input errors.
func readAll(t testing.TB, inputs []Input, opts Options, collectErrs bool) readOutcome {
	t.Helper()
	var mu sync.Mutex
	var r readOutcome
	opts.Warn = func(w spanjson.Warning) {
		mu.Lock()
		defer mu.Unlock()
		r.warnings = append(r.warnings, w)
	}
	if collectErrs {
		opts.Error = func(err error) {
			mu.Lock()
			defer mu.Unlock()
			r.errs = append(r.errs, err)
		}
	}
	r.err = Read(context.Background(), inputs, opts, func(tr *Trace) error {
		mu.Lock()
		defer mu.Unlock()
		r.traces = append(r.traces, tr)
		return nil
	})
	return r
}

// ids lists the MLflow ids of traces in the order they were handed on.
func ids(ts []*Trace) []string {
	out := make([]string, len(ts))
	for i, tr := range ts {
		out[i] = tr.Info.TraceID
	}
	return out
}

// spanList is a trace's spans as "span-id name", sorted.
func spanList(tr *Trace) []string {
	out := make([]string, len(tr.Spans))
	for i, s := range tr.Spans {
		out[i] = s.SpanID().String() + " " + s.Name()
	}
	slices.Sort(out)
	return out
}

// render is the canonical text of a trace: what must not depend on how its
// documents were split into inputs or read (file or stream).
func render(tr *Trace) string {
	rt := "-"
	if !tr.Info.RequestTime.IsZero() {
		rt = tr.Info.RequestTime.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s state=%s request=%s duration=%s spans=[%s]",
		tr.Info.TraceID, tr.Info.State, rt, tr.Info.ExecutionDuration, strings.Join(spanList(tr), ", "))
}

// canonical is the set of traces, rendered and sorted (by trace id first).
func canonical(ts []*Trace) []string {
	out := make([]string, len(ts))
	for i, tr := range ts {
		out[i] = render(tr)
	}
	slices.Sort(out)
	return out
}

// warningsWith lists the warnings whose message contains sub.
func warningsWith(ws []spanjson.Warning, sub string) []spanjson.Warning {
	var out []spanjson.Warning
	for _, w := range ws {
		if strings.Contains(w.Msg, sub) {
			out = append(out, w)
		}
	}
	return out
}
