package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
	"tracectl/internal/tracediff"
)

type diffOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	args    []string
	set     func(name string) bool // whether a flag was given

	baseID, id    string
	base, cand    []string
	key, by       string
	io            bool
	output        string
	minChange     string
	minChangeTime time.Duration
	maxSlower     string
	maxTokens     string
	maxCost       string
	failOn        []string
	junit         string
}

// NewDiffCmd builds `tracectl diff`.
func NewDiffCmd(streams *render.IOStreams) *cobra.Command {
	opts := &diffOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "diff BASE CANDIDATE | diff --base PATH... --candidate PATH...",
		Short: "Say what changed between a baseline and a candidate: two traces or two runs",
		Long: `Compare a baseline with a candidate: two traces, or two runs of traces.

Two traces (BASE and CANDIDATE are files; --base-id and --id pick a trace
in a file that holds several): the span trees are aligned by the path of
names from the root and, among siblings of the same name, by their order,
so a loop that ran 3 times and then 4 aligns the first 3 and adds the 4th.
Then diff reports:
  + spans added and - removed (with the spans under them),
  ~ spans whose type changed, that started failing (with the new
    exception) or stopped, whose own time (self time, what their children
    do not cover) changed, whose model call took other tokens or cost,
    and with --io whose inputs or outputs changed (a short text diff);
the trace's duration, tokens, cost and state before and after. A duration
change counts when it is at least --min-change of the base and at least
--min-change-time. The text view draws the merged tree once: changed
spans with their ancestors, every run of unchanged siblings folded into
one line.

Two runs (--base and --candidate, files or directories of *.json,
*.jsonl, *.ndjson): traces are paired by --key (the k-th base trace of a
key with the k-th candidate trace of that key), then the paired traces
are compared as a whole and per span name (--by type or model): count,
error rate, p50 and p95 duration, tokens and cost side by side, with the
change. Unpaired traces are listed.

CI gates, each failing the diff with exit 3:
  --max-slower 20%|500ms    trace duration (runs: trace p95 and each
                            group's p95); changes under --min-change-time
                            never fail it
  --max-tokens +10%|2000    trace total tokens (runs: their sum)
  --max-cost +10%|0.05      trace cost in USD (runs: its sum)
  --fail-on new-errors      a span started failing, a failing span was
                            added, the trace went to ERROR (runs: a group
                            that never failed fails)
  --fail-on missing-spans   the base has spans the candidate lacks (runs:
                            a group is gone)
--junit FILE writes the gates as JUnit XML (a testcase per gate).

-o json writes one stable document: every change with its path, the
trace's deltas, a summary and the gates (runs: the groups and the
unpaired traces).

Exit codes: 0 no gate failed, 3 a gate failed, 1 an input could not be
read, 2 a bad flag or argument.`,
		Example: `  tracectl diff before.json after.json
  tracectl diff --io -o json before.json after.json | jq '.changes[] | select(.kind == "status")'
  tracectl diff --base-id tr-1 --id tr-2 dump.jsonl dump.jsonl
  tracectl diff --base runs/main --candidate runs/pr-42 --max-slower 20% --fail-on new-errors --junit diff.xml
  tracectl diff --base old.jsonl --candidate new.jsonl --key tag:case_id --by model`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.args = args
			opts.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runDiff(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.baseID, "base-id", "", "the trace `ID` to take from BASE")
	f.StringVar(&opts.id, "id", "", "the trace `ID` to take from CANDIDATE")
	f.StringArrayVar(&opts.base, "base", nil, "the base run: a file or directory (repeatable)")
	f.StringArrayVar(&opts.cand, "candidate", nil, "the candidate run: a file or directory (repeatable)")
	f.StringVar(&opts.key, "key", tracediff.DefaultKey, "pair the traces of two runs by `PARTS`: trace-name, request, tag:KEY, metadata:KEY, comma-separated")
	f.StringVar(&opts.by, "by", tracediff.ByName, "compare two runs per span name, type or model")
	f.BoolVar(&opts.io, "io", false, "compare the inputs and outputs of aligned spans (a short text diff)")
	f.StringVarP(&opts.output, "output", "o", outputText, "output format: text or json")
	f.StringVar(&opts.minChange, "min-change", "10%", "a duration change smaller than this share of the base is noise")
	f.DurationVar(&opts.minChangeTime, "min-change-time", time.Millisecond, "a duration change smaller than this is noise")
	f.StringVar(&opts.maxSlower, "max-slower", "", "fail when the trace (or a p95) is slower by more than `LIMIT` (20% or 500ms)")
	f.StringVar(&opts.maxTokens, "max-tokens", "", "fail when total tokens grow by more than `LIMIT` (+10% or 2000)")
	f.StringVar(&opts.maxCost, "max-cost", "", "fail when cost grows by more than `LIMIT` (+10% or 0.05 USD)")
	f.StringSliceVar(&opts.failOn, "fail-on", nil, "fail on new-errors, missing-spans (comma-separated or repeated)")
	f.StringVar(&opts.junit, "junit", "", "write the gates as a JUnit XML report to `FILE`")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{tracediff.ByName, tracediff.ByType, tracediff.ByModel}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{tracediff.GateNewErrors, tracediff.GateMissingSpans}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("key", cobra.FixedCompletions([]string{tracediff.DefaultKey, tracediff.KeyTraceName, tracediff.KeyRequest, tracediff.KeyTag, tracediff.KeyMetadata}, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	for _, name := range []string{"base-id", "id", "max-slower", "max-tokens", "max-cost", "min-change"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	_ = cmd.MarkFlagFilename("junit", "xml")
	return cmd
}

// diffSettings are the parsed flags.
type diffSettings struct {
	opts  tracediff.Options
	gates tracediff.Gates
}

func (o *diffOptions) settings() (diffSettings, error) {
	var s diffSettings
	if o.output != outputText && o.output != outputJSON {
		return s, usageErrorf("invalid --output %q: want text or json", o.output)
	}
	mc, err := tracediff.ParseLimit(o.minChange, tracediff.UnitCount)
	if err != nil || !mc.IsPct {
		return s, usageErrorf("invalid --min-change %q: want a percentage such as 10%%", o.minChange)
	}
	if o.minChangeTime < 0 {
		return s, usageErrorf("invalid --min-change-time %s: want a duration of 0 or more", o.minChangeTime)
	}
	s.opts = tracediff.Options{MinChange: mc.Pct / 100, MinChangeTime: o.minChangeTime, IO: o.io}
	limit := func(flag, text string, u tracediff.Unit) (*tracediff.Limit, error) {
		if !o.set(flag) {
			return nil, nil
		}
		l, err := tracediff.ParseLimit(text, u)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--%s: %w", flag, err)}
		}
		return &l, nil
	}
	if s.gates.MaxSlower, err = limit("max-slower", o.maxSlower, tracediff.UnitDuration); err != nil {
		return s, err
	}
	if s.gates.MaxTokens, err = limit("max-tokens", o.maxTokens, tracediff.UnitCount); err != nil {
		return s, err
	}
	if s.gates.MaxCost, err = limit("max-cost", o.maxCost, tracediff.UnitUSD); err != nil {
		return s, err
	}
	for _, f := range o.failOn {
		switch strings.TrimSpace(f) {
		case tracediff.GateNewErrors:
			s.gates.NewErrors = true
		case tracediff.GateMissingSpans:
			s.gates.MissingSpans = true
		default:
			return s, usageErrorf("invalid --fail-on %q: want new-errors or missing-spans", f)
		}
	}
	return s, nil
}

func runDiff(o *diffOptions) error {
	s, err := o.settings()
	if err != nil {
		return err
	}
	runs := len(o.base) > 0 || len(o.cand) > 0
	if runs {
		return runDiffRuns(o, s)
	}
	for _, f := range []string{"key", "by"} {
		if o.set(f) {
			return &hintError{usageErrorf("--%s pairs and groups the traces of two runs", f), "compare two runs with --base PATH --candidate PATH"}
		}
	}
	if len(o.args) != 2 {
		return &hintError{usageErrorf("diff takes two trace files, BASE and CANDIDATE, not %d arguments", len(o.args)), "tracectl diff before.json after.json, or two runs: --base DIR --candidate DIR"}
	}
	if o.args[0] == "-" && o.args[1] == "-" {
		return usageErrorf("standard input can be BASE or CANDIDATE, not both")
	}
	base, err := o.oneTrace(o.args[0], o.baseID, "base-id")
	if err != nil {
		return err
	}
	cand, err := o.oneTrace(o.args[1], o.id, "id")
	if err != nil {
		return err
	}
	d := tracediff.Compare(base, cand, s.opts)
	gates := s.gates.CheckTrace(d)
	var outErr error
	if o.output == outputJSON {
		outErr = writeDiffJSON(o.streams, d.Report(gates))
	} else {
		outErr = d.WriteText(o.streams.Out, o.streams.OutTheme(), gates)
	}
	return o.finish(outErr, gates, "diff "+base.TraceID()+" "+cand.TraceID())
}

// finish writes the JUnit report and turns failed gates into exit 3.
func (o *diffOptions) finish(outErr error, gates []tracediff.GateResult, what string) error {
	if outErr == nil && o.junit != "" {
		outErr = writeJUnitFile(o.junit, diffJUnit(gates, what))
	}
	if outErr != nil {
		return outErr
	}
	if n := tracediff.Failed(gates); n > 0 {
		return &checkFailedError{msg: fmt.Sprintf("%d of %d diff %s failed", n, len(gates), render.Plural(len(gates), "gate", "gates"))}
	}
	return nil
}

func writeDiffJSON(streams *render.IOStreams, doc any) error {
	enc := json.NewEncoder(streams.Out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// oneTrace reads the trace of one side: the file's only trace, or the one
// id names.
func (o *diffOptions) oneTrace(path, id, idFlag string) (*render.TraceView, error) {
	var views []*render.TraceView
	var ids []string
	err := streamArgs(o.ctx, o.streams, []string{path}, func(v *render.TraceView) error {
		ids = append(ids, v.TraceID())
		if id == "" || v.TraceID() == id || v.OTelTraceID() == id {
			views = append(views, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	idList := func() string {
		if len(ids) > 5 {
			ids = append(ids[:5], "…")
		}
		return render.Printable(strings.Join(ids, ", "))
	}
	switch {
	case len(views) == 0 && id != "":
		return nil, &hintError{fmt.Errorf("%s: no trace %s", name, render.Printable(id)), "its traces: " + idList()}
	case len(views) == 0:
		return nil, fmt.Errorf("%s: no trace", name)
	case len(views) > 1 && id == "":
		return nil, &hintError{usageErrorf("%s holds %d traces: pick one with --%s", name, len(views), idFlag), "its traces: " + idList()}
	}
	return views[0], nil
}

// runDiffRuns compares two runs.
func runDiffRuns(o *diffOptions, s diffSettings) error {
	if len(o.base) == 0 || len(o.cand) == 0 {
		return &hintError{usageErrorf("comparing two runs needs both --base and --candidate"), "tracectl diff --base runs/main --candidate runs/pr"}
	}
	if len(o.args) > 0 || o.baseID != "" || o.id != "" {
		return usageErrorf("--base and --candidate compare two runs: no BASE CANDIDATE arguments, --base-id or --id with them")
	}
	key, err := tracediff.ParseKey(o.key)
	if err != nil {
		return &usageError{err}
	}
	if !slices.Contains([]string{tracediff.ByName, tracediff.ByType, tracediff.ByModel}, o.by) {
		return usageErrorf("invalid --by %q: want name, type or model", o.by)
	}
	base, err := o.runSide("--base", o.base)
	if err != nil {
		return err
	}
	cand, err := o.runSide("--candidate", o.cand)
	if err != nil {
		return err
	}
	r := tracediff.CompareRuns(base, cand, o.base, o.cand, tracediff.RunOptions{Options: s.opts, Key: key, By: o.by})
	r.Gates = s.gates.CheckRuns(r)
	var outErr error
	if o.output == outputJSON {
		outErr = writeDiffJSON(o.streams, r)
	} else {
		outErr = r.WriteText(o.streams.Out, o.streams.OutTheme())
	}
	return o.finish(outErr, r.Gates, "diff "+strconv.Itoa(r.Paired)+" paired traces")
}

// runSide reads every trace of one run.
func (o *diffOptions) runSide(flag string, paths []string) ([]*render.TraceView, error) {
	// ingest reads a directory's trace files itself (compressed ones too).
	var views []*render.TraceView
	err := streamArgs(o.ctx, o.streams, paths, func(v *render.TraceView) error {
		views = append(views, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, fmt.Errorf("%s %s: no traces", flag, strings.Join(paths, " "))
	}
	return views, nil
}
