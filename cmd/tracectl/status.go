package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// --fail-on values: trace counts only the trace state; span (and error,
// its older name) counts the state and every span's status.
const (
	failOnNone  = "none"
	failOnTrace = "trace"
	failOnSpan  = "span"
	failOnError = "error"
)

var failOnValues = []string{failOnNone, failOnTrace, failOnSpan, failOnError}

type statusOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	failOn  string
	where   string
}

// NewStatusCmd builds `tracectl status`.
func NewStatusCmd(streams *render.IOStreams) *cobra.Command {
	opts := &statusOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "status [FILE|-]...",
		Short: "Count each trace's spans by status; gate CI with --fail-on",
		Long: `Print each trace's state and its span counts by status (OK, ERROR, UNSET),
then how many traces failed. A trace failed when its state is ERROR or any of
its spans has status ERROR; with --fail-on trace, only when its state is
ERROR (an agent whose tool call failed and was retried is not a failure).
The last column marks the failed traces.

With --fail-on span (or error, its older name) or --fail-on trace, tracectl
exits with code 3 when any trace failed, after printing the report: use it
as a CI gate. For finer gates, see tracectl check.

--where keeps only the traces that match a query (see tracectl check).

The table is printed when the input ends: its columns are as wide as their
widest cell. Use -o jsonl to get each trace's line as soon as the trace is
complete.`,
		Example: `  tracectl status trace.json
  cat dump.jsonl | tracectl status --fail-on span
  tracectl status --fail-on trace --where '{ trace:tag.env = "prod" }' dump.jsonl
  tracectl status -o json traces/*.json | jq '.[] | select(.failed)'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.failOn, "fail-on", failOnNone, "exit 3 when a trace failed: none, trace (state ERROR), span (state ERROR or an ERROR span; error is its alias)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions(failOnValues, cobra.ShellCompDirectiveNoFileComp))
	addWhereFlag(cmd, &opts.where, "report only the traces that match")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

func runStatus(opts *statusOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if !slices.Contains(failOnValues, opts.failOn) {
		return usageErrorf("invalid --fail-on %q: want none, trace, span or error", opts.failOn)
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	var out *jsonStream
	if opts.output != outputText {
		out = newJSONStream(opts.streams, opts.output)
	}
	// The table's columns are as wide as their widest cell: its rows are
	// kept and it is printed when the input ends.
	var rows []render.StatusReportJSON
	traces, failed := 0, 0
	err = streamArgsWith(opts.ctx, opts.streams, opts.inputs, seldomAttributes(where), func(v *render.TraceView) error {
		if !whereKeeps(where, v) {
			return nil
		}
		row := v.StatusJSON()
		if opts.failOn == failOnTrace {
			row.Failed = v.State() == spanjson.StateError
		}
		traces++
		if row.Failed {
			failed++
		}
		if out == nil {
			rows = append(rows, row)
			return nil
		}
		if err := out.write(row); err != nil {
			return err
		}
		return out.endTrace()
	})
	if fatal(err) {
		return err
	}
	var outErr error
	if out != nil {
		outErr = out.close()
	} else {
		p := render.NewPrinter(opts.streams)
		p.StatusRows(rows)
		outErr = p.Flush()
	}
	if err := afterRead(err, outErr); err != nil {
		return err // an input that could not be read outweighs a failed check
	}
	switch {
	case failed == 0 || opts.failOn == failOnNone:
	case opts.failOn == failOnTrace:
		return &checkFailedError{msg: fmt.Sprintf("%d of %d traces failed (state ERROR)", failed, traces)}
	default:
		return &checkFailedError{msg: fmt.Sprintf("%d of %d traces failed (state ERROR or an ERROR span)", failed, traces)}
	}
	return nil
}
