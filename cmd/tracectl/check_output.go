package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"tracectl/internal/query"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
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

// writeJSON writes the -o json document: the text encoding/json gives
// checkReportJSON with two-space indents, the results as they were
// written when each trace was checked (see checkResultsJSON).
func (r *checkRun) writeJSON(w io.Writer) error {
	var checks []checkJSON
	for k, c := range r.checks {
		j := checkJSON{Name: c.Name, Kind: c.Kind(), Expression: c.Query.Source, checkStatsJSON: r.stats[k]}
		if c.Traces != nil {
			j.Traces = c.Traces.Source
		}
		checks = append(checks, j)
	}
	summary := checkSummaryJSON{Checks: len(r.checks), Traces: r.traces, Passed: r.passed, Failed: r.failed, Skipped: r.skipped}
	head, err := marshalIndentNoHTML(checks)
	if err != nil {
		return err
	}
	tail, err := marshalIndentNoHTML(summary)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"checks\": ")
	bw.Write(head)
	bw.WriteString(",\n  \"results\": ")
	if r.json.n == 0 {
		bw.WriteString("[]")
	} else {
		bw.WriteString("[\n")
		if err := r.json.writeTo(bw); err != nil {
			return err
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString(",\n  \"summary\": ")
	bw.Write(tail)
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// marshalIndentNoHTML is v's JSON as a member of a top-level object of
// writeJSON: indented by two spaces a level, from the second level, and
// without HTML escaping.
func marshalIndentNoHTML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// checkResultsJSON is the "results" list of -o json as text, one result
// appended as each trace is checked: the list is as long as traces times
// checks (60,000 results, 16 MB, for three checks on a 20,000-trace dump),
// and encoding/json took 0.64 s of `check`'s 2.8 s to write it at the
// end, most of it indenting; written here it takes about a tenth of that,
// and the outcomes need not be kept (nor the decoder's text their strings
// pointed into). The text is encoding/json's for checkResultJSON at the
// third level (TestCheckResultsJSONIsEncodingJSONs).
//
// The text is written in chunks of about resultsChunk, and each full
// chunk goes on to a spool file in $TMPDIR (spill), read back by writeJSON:
// memory stays one chunk however many traces are checked. Kept in memory,
// the text was 16 MB alive at the end of that run, and the collector ran
// more often as it grew (38 collections, the live heap growing from 15 to
// 49 MB). A spool that cannot be made or written keeps the rest in memory.
type checkResultsJSON struct {
	chunk   []byte
	spool   *os.File // the full chunks, in order; nil before the first
	spooled int64    // bytes in spool
	noSpool bool     // the spool could not be made or written: kept holds the rest
	kept    [][]byte // full chunks in memory, after the spooled bytes
	n       int
}

const resultsChunk = 1 << 20

// spill moves the full chunk to the spool (or, failing that, to kept).
func (j *checkResultsJSON) spill() {
	if !j.noSpool && j.spool == nil {
		f, err := os.CreateTemp("", "tracectl-check-*.json")
		if err != nil {
			j.noSpool = true
		}
		j.spool = f
	}
	if !j.noSpool {
		m, err := j.spool.Write(j.chunk)
		j.spooled += int64(m)
		if err == nil {
			j.chunk = j.chunk[:0]
			return
		}
		j.noSpool = true
		j.chunk = j.chunk[m:] // what the spool did not take
	}
	j.kept = append(j.kept, j.chunk)
	j.chunk = nil
}

// writeTo writes the results' text to w.
func (j *checkResultsJSON) writeTo(w io.Writer) error {
	if j.spooled > 0 {
		if _, err := io.Copy(w, io.NewSectionReader(j.spool, 0, j.spooled)); err != nil {
			return fmt.Errorf("cannot read back the results spooled to %s: %w", j.spool.Name(), err)
		}
	}
	for _, c := range j.kept {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	_, err := w.Write(j.chunk)
	return err
}

// discard removes the spool file.
func (j *checkResultsJSON) discard() {
	if j != nil && j.spool != nil {
		j.spool.Close()
		os.Remove(j.spool.Name())
		j.spool = nil
	}
}

// add appends the result of check name in o.
func (j *checkResultsJSON) add(name string, o *checkOutcome) {
	if len(j.chunk) >= resultsChunk {
		j.spill()
	}
	if j.chunk == nil {
		j.chunk = make([]byte, 0, resultsChunk+resultsChunk/4)
	}
	b := j.chunk
	if j.n > 0 {
		b = append(b, ",\n"...)
	}
	j.n++
	b = append(b, "    {"...)
	b = jsonMember(b, 6, "check", name)
	b = jsonMember(b, 6, "trace_id", o.trace.TraceID)
	b = jsonMember(b, 6, "trace_name", o.trace.TraceName)
	b = jsonMember(b, 6, "source", o.trace.Source)
	b = jsonKey(b, 6, "passed")
	b = strconv.AppendBool(b, o.passed)
	b = append(b, ',')
	if o.detail != "" {
		b = jsonMember(b, 6, "detail", o.detail)
	}
	if a := o.agg; a != nil {
		b = jsonKey(b, 6, "aggregate")
		b = append(b, '{')
		b = jsonMember(b, 8, "expression", a.Expression)
		b = jsonMember(b, 8, "value", a.Value)
		b = jsonMember(b, 8, "want", a.Want)
		b = jsonClose(b, 6, '}')
		b = append(b, ',')
	}
	if o.nSpans != 0 {
		b = jsonKey(b, 6, "span_count")
		b = strconv.AppendInt(b, int64(o.nSpans), 10)
		b = append(b, ',')
	}
	if len(o.spans) > 0 {
		b = jsonKey(b, 6, "spans")
		b = append(b, '[')
		for k, s := range o.spans {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = appendSpaces(b, 8)
			b = append(b, '{')
			b = jsonMember(b, 10, "span_id", s.SpanID)
			b = jsonMember(b, 10, "name", s.Name)
			b = jsonMember(b, 10, "status", s.Status)
			if s.Exception != "" {
				b = jsonMember(b, 10, "exception", s.Exception)
			}
			b = jsonClose(b, 8, '}')
		}
		b = append(b, '\n')
		b = appendSpaces(b, 6)
		b = append(b, "],"...)
	}
	j.chunk = jsonClose(b, 4, '}')
}

// jsonKey appends a new line, indent spaces and key's name and colon.
func jsonKey(b []byte, indent int, key string) []byte {
	b = append(b, '\n')
	b = appendSpaces(b, indent)
	b = spanjson.AppendJSONString(b, key)
	return append(b, ": "...)
}

// jsonMember appends a string member and its comma.
func jsonMember(b []byte, indent int, key, value string) []byte {
	return append(spanjson.AppendJSONString(jsonKey(b, indent, key), value), ',')
}

// jsonClose replaces the comma after the last member by a new line and
// the closing bracket at indent.
func jsonClose(b []byte, indent int, bracket byte) []byte {
	b = append(b[:len(b)-1], '\n')
	return append(appendSpaces(b, indent), bracket)
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
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
