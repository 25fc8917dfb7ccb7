package render

import (
	"strconv"
	"strings"
	"time"
)

// StatsRow is one group of `tracectl stats` (built by internal/stats): in
// text one table row, in JSON one object. Token and cost fields are absent
// when no member of the group says; averages are per trace of the group.
type StatsRow struct {
	Group string `json:"group"`
	// Traces is how many traces have a member in the group.
	Traces int64 `json:"traces"`
	// Count is the group's members: spans (--by name, type, model) or
	// traces (--by trace, session, file).
	Count int64 `json:"count"`
	// Errors are the members that failed: spans with status ERROR, traces
	// with state ERROR.
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Timed is how many members have a duration (a running span has none).
	Timed    int64           `json:"timed"`
	Duration *StatsDurations `json:"duration_ns,omitempty"`

	InputTokens    *int64   `json:"input_tokens,omitempty"`
	OutputTokens   *int64   `json:"output_tokens,omitempty"`
	TotalTokens    *int64   `json:"total_tokens,omitempty"`
	CachedTokens   *int64   `json:"cached_tokens,omitempty"`
	TokensPerTrace *float64 `json:"total_tokens_per_trace,omitempty"`
	CostUSD        *float64 `json:"cost_usd,omitempty"`
	CostPerTrace   *float64 `json:"cost_usd_per_trace,omitempty"`
}

// StatsDurations are a group's duration quantiles and maximum in
// nanoseconds.
type StatsDurations struct {
	P50 int64 `json:"p50"`
	P90 int64 `json:"p90"`
	P95 int64 `json:"p95"`
	P99 int64 `json:"p99"`
	Max int64 `json:"max"`
}

// StatsJSON is `tracectl stats -o json`: the grouping, the quantiles'
// relative accuracy and the groups.
type StatsJSON struct {
	By               string     `json:"by"`
	RelativeAccuracy float64    `json:"relative_accuracy"`
	Groups           []StatsRow `json:"groups"`
}

// StatsRows writes the stats table: the group (headed by what --by names),
// TRACES, SPANS for span groups, ERRORS and ERR%, the duration quantiles,
// TOKENS and COST with their per-trace averages ("-" where unknown).
func (p *Printer) StatsRows(by string, spanLevel bool, rows []StatsRow) {
	th := p.th
	var cols []column
	add := func(header string, right bool) *column {
		cols = append(cols, column{header: header, right: right, cells: make([]string, 0, len(rows))})
		return &cols[len(cols)-1]
	}
	add(strings.ToUpper(by), false)
	add("TRACES", true)
	if spanLevel {
		add("SPANS", true)
	}
	for _, h := range []string{"ERRORS", "ERR%", "P50", "P90", "P95", "P99", "MAX", "TOKENS", "TOKENS/TRACE", "COST", "COST/TRACE"} {
		add(h, true)
	}
	dur := func(r *StatsRow, f func(*StatsDurations) int64) string {
		if r.Duration == nil {
			return "-"
		}
		return FormatDuration(time.Duration(f(r.Duration)))
	}
	for k := range rows {
		r := &rows[k]
		c := 0
		next := func(v string) { cols[c].cells = append(cols[c].cells, v); c++ }
		next(orDash(r.Group))
		next(groupDigits(r.Traces))
		if spanLevel {
			next(groupDigits(r.Count))
		}
		next(groupDigits(r.Errors))
		next(strconv.FormatFloat(100*r.ErrorRate, 'f', 1, 64))
		next(dur(r, func(d *StatsDurations) int64 { return d.P50 }))
		next(dur(r, func(d *StatsDurations) int64 { return d.P90 }))
		next(dur(r, func(d *StatsDurations) int64 { return d.P95 }))
		next(dur(r, func(d *StatsDurations) int64 { return d.P99 }))
		next(dur(r, func(d *StatsDurations) int64 { return d.Max }))
		next(countText(r.TotalTokens))
		next(averageText(r.TokensPerTrace))
		next(costText(r.CostUSD))
		next(costText(r.CostPerTrace))
	}
	cols[0].paint = func(_ int, s string) string { return th.paint(th.bold, s) }
	errCol := 2
	if spanLevel {
		errCol = 3
	}
	for _, c := range []int{errCol, errCol + 1} {
		cols[c].paint = func(r int, s string) string {
			if rows[r].Errors > 0 {
				return th.paint(th.fail, s)
			}
			return s
		}
	}
	p.writeTable(cols)
}

func countText(n *int64) string {
	if n == nil {
		return "-"
	}
	return groupDigits(*n)
}

func averageText(f *float64) string {
	if f == nil {
		return "-"
	}
	return groupDigits(int64(*f + 0.5))
}

func costText(f *float64) string {
	if f == nil {
		return "-"
	}
	return CostText(*f)
}
