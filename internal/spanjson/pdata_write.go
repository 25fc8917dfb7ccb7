package spanjson

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// PdataFromTrace converts t into OTLP pdata, as the collector's modules
// hold an export request. It is the OTLP JSON writer's output (the one
// owner of how the model maps onto OTLP) read by pdata's own JSON
// unmarshaler, so `send` exports exactly what `convert --schema otlp`
// writes, except that every undecodable id is written as its stand-in
// (OTLP-read ones too, which convert keeps as text): a receiver decodes ids.
// The losses are the writer's (trace info OTLP cannot carry, stand-in ids).
func PdataFromTrace(t *Trace) (ptrace.Traces, []Loss, error) {
	buf, losses, err := appendOTLPWith(nil, streamOut{}, t, true)
	if err != nil {
		return ptrace.Traces{}, nil, err
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(buf)
	if err != nil {
		// The writer writes valid OTLP JSON; this is a bug, said plainly.
		return ptrace.Traces{}, nil, fmt.Errorf("OTLP JSON written for pdata does not decode: %w", err)
	}
	return td, losses, nil
}
