// Package tracediff says what changed between a baseline and a candidate:
// two traces aligned span by span (Diff), or two runs of traces paired by
// a key and compared per span name, type or model (Runs); the CI gates
// on either (Gates); and their text and JSON views. It reads traces
// through render.TraceView (span types, self times, subtree sizes) and
// spanjson's rules (state, duration, GenAI totals, UsageSpans).
package tracediff
