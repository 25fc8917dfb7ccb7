package tracediff

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"tracectl/internal/render"
)

// Gates are the CI gates of `tracectl diff`: a diff that crosses any of
// them fails (exit 3).
type Gates struct {
	MaxSlower *Limit // trace duration (runs: trace p95 and each group's p95)
	MaxTokens *Limit // trace total tokens (runs: the paired traces' sum)
	MaxCost   *Limit // trace cost (runs: the paired traces' sum)
	// NewErrors fails a candidate that fails where the base did not: a span
	// that started failing, an added failing span, the trace state going
	// to ERROR (runs: a group with errors that had none, more failed
	// traces than a base that had none).
	NewErrors bool
	// MissingSpans fails a candidate without spans the base has (runs: a
	// group the base has and the candidate does not).
	MissingSpans bool
}

// Names of the gates, as in their flags.
const (
	GateMaxSlower    = "max-slower"
	GateMaxTokens    = "max-tokens"
	GateMaxCost      = "max-cost"
	GateNewErrors    = "new-errors"
	GateMissingSpans = "missing-spans"
)

// GateResult is one gate on one diff.
type GateResult struct {
	Gate   string `json:"gate"`
	Limit  string `json:"limit,omitempty"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Failed counts the gates that failed.
func Failed(results []GateResult) int {
	n := 0
	for _, r := range results {
		if !r.Passed {
			n++
		}
	}
	return n
}

// PathText is a path for people: names joined by " / ", a sibling past
// the first of its name numbered from 1 ("tool #4").
func PathText(p []PathStep) string {
	var b strings.Builder
	for k, s := range p {
		if k > 0 {
			b.WriteString(" / ")
		}
		b.WriteString(s.Name)
		if s.Index > 0 {
			b.WriteString(" #" + strconv.Itoa(s.Index+1))
		}
	}
	return b.String()
}

// listed is at most five items and how many more.
func listed(items []string) string {
	const most = 5
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + ", … " + strconv.Itoa(len(items)-most) + " more"
}

// listResult is a gate that fails when items (what crossed it) is not
// empty: its detail is none, else prefix and the items.
func listResult(gate string, items []string, none, prefix string) GateResult {
	r := GateResult{Gate: gate, Passed: len(items) == 0, Detail: none}
	if len(items) > 0 {
		r.Detail = prefix + listed(items)
	}
	return r
}

// durationGate checks a duration against MaxSlower; changes under
// MinChangeTime never fail it.
func durationGate(l *Limit, o Options, what string, base, cand time.Duration) (bool, string) {
	dd := durationDelta(base, cand)
	text := what + " " + render.FormatDuration(base) + " → " + render.FormatDuration(cand)
	if dd.Delta != 0 {
		text += " " + signedDuration(time.Duration(dd.Delta)) + pctText(dd.Pct)
	}
	abs := cand - base
	if abs < o.MinChangeTime {
		return true, text
	}
	return !l.Exceeded(float64(base), float64(cand)), text
}

// CheckTrace applies the gates to a two-trace diff.
func (g Gates) CheckTrace(d *Diff) []GateResult {
	var out []GateResult
	if g.MaxSlower != nil {
		ok, text := durationGate(g.MaxSlower, d.Opts, "trace", time.Duration(d.Trace.Duration.Base), time.Duration(d.Trace.Duration.Cand))
		out = append(out, GateResult{Gate: GateMaxSlower, Limit: g.MaxSlower.Text, Passed: ok, Detail: text})
	}
	if g.MaxTokens != nil {
		r := GateResult{Gate: GateMaxTokens, Limit: g.MaxTokens.Text, Passed: true, Detail: "token counts not known on both sides"}
		if t := d.Trace.Tokens; t != nil && t.Base.Total != nil && t.Cand.Total != nil {
			r.Passed = !g.MaxTokens.Exceeded(float64(*t.Base.Total), float64(*t.Cand.Total))
			r.Detail = "tokens " + tokensText(plainTheme, t)
		}
		out = append(out, r)
	}
	if g.MaxCost != nil {
		r := GateResult{Gate: GateMaxCost, Limit: g.MaxCost.Text, Passed: true, Detail: "cost not known on both sides"}
		if c := d.Trace.Cost; c != nil && c.Base != nil && c.Cand != nil {
			r.Passed = !g.MaxCost.Exceeded(*c.Base, *c.Cand)
			r.Detail = "cost " + costText(plainTheme, c)
		}
		out = append(out, r)
	}
	if g.NewErrors {
		var items []string
		if st := d.Trace.State; st != nil && st.To == "ERROR" {
			items = append(items, "trace state "+st.From+" → ERROR")
		}
		for _, c := range d.Changes {
			switch {
			case c.Kind == KindStatus && c.To == "ERROR", c.Kind == KindAdded && countErrors(d.Cand, d.Nodes[c.node].Cand) > 0:
				item := PathText(c.Path)
				if c.Kind == KindAdded {
					item += " (added)"
				}
				if c.Exception != "" {
					item += ": " + c.Exception
				}
				items = append(items, item)
			}
		}
		out = append(out, listResult(GateNewErrors, items, "no new errors", ""))
	}
	if g.MissingSpans {
		var items []string
		for _, c := range d.Changes {
			if c.Kind == KindRemoved {
				items = append(items, PathText(c.Path)+" ("+strconv.Itoa(c.SubtreeSize)+plural(c.SubtreeSize, " span)", " spans)"))
			}
		}
		out = append(out, listResult(GateMissingSpans, items, "no missing spans", "missing "))
	}
	return out
}

// plainTheme paints nothing: gate details are plain text (JSON, JUnit).
var plainTheme = render.NewTheme(lipgloss.NewRenderer(io.Discard), false, false)

// writeGates writes the gates' lines under the header.
func writeGates(w *bufio.Writer, th *render.Theme, gates []GateResult) {
	for k, g := range gates {
		label := "gates"
		if k > 0 {
			label = ""
		}
		mark := th.Good("pass")
		if !g.Passed {
			mark = th.Bad("FAIL")
		}
		name := g.Gate
		if g.Limit != "" {
			name += " " + g.Limit
		}
		w.WriteString(th.Label(label) + strings.Repeat(" ", 11-len(label)) + mark + "  " + render.Printable(name) + ": " + clipOne(g.Detail, 300) + "\n")
	}
}
