package main

import (
	"bufio"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"tracectl/internal/query"
	"tracectl/internal/render"
)

// The -o json document of `tracectl check`; fields are only ever added.

// checkReportJSON is the whole document.
type checkReportJSON struct {
	Checks  []checkJSON       `json:"checks"`
	Results []checkResultJSON `json:"results"`
	Summary checkSummaryJSON  `json:"summary"`
}

// checkJSON is one check and its totals.
type checkJSON struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"` // expect or forbid
	Expression string `json:"expression"`
	Traces     string `json:"traces,omitempty"` // the scope's expression
	checkStatsJSON
}

type checkStatsJSON struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"` // traces out of the check's scope
}

// traceLabelJSON names a trace in a result.
type traceLabelJSON struct {
	TraceID   string `json:"trace_id"`
	TraceName string `json:"trace_name"`
	Source    string `json:"source"`
}

// checkResultJSON is one check on one trace in its scope.
type checkResultJSON struct {
	Check string `json:"check"`
	traceLabelJSON
	Passed    bool            `json:"passed"`
	Detail    string          `json:"detail,omitempty"`
	Aggregate *aggregateJSON  `json:"aggregate,omitempty"`
	SpanCount int             `json:"span_count,omitempty"` // spans that broke a forbid
	Spans     []checkSpanJSON `json:"spans,omitempty"`      // the first 20 of them
}

// aggregateJSON is a pipeline's aggregate on a trace.
type aggregateJSON struct {
	Expression string `json:"expression"` // e.g. sum(total_tokens)
	Value      string `json:"value"`      // "nil" when no span had the field
	Want       string `json:"want"`       // e.g. <= 20000
}

// checkSpanJSON is a span that broke a forbid.
type checkSpanJSON struct {
	SpanID    string `json:"span_id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Exception string `json:"exception,omitempty"` // exception type and message, else the status message
}

type checkSummaryJSON struct {
	Checks  int `json:"checks"`
	Traces  int `json:"traces"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

func (r *checkRun) report() checkReportJSON {
	doc := checkReportJSON{Results: []checkResultJSON{}}
	for k, c := range r.checks {
		j := checkJSON{Name: c.Name, Kind: c.Kind(), Expression: c.Query.Source, checkStatsJSON: r.stats[k]}
		if c.Traces != nil {
			j.Traces = c.Traces.Source
		}
		doc.Checks = append(doc.Checks, j)
	}
	for _, o := range r.outcomes {
		doc.Results = append(doc.Results, checkResultJSON{
			Check: r.checks[o.check].Name, traceLabelJSON: o.trace, Passed: o.passed,
			Detail: o.detail, Aggregate: o.agg, SpanCount: o.nSpans, Spans: o.spans,
		})
	}
	doc.Summary = checkSummaryJSON{Checks: len(r.checks), Traces: r.traces, Passed: r.passed, Failed: r.failed, Skipped: r.skipped}
	return doc
}

// checkPrinter writes the text report as each trace is checked: on a
// terminal a ✓/✗ block per trace, in a pipe one plain line per result.
type checkPrinter struct {
	w      *bufio.Writer
	tty    bool
	checks []query.Check
	ok     func(string) string
	fail   func(string) string
	dim    func(string) string
	bold   func(string) string
}

func newCheckPrinter(streams *render.IOStreams, checks []query.Check) *checkPrinter {
	p := &checkPrinter{w: bufio.NewWriterSize(streams.Out, 64<<10), tty: streams.OutTTY, checks: checks}
	plain := func(s string) string { return s }
	p.ok, p.fail, p.dim, p.bold = plain, plain, plain, plain
	if streams.ColorEnabled() {
		r := streams.Renderer()
		style := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
		p.ok = style(r.NewStyle().Foreground(lipgloss.Color("2")))
		p.fail = style(r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true))
		p.dim = style(r.NewStyle().Foreground(lipgloss.Color("8")))
		p.bold = style(r.NewStyle().Bold(true))
	}
	return p
}

func (p *checkPrinter) flush() error { return p.w.Flush() }

// one is a name or value from the data or a spec, made safe for one line.
func one(s string) string { return render.Printable(s) }

func (p *checkPrinter) trace(v *render.TraceView, out []checkOutcome) {
	if len(out) == 0 {
		return // no check has this trace in scope
	}
	id := one(v.TraceID())
	if !p.tty {
		for _, o := range out {
			word := "PASS"
			if !o.passed {
				word = "FAIL"
			}
			line := word + "  " + id + "  " + one(p.checks[o.check].Name)
			if o.detail != "" {
				line += ": " + one(o.detail)
			}
			p.w.WriteString(line + "\n")
			p.spans(o, "    span ")
		}
		return
	}
	failed := false
	for _, o := range out {
		failed = failed || !o.passed
	}
	mark := p.ok("✓")
	if failed {
		mark = p.fail("✗")
	}
	p.w.WriteString(mark + " " + p.bold(id) + "  " + one(v.Name()) + "  " + p.dim(one(v.Source)) + "\n")
	for _, o := range out {
		name := one(p.checks[o.check].Name)
		if o.passed {
			p.w.WriteString("    " + p.ok("✓") + " " + name + "\n")
			continue
		}
		p.w.WriteString("    " + p.fail("✗") + " " + name + ": " + one(o.detail) + "\n")
		p.spans(o, "        ")
	}
}

// spans lists the spans that broke a forbid.
func (p *checkPrinter) spans(o checkOutcome, prefix string) {
	for _, s := range o.spans {
		line := one(s.Name) + "  " + s.SpanID + "  "
		if p.tty && s.Status == "ERROR" {
			line += p.fail(s.Status)
		} else {
			line += s.Status
		}
		if s.Exception != "" {
			line += "  " + one(clip(s.Exception, 200))
		}
		p.w.WriteString(prefix + line + "\n")
	}
	if more := o.nSpans - len(o.spans); more > 0 {
		p.w.WriteString(prefix + "… and " + itoa(more) + " more\n")
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (p *checkPrinter) summary(r *checkRun) {
	var b strings.Builder
	b.WriteString(itoa(len(r.checks)) + render.Plural(len(r.checks), " check", " checks") + ", ")
	b.WriteString(itoa(r.traces) + render.Plural(r.traces, " trace", " traces") + ": ")
	b.WriteString(itoa(r.passed) + " passed, " + itoa(r.failed) + " failed")
	if r.skipped > 0 {
		b.WriteString(", " + itoa(r.skipped) + " out of scope")
	}
	s := b.String()
	if r.failed > 0 {
		s = p.fail(s)
	} else {
		s = p.ok(s)
	}
	p.w.WriteString(s + "\n")
}
