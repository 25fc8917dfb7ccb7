package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"tracectl/internal/query"
	"tracectl/internal/render"
	"tracectl/internal/render/report"
	"tracectl/internal/spanjson"
)

type reportOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	title   string
	checks  checkOptions // --spec, --expect, --forbid: check's own
}

// defaultReportFile is where the report goes without -o.
const defaultReportFile = "report.html"

// NewReportCmd builds `tracectl report`.
func NewReportCmd(streams *render.IOStreams) *cobra.Command {
	opts := &reportOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "report [-o FILE] [--spec FILE] [--expect EXPR]... [--forbid EXPR]... [FILE|-]...",
		Short: "Write one self-contained HTML page to look at traces: list, waterfall, span details",
		Long: `Write the traces as one HTML file that works offline, for CI artifacts, tickets
and colleagues without tracectl: CSS, JavaScript and the trace data are inside
it, and its Content-Security-Policy forbids every network request.

The page lists the traces (state, name, duration, spans, tokens, start,
failed checks, source) with search and sorting; the trace picked shows its
header, previews and check results, and a waterfall on a time axis: the
collapsible span tree, span types in colors, errors marked (✕), the critical
path highlighted (◆). Clicking a span shows everything about it: ids, times,
status, the GenAI view, the exception with its stack trace, inputs and
outputs and attributes as folded JSON, events, links, resource and scope.
Only the rows in view are drawn, so traces of 10,000 spans scroll smoothly.

Keys: / search, ↑↓ (or j k) move, ←→ (or h l) fold and unfold, Enter fold,
e next error span, Tab between the list and the spans. The address
(#TRACE_ID/SPAN_ID) opens a span and can be shared with the file.

--spec, --expect and --forbid are check's (tracectl check --help): their
results appear per trace and in the list. The report is written even when a
check fails (exit 0): gate the job with tracectl check.

-o FILE (default report.html, "-" for stdout) is written atomically; an
existing file there that is not an HTML page is never overwritten.

Trace data is shown as text, never run: a span named <img src=x onerror=…>
shows as that text.`,
		Example: `  tracectl report traces/*.json                 # writes report.html
  tracectl report -o run-42.html --spec checks.yaml dump.jsonl
  cat dump.jsonl | tracectl report -o - > report.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runReport(opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", defaultReportFile, "write the page to `FILE` (\"-\": stdout)")
	f.StringVar(&opts.title, "title", "", "the page's title (default: the inputs' names)")
	f.StringVar(&opts.checks.spec, "spec", "", "show the results of the checks of a YAML `FILE` (as check --spec)")
	f.StringArrayVar(&opts.checks.expects, "expect", nil, "show whether every trace matches `EXPR` (repeatable)")
	f.StringArrayVar(&opts.checks.forbids, "forbid", nil, "show whether a trace matches `EXPR` (repeatable)")
	_ = cmd.MarkFlagFilename("output", "html", "htm")
	_ = cmd.MarkFlagFilename("spec", "yaml", "yml")
	_ = cmd.RegisterFlagCompletionFunc("title", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("expect", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("forbid", cobra.NoFileCompletions)
	return cmd
}

func runReport(opts *reportOptions) error {
	if opts.output == "" {
		return usageErrorf("-o needs a file name (or - for stdout)")
	}
	var checks []query.Check
	if opts.checks.spec != "" || len(opts.checks.expects) > 0 || len(opts.checks.forbids) > 0 {
		var err error
		if checks, err = opts.checks.loadChecks(); err != nil {
			return err
		}
	}
	if opts.output != "-" {
		if err := reportTargetOK(opts.output, opts.inputs); err != nil {
			return err
		}
	}
	meta := report.Meta{Title: opts.title, Checks: []report.Check{}}
	if meta.Title == "" {
		meta.Title = reportTitle(opts.inputs)
	}
	for _, c := range checks {
		rc := report.Check{Name: c.Name, Kind: c.Kind(), Expression: c.Query.Source}
		if c.Traces != nil {
			rc.Traces = c.Traces.Source
		}
		meta.Checks = append(meta.Checks, rc)
	}

	var out io.Writer = opts.streams.Out
	var file *atomicFile
	if opts.output != "-" {
		var err error
		if file, err = createAtomic(opts.output); err != nil {
			return err
		}
		defer file.Abort()
		out = file
	}
	pw, err := report.NewWriter(out, meta)
	if err != nil {
		return err
	}
	run := &checkRun{checks: checks, stats: make([]checkStatsJSON, len(checks))}
	var tail report.Tail
	n := 0
	obs := readSetup{
		inputError: func(err error) { tail.Errors = append(tail.Errors, err.Error()) },
		warning:    func(spanjson.Warning) { tail.Warnings++ },
	}
	readErr := streamArgsWith(opts.ctx, opts.streams, opts.inputs, obs, func(v *render.TraceView) error {
		n++
		var results []report.CheckResult
		for _, o := range run.evaluate(v) {
			r := report.CheckResult{Check: o.check, Passed: o.passed, Detail: o.detail, SpanCount: o.nSpans}
			for _, s := range o.spans {
				r.Spans = append(r.Spans, s.SpanID)
			}
			results = append(results, r)
		}
		t := report.TraceOf(v, results)
		return pw.Add(&t)
	})
	if fatal(readErr) {
		return readErr
	}
	outErr := pw.Close(tail)
	if outErr == nil && file != nil {
		outErr = file.Commit()
	}
	if outErr != nil {
		return outErr
	}
	if n == 0 {
		opts.streams.Warnf("no traces: the report is empty")
	}
	if file != nil && !opts.streams.Quiet {
		fmt.Fprintf(opts.streams.ErrOut, "tracectl: wrote %s (%d %s)\n", opts.output, n, render.Plural(n, "trace", "traces"))
	}
	return readErr // inputs that could not be read: exit 1, the report lists them
}

// reportTargetOK refuses an output path that holds something other than
// an HTML page (a trace file given as -o by mistake, a directory) or that
// is one of the inputs.
func reportTargetOK(path string, inputs []string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return usageErrorf("cannot write the report to %s: not a regular file", path)
	}
	for _, in := range inputs {
		if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
			return usageErrorf("-o %s is also an input", path)
		}
	}
	if fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	head := make([]byte, 512)
	k, _ := io.ReadFull(f, head)
	if !looksLikeHTML(head[:k]) {
		return &hintError{fmt.Errorf("%s exists and is not an HTML page: not overwriting it", path), "choose another -o FILE, or remove " + path}
	}
	return nil
}

// looksLikeHTML reports whether a file's first bytes start an HTML page.
func looksLikeHTML(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.ToLower(bytes.TrimLeft(b, " \t\r\n"))
	return bytes.HasPrefix(b, []byte("<!doctype html")) || bytes.HasPrefix(b, []byte("<html")) || bytes.HasPrefix(b, []byte("<!--"))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// reportTitle names the inputs: up to three, then how many more.
func reportTitle(inputs []string) string {
	if len(inputs) == 0 {
		return "<stdin>"
	}
	if len(inputs) <= 3 {
		return strings.Join(inputs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(inputs[:3], ", "), len(inputs)-3)
}
