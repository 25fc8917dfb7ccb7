package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"tracectl/internal/query"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

type checkOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	expects []string
	forbids []string
	spec    string
	junit   string
	output  string
}

// NewCheckCmd builds `tracectl check`.
func NewCheckCmd(streams *render.IOStreams) *cobra.Command {
	opts := &checkOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "check [--expect EXPR]... [--forbid EXPR]... [--spec FILE] [--junit FILE] [-o json] [FILE|-]...",
		Short: "Assert what a good trace is: exit 3 when a trace breaks a check",
		Long: `Check every trace against assertions written in a TraceQL subset: each trace
must match every --expect and no --forbid. A spec file (--spec, YAML) names
checks and may scope them to some traces:

    checks:
      - name: no failed tool calls
        forbid: '{ type = "TOOL" && status = error }'
      - name: token budget
        expect: '{} | sum(total_tokens) <= 20000'
      - name: search under the agent
        traces: '{ trace:name = "agent" }'
        expect: '{ type = "AGENT" } >> { span.gen_ai.tool.name = "web_search" }'

The language, evaluated one trace at a time:
  { cond }        the spans for which cond holds; {} is every span
  fields          name, status (ok error unset), duration, kind (internal
                  server client producer consumer), type (the span type,
                  "TOOL"), model, input_tokens, output_tokens, total_tokens,
                  cost, span.KEY (an attribute; span.KEY.member reaches into
                  JSON), resource.KEY, trace:name, trace:state, trace:duration,
                  trace:spans, trace:id, trace:tag.KEY, trace:metadata.KEY,
                  assessment.NAME (an MLflow assessment or a Langfuse score)
  operators       = != < <= > >= =~ !~ (a regular expression matching the
                  whole value), && || ! and parentheses
  literals        "strings", 'strings', ` + "`raw strings`" + `, numbers, true, false, nil
                  (absent), durations (500ms, 2s, 1m30s)
  {A} > {B}       the B spans whose parent is an A span
  {A} >> {B}      the B spans below an A span
  {A} && {B}      both sets non-empty (their spans); {A} || {B}: either
  | count() <= 8  an aggregate compared with a literal: count(), sum(F),
                  avg(F), min(F), max(F); count and sum of no spans are 0,
                  avg, min and max of no values match nothing

Checks run in this order: each --expect, each --forbid, then the spec's.
A trace matches when the result is non-empty (or the comparison holds). A
field a span does not have compares false, whatever the operator, except
"= nil".

On a terminal each trace gets ✓ or ✗ per check, with the spans that broke
a forbid (name, id, status, exception) or the aggregate's value. In a pipe
the lines are plain: "PASS|FAIL  TRACE  CHECK: detail", spans indented
below. -o json writes one document: the checks, a result per check and
trace, and totals. --junit FILE writes JUnit XML (a testsuite per check, a
testcase per trace) for GitHub Actions, GitLab and Jenkins, atomically.

Exit codes: 0 every check passed, 3 a check failed, 1 an input could not be
read (after the report), 2 a bad expression or spec.`,
		Example: `  tracectl check --forbid '{ type = "TOOL" && status = error }' traces/*.json
  tracectl check --expect '{ type =~ "LLM|CHAT_MODEL" } | count() <= 8' dump.jsonl
  tracectl check --spec checks.yaml --junit report.xml traces/*.json
  cat dump.jsonl | tracectl check --spec checks.yaml -o json | jq .summary`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runCheck(opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.expects, "expect", nil, "every trace must match `EXPR` (repeatable)")
	f.StringArrayVar(&opts.forbids, "forbid", nil, "no trace may match `EXPR` (repeatable)")
	f.StringVar(&opts.spec, "spec", "", "read named checks from a YAML `FILE`")
	f.StringVar(&opts.junit, "junit", "", "write a JUnit XML report to `FILE`")
	f.StringVarP(&opts.output, "output", "o", outputText, "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("expect", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("forbid", cobra.NoFileCompletions)
	_ = cmd.MarkFlagFilename("spec", "yaml", "yml")
	_ = cmd.MarkFlagFilename("junit", "xml")
	return cmd
}

// loadChecks gathers the checks of the command line and of the spec file.
func (o *checkOptions) loadChecks() ([]query.Check, error) {
	var checks []query.Check
	for _, e := range o.expects {
		q, err := parseQuery("--expect", e)
		if err != nil {
			return nil, err
		}
		checks = append(checks, query.Check{Name: e, Expect: true, Query: q})
	}
	for _, e := range o.forbids {
		q, err := parseQuery("--forbid", e)
		if err != nil {
			return nil, err
		}
		checks = append(checks, query.Check{Name: e, Query: q})
	}
	if o.spec != "" {
		data, err := os.ReadFile(o.spec)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &usageError{fmt.Errorf("cannot read --spec %s: %w", o.spec, err)}
		}
		fromSpec, err := query.ParseSpec(o.spec, data)
		if err != nil {
			return nil, &usageError{err}
		}
		checks = append(checks, fromSpec...)
	}
	if len(checks) == 0 {
		return nil, &hintError{usageErrorf("check needs at least one check"), `add --expect EXPR, --forbid EXPR or --spec FILE, e.g. --forbid '{ status = error }'`}
	}
	return checks, nil
}

// checkOutcome is one check on one trace.
type checkOutcome struct {
	check   int
	trace   traceLabelJSON
	passed  bool
	detail  string
	agg     *aggregateJSON
	spans   []checkSpanJSON
	nSpans  int // spans that broke a forbid (spans holds the first maxShownSpans)
	inScope bool
}

// maxShownSpans is how many offending spans a result lists.
const maxShownSpans = 20

// checkRun evaluates the checks on each trace and keeps the totals, and
// for --junit every outcome, for -o json every result as JSON text.
type checkRun struct {
	checks   []query.Check
	keep     bool
	outcomes []checkOutcome
	json     *checkResultsJSON // nil but for -o json
	stats    []checkStatsJSON
	traces   int
	passed   int
	failed   int
	skipped  int
}

func (r *checkRun) evaluate(v *render.TraceView) []checkOutcome {
	qt := query.NewTrace(v.Trace, v.Tree)
	label := traceLabelJSON{TraceID: v.TraceID(), TraceName: v.Name(), Source: v.Source}
	r.traces++
	out := make([]checkOutcome, 0, len(r.checks))
	for k := range r.checks {
		c := &r.checks[k]
		o := checkOutcome{check: k, trace: label}
		if c.Traces != nil && !c.Traces.Match(qt) {
			r.skipped++
			r.stats[k].Skipped++
			continue
		}
		o.inScope = true
		res := c.Query.Eval(qt)
		o.passed = res.Match == c.Expect
		if res.Aggregate != "" {
			o.agg = &aggregateJSON{Expression: res.Aggregate, Value: res.Value, Want: res.Want}
		}
		if !o.passed {
			o.detail = failureDetail(c, res)
			if !c.Expect && res.Aggregate == "" {
				o.nSpans = len(res.Spans)
				for _, i := range res.Spans[:min(len(res.Spans), maxShownSpans)] {
					o.spans = append(o.spans, checkSpanOf(qt.Spans()[i]))
				}
			}
			r.failed++
			r.stats[k].Failed++
		} else {
			r.passed++
			r.stats[k].Passed++
		}
		out = append(out, o)
	}
	if r.keep {
		r.outcomes = append(r.outcomes, out...)
	}
	if r.json != nil {
		for k := range out {
			r.json.add(r.checks[out[k].check].Name, &out[k])
		}
	}
	return out
}

// failureDetail says why a check failed on a trace.
func failureDetail(c *query.Check, res query.Result) string {
	switch {
	case res.NoValue != "" && c.Expect:
		return fmt.Sprintf("%s has no value (%s), want %s", res.Aggregate, res.NoValue, res.Want)
	case res.Aggregate != "" && c.Expect:
		return fmt.Sprintf("%s = %s, want %s", res.Aggregate, res.Value, res.Want)
	case res.Aggregate != "":
		return fmt.Sprintf("%s = %s, forbidden: %s", res.Aggregate, res.Value, res.Want)
	case c.Expect:
		return "no span matched"
	}
	return fmt.Sprintf("%d %s matched", len(res.Spans), render.Plural(len(res.Spans), "span", "spans"))
}

func checkSpanOf(s spanjson.Span) checkSpanJSON {
	j := checkSpanJSON{SpanID: render.SpanIDText(s), Name: s.Name(), Status: s.Status().Code.String()}
	j.Exception = s.ErrorText()
	return j
}

func runCheck(opts *checkOptions) error {
	if opts.output != outputText && opts.output != outputJSON {
		return usageErrorf("invalid --output %q: want text or json", opts.output)
	}
	checks, err := opts.loadChecks()
	if err != nil {
		return err
	}
	run := &checkRun{checks: checks, keep: opts.junit != "", stats: make([]checkStatsJSON, len(checks))}
	if opts.output == outputJSON {
		run.json = &checkResultsJSON{}
		defer run.json.discard()
	}
	var tp *checkPrinter
	if opts.output == outputText {
		tp = newCheckPrinter(opts.streams, checks)
	}
	// Checks read a few attributes of each span (types, token counts):
	// inputs and outputs stay escaped (readSetup.lazyValues).
	err = streamArgsWith(opts.ctx, opts.streams, opts.inputs, readSetup{lazyValues: true}, func(v *render.TraceView) error {
		out := run.evaluate(v)
		if tp != nil {
			tp.trace(v, out)
			return tp.flush()
		}
		return nil
	})
	if fatal(err) {
		return err
	}
	var outErr error
	if tp != nil {
		tp.summary(run)
		outErr = tp.flush()
	} else {
		outErr = run.writeJSON(opts.streams.Out)
	}
	if opts.junit != "" && outErr == nil {
		outErr = writeJUnitFile(opts.junit, run.junit())
	}
	if err := afterRead(err, outErr); err != nil {
		return err // an input that could not be read outweighs a failed check
	}
	if run.traces == 0 {
		opts.streams.Warnf("no traces to check")
	}
	if run.failed > 0 {
		return &checkFailedError{msg: fmt.Sprintf("%d of %d check results failed", run.failed, run.passed+run.failed)}
	}
	return nil
}

// itoa is strconv.Itoa.
func itoa(n int) string { return strconv.Itoa(n) }
