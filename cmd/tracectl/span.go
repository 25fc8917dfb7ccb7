package main

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

type spanOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	id      string
	name    string
	where   string
}

// NewSpanCmd builds `tracectl span`.
func NewSpanCmd(streams *render.IOStreams) *cobra.Command {
	opts := &spanOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "span [FILE|-]... (--id SPAN_ID | --name GLOB)",
		Short: "Show spans in full: ids, parent chain, times, exception, inputs, outputs, attributes",
		Long: `Show everything about the chosen spans, untruncated: the span and trace ids,
the parent and the chain of names from the root, start and end (RFC 3339,
UTC, to the nanosecond), duration and self time, status and the exception
with its whole stack trace, the GenAI view (type, model, tokens, cost,
tool), the inputs and outputs and every attribute as indented JSON, the
events, links, resource and scope.

--id picks spans by id (16 hex digits, or the id as written when it could
not be read, such as "<redacted>"); --name by a glob (*, ?, [a-z]) matched
against the whole span name. Every matching span of every trace is shown,
as its trace is read.

Unicode is printed as is ("14°C", not "14\u00b0C"); control characters and
terminal escapes in trace data are still escaped. With -o json each span is
an object (the span as in show -o json --attributes --events, with its
trace id, path, RFC 3339 times, links and stack trace).

No matching span is an error (exit 1).`,
		Example: `  tracectl span --id 5a1c0d2e3f405162 trace.json
  tracectl span --name 'retriever*' traces/*.json
  tracectl span --name answer -o json trace.json | jq '.[0].attributes'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runSpan(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.id, "id", "", "show the span with this id")
	f.StringVar(&opts.name, "name", "", "show the spans whose name matches this glob")
	_ = cmd.RegisterFlagCompletionFunc("id", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("name", cobra.NoFileCompletions)
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "look only in the traces that match")
	return cmd
}

// spanMatcher picks spans by id or by a name glob.
type spanMatcher struct {
	id, glob string
	what     string // how the selection is named in the no-match error
}

// newSpanMatcher checks --id and --name: exactly one, a valid glob.
func newSpanMatcher(id, glob string) (*spanMatcher, error) {
	switch {
	case id == "" && glob == "":
		return nil, usageErrorf("span needs --id SPAN_ID or --name GLOB")
	case id != "" && glob != "":
		return nil, usageErrorf("give --id or --name, not both")
	}
	if glob != "" {
		if _, err := path.Match(glob, ""); err != nil {
			return nil, usageErrorf("invalid --name pattern %q: %v", glob, err)
		}
		return &spanMatcher{glob: glob, what: "--name " + glob}, nil
	}
	return &spanMatcher{id: normalSpanID(id), what: "--id " + id}, nil
}

// showSpanMatcher is show --span: an id, else a name glob.
func showSpanMatcher(sel string) *spanMatcher {
	m := &spanMatcher{id: normalSpanID(sel), what: "--span " + sel}
	if _, err := path.Match(sel, ""); err == nil {
		m.glob = sel
	}
	return m
}

// normalSpanID is an id as typed, lower case and without "0x".
func normalSpanID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 2 && (id[:2] == "0x" || id[:2] == "0X") {
		id = id[2:]
	}
	return strings.ToLower(id)
}

// match reports whether span i of v is chosen.
func (m *spanMatcher) match(v *render.TraceView, i int) bool {
	s := v.Spans()[i]
	if m.id != "" {
		if strings.ToLower(render.SpanIDText(s)) == m.id || s.SpanID().String() == m.id {
			return true
		}
	}
	if m.glob != "" {
		ok, _ := path.Match(m.glob, s.Name())
		return ok
	}
	return false
}

// errNoSpan is returned when nothing matched; its message names the
// selection and how many traces were looked in.
var errNoSpan = errors.New("no span matches")

func runSpan(opts *spanOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	m, err := newSpanMatcher(opts.id, opts.name)
	if err != nil {
		return err
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	return showSpans(opts.ctx, opts.streams, opts.inputs, opts.output, m, func(v *render.TraceView) bool { return whereKeeps(where, v) })
}

// showSpans writes every span m chooses in the traces keep keeps, trace by
// trace as they are read; none is an error naming the selection.
func showSpans(ctx context.Context, streams *render.IOStreams, inputs []string, output string, m *spanMatcher, keep func(*render.TraceView) bool) error {
	found, traces := 0, 0
	// write, endTrace and finish are the output's: text blocks or JSON.
	var write func(v *render.TraceView, i int) error
	var endTrace, finish func() error
	if output != outputText {
		out := newJSONStream(streams, output)
		write = func(v *render.TraceView, i int) error { return out.write(v.SpanDetailJSONOf(i)) }
		endTrace, finish = out.endTrace, out.close
	} else {
		p := render.NewPrinter(streams)
		write = func(v *render.TraceView, i int) error { p.SpanDetail(v, i, found == 0); return nil }
		endTrace, finish = p.Flush, p.Flush
	}
	readErr := streamArgs(ctx, streams, inputs, func(v *render.TraceView) error {
		if !keep(v) {
			return nil
		}
		traces++
		for _, i := range v.Order() {
			if m.match(v, i) {
				if err := write(v, i); err != nil {
					return err
				}
				found++
			}
		}
		return endTrace()
	})
	if fatal(readErr) {
		return readErr
	}
	if err := finish(); err != nil {
		return err
	}
	if found == 0 && readErr == nil {
		return &hintError{
			err:  fmt.Errorf("%w %s in %d %s", errNoSpan, m.what, traces, render.Plural(traces, "trace", "traces")),
			hint: "list the spans with: tracectl spans FILE",
		}
	}
	return readErr
}
