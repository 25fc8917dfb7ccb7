package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

const (
	failOnNone  = "none"
	failOnError = "error"
)

type statusOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	failOn  string
}

// NewStatusCmd builds `tracectl status`.
func NewStatusCmd(streams *render.IOStreams) *cobra.Command {
	opts := &statusOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "status [FILE|-]...",
		Short: "Count each trace's spans by status; gate CI with --fail-on",
		Long: `Print each trace's state and its span counts by status (OK, ERROR, UNSET),
then how many traces failed. A trace failed when its state is ERROR or any of
its spans has status ERROR.

With --fail-on error, tracectl exits with code 3 when any trace failed, after
printing the report: use it as a CI gate.

The table is printed when the input ends: its columns are as wide as their
widest cell. Use -o jsonl to get each trace's line as soon as the trace is
complete.`,
		Example: `  tracectl status trace.json
  cat dump.jsonl | tracectl status --fail-on error
  tracectl status -o json traces/*.json | jq '.[] | select(.failed)'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.failOn, "fail-on", failOnNone, "exit 3 when a check fails: none or error (a failed trace or span)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{failOnNone, failOnError}, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd, &opts.output)
	return cmd
}

func runStatus(opts *statusOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if opts.failOn != failOnNone && opts.failOn != failOnError {
		return usageErrorf("invalid --fail-on %q: want none or error", opts.failOn)
	}
	var out *jsonStream
	if opts.output != outputText {
		out = newJSONStream(opts.streams, opts.output)
	}
	// The table's columns are as wide as their widest cell: its rows are
	// kept and it is printed when the input ends.
	var rows []render.StatusReportJSON
	traces, failed := 0, 0
	err := streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
		row := v.StatusJSON()
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
	if opts.failOn == failOnError && failed > 0 {
		return &checkFailedError{msg: fmt.Sprintf("%d of %d traces failed (state ERROR or an ERROR span)", failed, traces)}
	}
	return nil
}
