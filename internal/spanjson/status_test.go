package spanjson

import "testing"

func TestParseStatusCode(t *testing.T) {
	tests := map[string]StatusCode{
		"OK": StatusOK, "STATUS_CODE_OK": StatusOK, "1": StatusOK, "ok": StatusOK,
		"ERROR": StatusError, "STATUS_CODE_ERROR": StatusError, "2": StatusError,
		"UNSET": StatusUnset, "STATUS_CODE_UNSET": StatusUnset, "0": StatusUnset, "": StatusUnset,
	}
	for in, want := range tests {
		got, ok := ParseStatusCode(in)
		if !ok || got != want {
			t.Errorf("ParseStatusCode(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseStatusCode("MAYBE"); ok {
		t.Error("ParseStatusCode(MAYBE) accepted")
	}
}

func TestParseSpanKind(t *testing.T) {
	tests := map[string]SpanKind{
		"SPAN_KIND_SERVER": SpanKindServer, "SpanKind.CLIENT": SpanKindClient,
		"internal": SpanKindInternal, "5": SpanKindConsumer, "SPAN_KIND_UNSPECIFIED": SpanKindUnspecified,
	}
	for in, want := range tests {
		got, ok := ParseSpanKind(in)
		if !ok || got != want {
			t.Errorf("ParseSpanKind(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"6", "SPAN_KIND_X", ""} {
		if _, ok := ParseSpanKind(bad); ok {
			t.Errorf("ParseSpanKind(%q) accepted", bad)
		}
	}
	if SpanKindProducer.String() != "PRODUCER" || SpanKind(9).String() != "UNSPECIFIED" {
		t.Error("SpanKind.String")
	}
}

func TestParseTraceState(t *testing.T) {
	tests := map[string]TraceState{
		"OK": StateOK, "ERROR": StateError, "IN_PROGRESS": StateInProgress,
		"TRACE_STATUS_UNSPECIFIED": StateUnspecified, "STATE_UNSPECIFIED": StateUnspecified,
	}
	for in, want := range tests {
		got, ok := ParseTraceState(in)
		if !ok || got != want {
			t.Errorf("ParseTraceState(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ParseTraceState("DONE"); ok {
		t.Error("ParseTraceState(DONE) accepted")
	}
}
