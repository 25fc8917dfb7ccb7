package main

import (
	"bufio"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
	"tracectl/internal/stats"
)

type statsOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	by      string
	where   string
	workers int // 0: one per core
}

// NewStatsCmd builds `tracectl stats`.
func NewStatsCmd(streams *render.IOStreams) *cobra.Command {
	opts := &statsOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "stats [FILE|-]...",
		Short: "Statistics across many traces: counts, errors, duration quantiles, tokens, cost",
		Long: `Add up many traces into one row per group: how many, how many failed, the
duration quantiles p50/p90/p95/p99 and the maximum, tokens and cost with
their average per trace.

--by name, type or model groups spans (by span name, span type, or model:
spans without a model are left out); --by trace, session or file groups
whole traces (traces without a session go under "-").

Columns:
  TRACES        traces with a member in the group
  SPANS         spans in the group (span groupings only)
  ERRORS, ERR%  spans with status ERROR, or traces whose state is ERROR
  P50 … MAX     durations of the spans, or of the traces
  TOKENS        total tokens, never counting a roll-up twice: for traces,
                the trace's total (its mlflow.trace.tokenUsage metadata,
                else its model spans, else its topmost spans with counts);
                for span groups, the spans' own counts, of the spans the
                trace total is made of (model spans, else topmost spans)
  TOKENS/TRACE  TOKENS divided by TRACES
  COST, COST/TRACE  the same for cost in US dollars, where known

Quantiles: a group of up to 64 durations gives exact ones (the value at
rank floor(q*(n-1)) of the sorted durations); a larger group keeps a
DDSketch whose quantiles are within 1% of the exact value (relative
accuracy 0.01). MAX is always exact.

Memory stays bounded: traces are added up as they are read and let go;
only one small record per group is kept. The work is spread over the
cores. Rows come largest group first.`,
		Example: `  tracectl stats traces/*.json
  tracectl stats --by type dump.jsonl
  tracectl stats --by model -o json dump.jsonl
  cat dump.jsonl | tracectl stats --by session --where '{ trace:state = error }'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runStats(opts)
		},
	}
	cmd.Flags().StringVar(&opts.by, "by", stats.ByName, "group by "+strings.Join(stats.Groupings, ", "))
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions(stats.Groupings, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "count only the traces that match")
	return cmd
}

func runStats(opts *statsOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if _, err := stats.New(opts.by); err != nil {
		return &usageError{err}
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	agg, err := aggregate(opts, func(v *render.TraceView) bool { return whereKeeps(where, v) })
	if fatal(err) {
		return err
	}
	rows := agg.Rows()
	bw := bufio.NewWriterSize(opts.streams.Out, 64<<10)
	switch opts.output {
	case outputJSON:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []render.StatsRow{}
		}
		if e := enc.Encode(render.StatsJSON{By: opts.by, RelativeAccuracy: stats.RelativeAccuracy, Groups: rows}); e != nil {
			return e
		}
		return afterRead(err, bw.Flush())
	case outputJSONL:
		jw := render.NewJSONWriter(bw, true)
		for _, r := range rows {
			if e := jw.Write(r); e != nil {
				return e
			}
		}
		return afterRead(err, bw.Flush())
	}
	p := render.NewPrinter(opts.streams)
	p.StatsRows(opts.by, stats.SpanLevel(opts.by), rows)
	return afterRead(err, p.Flush())
}

// aggregate reads the inputs and adds up the traces keep accepts, on one
// worker per core (each its own Aggregator, merged at the end): the
// reading goroutine only hands traces over, at most two per worker
// waiting, so memory stays at a few traces' worth.
func aggregate(opts *statsOptions, keep func(*render.TraceView) bool) (*stats.Aggregator, error) {
	n := opts.workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	traces := make(chan *render.TraceView, 2*n)
	aggs := make([]*stats.Aggregator, n)
	var wg sync.WaitGroup
	for k := range aggs {
		aggs[k], _ = stats.New(opts.by) // checked by the caller
		wg.Add(1)
		go func(a *stats.Aggregator) {
			defer wg.Done()
			for v := range traces {
				if keep(v) {
					a.Add(v)
				}
			}
		}(aggs[k])
	}
	err := streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
		traces <- v
		return nil
	})
	close(traces)
	wg.Wait()
	for _, a := range aggs[1:] {
		aggs[0].Merge(a)
	}
	return aggs[0], err
}
