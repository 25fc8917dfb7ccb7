package main

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"tracectl/internal/query"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

const (
	sortStart    = "start"
	sortDuration = "duration"
	sortName     = "name"
	sortNone     = "none" // input order: trace by trace, each in tree order
)

var spanSorts = []string{sortStart, sortDuration, sortName, sortNone}

type spansOptions struct {
	streams     *render.IOStreams
	ctx         context.Context
	inputs      []string
	output      string
	types       []string
	statuses    []string
	name        string
	minDuration time.Duration
	sort        string
	where       string
}

// NewSpansCmd builds `tracectl spans`.
func NewSpansCmd(streams *render.IOStreams) *cobra.Command {
	opts := &spansOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "spans [FILE|-]...",
		Short: "List spans in a flat table, filtered and sorted",
		Long: `List spans one per line: span id, parent id, name, span type, status, start
(relative to the trace's first span), duration and self time. With several
traces a TRACE column comes first.

Filters combine with AND; --type and --status take several values (comma
separated or repeated), any of which matches. --name is a glob (*, ?, [a-z])
matched against the whole span name.

--sort start (default: by start time), duration (longest first) or name
orders the spans of all traces together, so the rows are printed when the
input ends; until then tracectl keeps only the matching rows, not the
traces. --sort none lists each trace's spans in tree order (as show does),
trace by trace as they are read: with -o json or jsonl each trace's rows are
written as soon as the trace is complete. The text table is always printed
when the input ends: its columns are as wide as their widest cell.`,
		Example: `  tracectl spans trace.json
  tracectl spans --type LLM,CHAT_MODEL --sort duration trace.json
  tracectl spans --status error --name 'retriever*' traces/*.json
  tracectl spans --min-duration 1s -o jsonl dump.jsonl
  tracectl spans --status error --sort none -o jsonl dump.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runSpans(opts)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.types, "type", nil, "only spans of these span types (e.g. LLM,TOOL)")
	f.StringSliceVar(&opts.statuses, "status", nil, "only spans with these statuses: ok, error, unset")
	f.StringVar(&opts.name, "name", "", "only spans whose name matches this glob")
	f.DurationVar(&opts.minDuration, "min-duration", 0, "only spans that took at least this long (e.g. 250ms)")
	f.StringVar(&opts.sort, "sort", sortStart, "sort by start, duration or name; none: as read, each trace in tree order")
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(spanSorts, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"ok", "error", "unset"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"LLM", "CHAT_MODEL", "CHAIN", "AGENT", "TOOL", "RETRIEVER", "EMBEDDING", "RERANKER", "PARSER", "MEMORY", "UNKNOWN"}, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "list only the spans the query selects")
	return cmd
}

// spanFilter is the parsed set of filters of `spans`.
type spanFilter struct {
	types       map[string]bool
	statuses    map[spanjson.StatusCode]bool
	name        string
	minDuration time.Duration
	where       *query.Query
}

func (o *spansOptions) filter() (*spanFilter, error) {
	f := &spanFilter{name: o.name, minDuration: o.minDuration}
	var err error
	if f.where, err = parseWhere(o.where); err != nil {
		return nil, err
	}
	if len(o.types) > 0 {
		f.types = map[string]bool{}
		for _, t := range o.types {
			f.types[strings.ToUpper(strings.TrimSpace(t))] = true
		}
	}
	if len(o.statuses) > 0 {
		f.statuses = map[spanjson.StatusCode]bool{}
		for _, s := range o.statuses {
			code, ok := spanjson.ParseStatusCode(strings.TrimSpace(s))
			if !ok || strings.TrimSpace(s) == "" {
				return nil, usageErrorf("invalid --status %q: want ok, error or unset", s)
			}
			f.statuses[code] = true
		}
	}
	if f.name != "" {
		if _, err := path.Match(f.name, ""); err != nil {
			return nil, usageErrorf("invalid --name pattern %q: %v", f.name, err)
		}
	}
	if f.minDuration < 0 {
		return nil, usageErrorf("invalid --min-duration %s: want 0 or more", f.minDuration)
	}
	return f, nil
}

// match reports whether span i of v passes every filter; where is what
// --where selected in v (nil: every span).
func (f *spanFilter) match(v *render.TraceView, i int, where []bool) bool {
	s := v.Spans()[i]
	if where != nil && !where[i] {
		return false
	}
	if f.types != nil && !f.types[strings.ToUpper(v.SpanTypeAt(i))] {
		return false
	}
	if f.statuses != nil && !f.statuses[s.Status().Code] {
		return false
	}
	if f.minDuration > 0 && s.Duration() < f.minDuration {
		return false
	}
	if f.name != "" {
		if ok, _ := path.Match(f.name, s.Name()); !ok {
			return false
		}
	}
	return true
}

func runSpans(opts *spansOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if !slices.Contains(spanSorts, opts.sort) {
		return usageErrorf("invalid --sort %q: want start, duration, name or none", opts.sort)
	}
	filter, err := opts.filter()
	if err != nil {
		return err
	}
	if opts.sort == sortNone && opts.output != outputText {
		out := newJSONStream(opts.streams, opts.output)
		err := streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
			where := whereSpans(filter.where, v)
			for _, i := range v.Order() {
				if filter.match(v, i, where) {
					if err := out.write(v.SpanRowOf(i).JSON); err != nil {
						return err
					}
				}
			}
			return out.endTrace()
		})
		if fatal(err) {
			return err
		}
		return afterRead(err, out.close())
	}
	var sel spanSelection
	err = streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
		sel.add(v, filter)
		return nil
	})
	if fatal(err) {
		return err
	}
	sortSpanRows(sel.rows, opts.sort)
	if opts.output != outputText {
		return afterRead(err, writeJSONEach(opts.streams, opts.output, len(sel.rows), func(k int) any { return sel.rows[k].JSON }))
	}
	p := render.NewPrinter(opts.streams)
	p.SpanRows(sel.rows, sel.traces > 1)
	return afterRead(err, p.Flush())
}

// spanSelection collects the matching spans of every trace, in the order
// the traces come and each trace's tree order, as compact rows: the traces
// themselves are let go once their rows are made, so memory follows the
// matching spans, not the input.
type spanSelection struct {
	rows   []render.SpanRow
	traces int
}

func (s *spanSelection) add(v *render.TraceView, f *spanFilter) {
	s.traces++
	where := whereSpans(f.where, v)
	for _, i := range v.Order() {
		if f.match(v, i, where) {
			s.rows = append(s.rows, v.SpanRowOf(i))
		}
	}
}

// sortSpanRows orders rows stably; ties keep the traces' and the tree's
// order. The start order compares every trace's spans with every other's,
// so it needs all the rows.
func sortSpanRows(rows []render.SpanRow, by string) {
	switch by {
	case sortStart:
		slices.SortStableFunc(rows, func(a, b render.SpanRow) int { return cmp.Compare(a.Start, b.Start) })
	case sortDuration:
		slices.SortStableFunc(rows, func(a, b render.SpanRow) int { return cmp.Compare(b.JSON.DurationNS, a.JSON.DurationNS) })
	case sortName:
		slices.SortStableFunc(rows, func(a, b render.SpanRow) int { return strings.Compare(a.JSON.Name, b.JSON.Name) })
	}
}
