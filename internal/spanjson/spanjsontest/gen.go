// Package spanjsontest generates synthetic traces for tests and benchmarks.
package spanjsontest

import (
	"errors"
	"io"
)

// WriteV3Trace writes one MLflow v3 trace ({"info","data":{"spans"}}) of n
// spans to w, deterministic for a seed: a realistic mix of span types,
// nesting, inputs/outputs and some error spans with exception events.
// 1,000,000 spans is about 500 MB.
func WriteV3Trace(w io.Writer, n int, seed int64) error {
	return errors.New("not implemented")
}
