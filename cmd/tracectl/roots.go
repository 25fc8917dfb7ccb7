package main

import (
	"context"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

type rootsOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	where   string
}

// NewRootsCmd builds `tracectl roots`.
func NewRootsCmd(streams *render.IOStreams) *cobra.Command {
	opts := &rootsOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "roots [FILE|-]...",
		Short: "List traces: one line per trace with its root span",
		Long: `List one line per trace: the trace id, the root span's id and name, the
trace state, its duration and its span count. A trace with several roots
(spans whose parent is missing) names the first and counts the others.

The table is printed when the input ends: its columns are as wide as their
widest cell. Use -o jsonl to get each trace's line as soon as the trace is
complete.`,
		Example: `  tracectl roots traces/*.json
  cat dump.jsonl | tracectl roots -o jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runRoots(opts)
		},
	}
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "list only the traces that match")
	return cmd
}

func runRoots(opts *rootsOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	if opts.output != outputText {
		out := newJSONStream(opts.streams, opts.output)
		err := streamArgsWith(opts.ctx, opts.streams, opts.inputs, seldomAttributes(where), func(v *render.TraceView) error {
			if !whereKeeps(where, v) {
				return nil
			}
			if err := out.write(v.RootJSON()); err != nil {
				return err
			}
			return out.endTrace()
		})
		if fatal(err) {
			return err
		}
		return afterRead(err, out.close())
	}
	// The table's columns are as wide as their widest cell: it is printed
	// when the input ends.
	var rows []render.RootJSON
	err = streamArgsWith(opts.ctx, opts.streams, opts.inputs, seldomAttributes(where), func(v *render.TraceView) error {
		if whereKeeps(where, v) {
			rows = append(rows, v.RootJSON())
		}
		return nil
	})
	if fatal(err) {
		return err
	}
	p := render.NewPrinter(opts.streams)
	p.RootRows(rows)
	return afterRead(err, p.Flush())
}
