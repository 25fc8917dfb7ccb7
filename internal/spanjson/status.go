package spanjson

import "strings"

// StatusCode is a span's outcome, numbered as in OTLP.
type StatusCode int8

const (
	StatusUnset StatusCode = 0
	StatusOK    StatusCode = 1
	StatusError StatusCode = 2
)

// Status is a span's status code and optional description.
type Status struct {
	Code    StatusCode
	Message string
}

// String returns the short name: UNSET, OK or ERROR.
func (c StatusCode) String() string {
	switch c {
	case StatusOK:
		return "OK"
	case StatusError:
		return "ERROR"
	default:
		return "UNSET"
	}
}

// ParseStatusCode accepts every spelling of formats.md §3.6 ("OK",
// "STATUS_CODE_OK", "1", any case). ok is false for anything else.
func ParseStatusCode(s string) (c StatusCode, ok bool) {
	switch strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(s, "STATUS_CODE_"), "status_code_")) {
	case "UNSET", "0", "":
		return StatusUnset, true
	case "OK", "1":
		return StatusOK, true
	case "ERROR", "2":
		return StatusError, true
	}
	return StatusUnset, false
}

// SpanKind is the OpenTelemetry span kind, numbered as in OTLP.
type SpanKind int8

const (
	SpanKindUnspecified SpanKind = 0
	SpanKindInternal    SpanKind = 1
	SpanKindServer      SpanKind = 2
	SpanKindClient      SpanKind = 3
	SpanKindProducer    SpanKind = 4
	SpanKindConsumer    SpanKind = 5
)

var spanKindNames = [...]string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"}

// String returns the short upper-case name, e.g. "SERVER".
func (k SpanKind) String() string {
	if k >= 0 && int(k) < len(spanKindNames) {
		return spanKindNames[k]
	}
	return "UNSPECIFIED"
}

// ParseSpanKind accepts "SPAN_KIND_SERVER", "SpanKind.SERVER", "SERVER" and
// "2", in any case. ok is false for anything else.
func ParseSpanKind(s string) (k SpanKind, ok bool) {
	u := strings.ToUpper(s)
	u = strings.TrimPrefix(u, "SPAN_KIND_")
	u = strings.TrimPrefix(u, "SPANKIND.")
	if len(u) == 1 && u[0] >= '0' && u[0] <= '5' {
		return SpanKind(u[0] - '0'), true
	}
	for i, n := range spanKindNames {
		if u == n {
			return SpanKind(i), true
		}
	}
	return SpanKindUnspecified, false
}

// TraceState is the outcome of a whole trace (MLflow 3 "state", MLflow 2
// "status").
type TraceState string

const (
	StateUnspecified TraceState = "STATE_UNSPECIFIED"
	StateOK          TraceState = "OK"
	StateError       TraceState = "ERROR"
	StateInProgress  TraceState = "IN_PROGRESS"
)

// ParseTraceState accepts the MLflow 2 and 3 spellings
// (TRACE_STATUS_UNSPECIFIED, STATE_UNSPECIFIED, OK, ERROR, IN_PROGRESS).
func ParseTraceState(s string) (TraceState, bool) {
	switch strings.ToUpper(s) {
	case "OK":
		return StateOK, true
	case "ERROR":
		return StateError, true
	case "IN_PROGRESS":
		return StateInProgress, true
	case "STATE_UNSPECIFIED", "TRACE_STATUS_UNSPECIFIED", "":
		return StateUnspecified, true
	}
	return StateUnspecified, false
}
