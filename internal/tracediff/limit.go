package tracediff

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Unit is what a Limit's absolute form counts.
type Unit int

const (
	UnitDuration Unit = iota // 500ms, 2s
	UnitCount                // 500 (tokens)
	UnitUSD                  // 0.05 or $0.05
)

// Limit is a CI gate's threshold: a share of the base (20%) or an amount
// (500ms, 2000 tokens, $0.05). A leading "+" is allowed: it is how much
// more the candidate may take.
type Limit struct {
	Text  string  // as given
	Pct   float64 // when IsPct: percent of the base
	Abs   float64 // otherwise: nanoseconds, a count or dollars
	IsPct bool
}

// ParseLimit reads a threshold of unit u: "20%", "+10%", or an amount
// ("500ms" for a duration, "2000" for tokens, "0.05" or "$0.05" for cost).
// Negative and non-finite values are refused.
func ParseLimit(s string, u Unit) (Limit, error) {
	l := Limit{Text: s}
	t := strings.TrimPrefix(strings.TrimSpace(s), "+")
	bad := func() (Limit, error) {
		want := map[Unit]string{UnitDuration: "a percentage such as 20% or a duration such as 500ms", UnitCount: "a percentage such as +10% or a token count such as 2000", UnitUSD: "a percentage such as +10% or an amount such as 0.05"}[u]
		return Limit{}, fmt.Errorf("invalid limit %q: want %s", s, want)
	}
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return bad()
		}
		l.Pct, l.IsPct = f, true
		return l, nil
	}
	switch u {
	case UnitDuration:
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			return bad()
		}
		l.Abs = float64(d)
	default:
		if u == UnitUSD {
			t = strings.TrimPrefix(t, "$")
		}
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || t == "" || strings.ContainsAny(t, "xXpP_") {
			return bad()
		}
		l.Abs = f
	}
	return l, nil
}

// Exceeded reports whether going from base to cand grows by more than the
// limit. With a percentage and a base of 0, any growth exceeds it.
func (l Limit) Exceeded(base, cand float64) bool {
	delta := cand - base
	if delta <= 0 {
		return false
	}
	if !l.IsPct {
		return delta > l.Abs
	}
	if base <= 0 {
		return true
	}
	return delta/base*100 > l.Pct
}

// pct is the change from base to cand in percent, rounded to 0.1; nil when
// the base is 0 (no share of nothing).
func pct(base, cand float64) *float64 {
	if base == 0 {
		return nil
	}
	p := math.Round((cand-base)/base*1000) / 10
	return &p
}

// quantile returns the q-quantile of sorted values by nearest rank: a
// value that was seen (0 for none). The run diff's p50 and p95 are exact
// over the durations it keeps: a run is hundreds or thousands of traces.
func quantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// sortedCopy returns v sorted, leaving v as it was.
func sortedCopy(v []int64) []int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s
}
