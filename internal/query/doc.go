// Package query is the trace query language of `tracectl check` and of the
// --where flag of the read commands: a subset of TraceQL (Grafana Tempo)
// evaluated one trace at a time.
//
// A query selects spans with `{ cond }`, combines span sets with `&&`,
// `||`, `>` (child) and `>>` (descendant), and may end in one aggregate
// compared with a literal (`| count() <= 8`). A trace matches when the
// result is non-empty or the comparison holds. Parse reports errors with
// the column of the offending token; ParseSpec reads a YAML file of named
// checks and places errors at file:line:col.
package query
