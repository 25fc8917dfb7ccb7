package main

import (
	"context"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

type showOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	where   string
	span    string
	render.ShowOptions
}

// NewShowCmd builds `tracectl show`.
func NewShowCmd(streams *render.IOStreams) *cobra.Command {
	opts := &showOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "show [FILE|-]...",
		Short: "Show traces: header, previews and the span tree",
		Long: `Show each trace: a header (trace id, name, state, start time, duration,
span count, models, tokens, cost, session and user when known, tags and
metadata, detected schema), the request and response previews, and the
span tree with each span's type, status, duration and self time. Span types, models and tokens are read from
MLflow, OpenTelemetry GenAI, OpenInference, Traceloop, Langfuse and
LangSmith keys alike; a trace's tokens never count a parent's roll-up twice. Failing spans stand out
with their exception type and message. On a terminal each span also gets a
waterfall bar on the trace's time axis.

Runs of three or more similar siblings (same name, type and status) fold into
one line "NAME ×N" whose duration and self time are the run's totals;
--no-fold prints them one by one. "(+N nested)" counts the spans under a line
that are not printed (folded, below --depth, or healthy with --errors-only).
Self time is the part of a span's duration not covered by its children.

The header lists the tags and metadata that are not MLflow's own (mlflow.*
keys are shown elsewhere in the header or are bookkeeping), values clipped;
--metadata lists every key with whole values. -o json always has both maps
in full.

With --errors-only, only traces that failed (state ERROR or an ERROR span)
are shown, each with the paths from a root to its failing spans, then the
failure chains: the deepest failing spans (where each failure began: no span
under them failed), the path from the root to each, its exception and the
last line of its stack trace. A last line says how many traces without
failures were left out. -o json adds "failures" with the whole stack traces.

--critical-path marks with ◆ the spans on the critical path, the chain that
decided the trace's duration, computed as Jaeger does: walking back from the
end, a span waits on its last-finishing child, before that on the child that
finished last before it started, and so on; the time no child covers is the
span's own. A child that outlives its parent is cut at the parent's end, one
that starts after it ended is left out. After the tree each segment is
listed: when it starts, its length (the span's self time on the path), its
share. -o json adds "critical_path" (the first 100 segments and their count).

With --span ID|GLOB, the spans with that id or whose name matches are shown
in full instead, as tracectl span shows them.

On a terminal the waterfall has a time axis; the name column gives way to
the tree (deep levels are elided, "⋯31" giving the depth) and never moves
the other columns; a fold count is never cut.

With -o json, each trace is an object with its spans in tree order (never
folded); -o jsonl writes one trace per line. Each trace is written as soon
as it is complete, in every output format.`,
		Example: `  tracectl show trace.json
  tracectl show --errors-only traces/*.json
  tracectl show --depth 2 --attributes trace.json
  tracectl show --critical-path trace.json
  tracectl show --span 'retriever*' trace.json
  cat dump.jsonl | tracectl show -o jsonl | jq .state`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runShow(opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Depth, "depth", 0, "print this many levels of spans (1: roots only; 0: all)")
	f.BoolVar(&opts.ErrorsOnly, "errors-only", false, "print only failed traces and the paths from a root to failing spans")
	f.BoolVar(&opts.Attributes, "attributes", false, "print each span's attributes")
	f.BoolVar(&opts.Events, "events", false, "print each span's events")
	f.BoolVar(&opts.NoFold, "no-fold", false, "do not fold runs of similar sibling spans")
	f.BoolVar(&opts.CriticalPath, "critical-path", false, "mark the critical path in the tree and list its segments (also in -o json)")
	f.BoolVar(&opts.Metadata, "metadata", false, "print every tag and metadata key in the header (mlflow.* ones too), values whole")
	f.StringVar(&opts.span, "span", "", "show the spans with this id, or whose name matches this glob, in full (as tracectl span)")
	_ = cmd.RegisterFlagCompletionFunc("span", cobra.NoFileCompletions)
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "show only the traces that match")
	return cmd
}

func runShow(opts *showOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if opts.Depth < 0 {
		return usageErrorf("invalid --depth %d: want 0 (all levels) or more", opts.Depth)
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	if opts.span != "" {
		return showSpans(opts.ctx, opts.streams, opts.inputs, opts.output, showSpanMatcher(opts.span), func(v *render.TraceView) bool { return whereKeeps(where, v) })
	}
	if opts.output != outputText {
		out := newJSONStream(opts.streams, opts.output)
		err := streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
			if !whereKeeps(where, v) {
				return nil
			}
			if err := out.jw.WriteShow(v, opts.ShowOptions); err != nil {
				return err
			}
			return out.endTrace()
		})
		if fatal(err) {
			return err
		}
		return afterRead(err, out.close())
	}
	p := render.NewPrinter(opts.streams)
	clean := 0
	// The tree reads a few attributes of each span: inputs and outputs
	// stay escaped, unless every attribute is printed
	// (readSetup.lazyValues).
	setup := readSetup{spanTypes: true, lazyValues: !opts.Attributes && !opts.Events}
	err = streamArgsWith(opts.ctx, opts.streams, opts.inputs, setup, func(v *render.TraceView) error {
		if !whereKeeps(where, v) {
			return nil
		}
		if opts.ErrorsOnly && !v.Failed() {
			clean++
			return nil
		}
		p.Show(v, opts.ShowOptions)
		return p.Flush() // each trace's block is whole: send it on now
	})
	if fatal(err) {
		return err
	}
	p.CleanTraces(clean)
	return afterRead(err, p.Flush())
}
