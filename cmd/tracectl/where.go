package main

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"tracectl/internal/query"
	"tracectl/internal/render"
)

// addWhereFlag binds --where, the query that keeps traces (or, on spans,
// the spans it selects).
func addWhereFlag(cmd *cobra.Command, dst *string, what string) {
	cmd.Flags().StringVar(dst, "where", "", what+" (a query such as '{ type = \"TOOL\" && status = error }'; see tracectl check --help)")
	_ = cmd.RegisterFlagCompletionFunc("where", cobra.NoFileCompletions)
}

// parseQuery parses a query given on the command line by flag; a bad one
// is a usage error (exit 2) that points at the column.
func parseQuery(flag, src string) (*query.Query, error) {
	q, err := query.Parse(src)
	if err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", flag, err)}
	}
	return q, nil
}

// parseWhere is parseQuery for --where; "" is no filter (nil).
func parseWhere(src string) (*query.Query, error) {
	if src == "" {
		return nil, nil
	}
	return parseQuery("--where", src)
}

// whereKeeps reports whether the trace matches q (a nil q keeps every
// trace).
func whereKeeps(q *query.Query, v *render.TraceView) bool {
	return q == nil || q.Match(query.NewTrace(v.Trace, v.Tree))
}

// printQueryContext shows the line of a bad query with a caret under the
// column.
func printQueryContext(streams *render.IOStreams, err error) {
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Source == "" || qe.SourceCol < 1 {
		return
	}
	line := render.Printable(strings.ReplaceAll(qe.Source, "\t", " "))
	col := min(qe.SourceCol-1, utf8.RuneCountInString(line))
	fmt.Fprintf(streams.ErrOut, "    %s\n    %s^\n", line, strings.Repeat(" ", col))
}

// whereSpans is the spans --where selects in v, one flag per span; nil
// keeps every span (no --where). A query whose aggregate does not hold
// selects none.
func whereSpans(q *query.Query, v *render.TraceView) []bool {
	if q == nil {
		return nil
	}
	keep := make([]bool, len(v.Spans()))
	if r := q.Eval(query.NewTrace(v.Trace, v.Tree)); r.Match {
		for _, i := range r.Spans {
			keep[i] = true
		}
	}
	return keep
}

// seldomAttributes is the read setup of a command that reads no attribute
// but through where: attribute maps are kept as text until read, or, when
// where is set (it reads a few of each span), inputs and outputs escaped.
func seldomAttributes(where *query.Query) readSetup {
	return readSetup{lazyAttributes: where == nil, lazyValues: where != nil}
}
