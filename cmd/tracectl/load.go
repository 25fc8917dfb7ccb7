package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// inputsFrom turns a read command's arguments into inputs.
func inputsFrom(args []string, stdin io.Reader) ([]ingest.Input, error) {
	ins, err := ingest.Inputs(args, stdin)
	if errors.Is(err, ingest.ErrStdinTwice) {
		return nil, &usageError{err}
	}
	return ins, err
}

// loadTraces reads every input and returns its traces in the order they
// were first seen; see streamTraces.
func loadTraces(ctx context.Context, ins []ingest.Input, warn func(spanjson.Warning)) ([]*render.TraceView, error) {
	var views []*render.TraceView
	err := streamTraces(ctx, ins, warn, nil, func(v *render.TraceView) error {
		views = append(views, v)
		return nil
	})
	return views, err
}

// specMinSpans is ingest's Options.AheadMinSpans (tests set it; 0 is its
// default).
var specMinSpans = 0

// decodeWorkers is ingest's Options.Workers of every read command (tests
// set it to compare one worker with several; 0 is its default, one per
// core).
var decodeWorkers = 0

// streamTraces reads the inputs through ingest (the one assembler) and
// hands each trace, with its span tree and view, to emit as soon as it is
// complete. Decode and tree warnings go to warn; an input that cannot be
// read goes to inputError (when not nil) and the others go on.
func streamTraces(ctx context.Context, ins []ingest.Input, warn func(spanjson.Warning), inputError func(error), emit func(*render.TraceView) error) error {
	return streamTracesLazy(ctx, ins, warn, inputError, readSetup{}, emit)
}

// streamTracesLazy is streamTraces, with MLflow attribute maps kept as text
// until read when setup.lazyAttributes is set (ingest.Options.LazyAttributes),
// spans' inputs and outputs kept escaped until read when setup.lazyValues
// is (ingest.Options.LazyValues), and span types read ahead when
// setup.spanTypes is.
func streamTracesLazy(ctx context.Context, ins []ingest.Input, warn func(spanjson.Warning), inputError func(error), setup readSetup, emit func(*render.TraceView) error) error {
	newView := func(t *ingest.Trace) *render.TraceView {
		if setup.spanTypes {
			return render.NewTraceViewWithTypes(t.Source, t.Schema, t.Shape, t.Trace, t.Tree)
		}
		return render.NewTraceView(t.Source, t.Schema, t.Shape, t.Trace, t.Tree)
	}
	opts := ingest.Options{
		Warn:  warn,
		Error: inputError,
		Tree:  true,
		// A big trace's view is built while its spans go through the
		// manager: on two cores that hides most of it.
		Ahead:          func(t *ingest.Trace) any { return newView(t) },
		AheadMinSpans:  specMinSpans,
		Workers:        decodeWorkers,
		LazyAttributes: setup.lazyAttributes,
		LazyValues:     setup.lazyValues,
	}
	return ingest.Read(ctx, ins, opts, func(t *ingest.Trace) error {
		v, _ := t.Ahead.(*render.TraceView)
		if v == nil {
			v = newView(t)
		}
		v.Prompts = t.Prompts
		return emit(v)
	})
}

// Output formats of the read commands.
const (
	outputText  = "text"
	outputJSON  = "json"
	outputJSONL = "jsonl"
)

var outputFormats = []string{outputText, outputJSON, outputJSONL}

// addOutputFlag binds -o/--output with its completions.
func addOutputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", outputText, "output format: text, json or jsonl")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

func checkOutput(o string) error {
	if slices.Contains(outputFormats, o) {
		return nil
	}
	return usageErrorf("invalid --output %q: want text, json or jsonl", o)
}

// maxWarnings is how many warning lines one run prints; a broken
// million-span file must not bury its output under a million lines.
const maxWarnings = 100

// warner prints the warnings of a read the house way on stderr, one line
// per kind of problem and place (an input file, or a trace for the tree's
// repairs): the first warning of the kind, then how many more were like it.
// Lines come in the order their kinds were first seen, when the read ends;
// -q drops them all (Warnf).
type warner struct {
	streams *render.IOStreams
	mu      sync.Mutex // warnings may come from the decoding workers
	groups  map[string]*warnGroup
	order   []*warnGroup
}

type warnGroup struct {
	first spanjson.Warning
	scope string // "input FILE" or "trace ID"
	n     int
}

func (w *warner) warn(wn spanjson.Warning) {
	if w.streams.Quiet {
		return
	}
	scope, inTrace := warnScope(wn.Where)
	key := scope + "\x00" + warnKind(wn.Msg)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.groups == nil {
		w.groups = map[string]*warnGroup{}
	}
	g := w.groups[key]
	if g == nil {
		what := "input"
		if inTrace {
			what = "trace"
		}
		g = &warnGroup{first: wn, scope: what}
		w.groups[key] = g
		w.order = append(w.order, g)
	}
	g.n++
}

func (w *warner) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, g := range w.order {
		if k == maxWarnings {
			w.streams.Warnf("%d more kinds of warnings not shown", len(w.order)-maxWarnings)
			break
		}
		if g.n == 1 {
			w.streams.Warnf("%s", g.first)
		} else {
			w.streams.Warnf("%s (and %d more like it in this %s)", g.first, g.n-1, g.scope)
		}
	}
	w.groups, w.order = nil, nil
}

// warnScope is where a warning's kind is counted: its input file (a
// "FILE:LINE:COL" spot without line and column) or its trace (a "trace
// ID/span ID" spot without the span); inTrace tells which.
func warnScope(where string) (scope string, inTrace bool) {
	if rest, ok := strings.CutPrefix(where, "trace "); ok {
		id, _, _ := strings.Cut(rest, "/span ")
		return "trace " + id, true
	}
	// FILE:LINE:COL or FILE:LINE: the file may hold colons itself.
	for range 2 {
		k := strings.LastIndexByte(where, ':')
		if k < 0 || !allDigits(where[k+1:]) {
			break
		}
		where = where[:k]
	}
	return where, false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// warnKind is a warning's message with what changes from one case to the
// next taken out: quoted values, numbers and ids. What comes before the
// first quoted value names the field ("trace id", "span id"), and a
// closing parenthesis counts: an input whose ids are all "<redacted>" gets
// one line, not one per field.
func warnKind(msg string) string {
	if k := strings.IndexByte(msg, '"'); k > 0 {
		msg = msg[k:]
	}
	if k := strings.LastIndex(msg, " ("); k > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:k] // a count of its own: "(2 times in this document)"
	}
	return warnVariable.ReplaceAllString(msg, "…")
}

var warnVariable = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*\b|\btr-[0-9a-f]+`)

// streamArgs hands each trace named by a read command's arguments to emit
// as soon as it is complete (see streamTraces), so a command that lets each
// trace go after emit holds only the traces still being read.
func streamArgs(ctx context.Context, streams *render.IOStreams, args []string, emit func(*render.TraceView) error) error {
	return streamArgsWith(ctx, streams, args, readSetup{}, emit)
}

// readSetup is how a read command reads, beyond streamArgs: who hears about
// its input errors and warnings besides their printing on stderr (the
// report lists them; nil members are not called), and whether attributes
// are decoded only when read (lazyAttributes: status and roots, which
// seldom read them; lazyValues: inputs and outputs, for commands that read
// a few others of each span: show's tree, check, --where), and whether every span's
// type is read (spanTypes: show's tree; see
// render.NewTraceViewWithTypes).
type readSetup struct {
	inputError     func(error)
	warning        func(spanjson.Warning)
	lazyAttributes bool
	lazyValues     bool
	spanTypes      bool
}

// streamArgsWith is streamArgs as obs says.
func streamArgsWith(ctx context.Context, streams *render.IOStreams, args []string, obs readSetup, emit func(*render.TraceView) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(args) == 0 && streams.InTTY {
		return &hintError{err: usageErrorf("no input: standard input is a terminal"), hint: "name trace files, or pipe traces in: cat trace.json | tracectl show"}
	}
	ins, err := inputsFrom(args, streams.In)
	if err != nil {
		return err
	}
	tuneGCForLoad(ins)
	w := &warner{streams: streams}
	defer w.finish()
	stopProgress := startProgress(streams, ins)
	defer stopProgress()
	n := 0
	warn := w.warn
	if obs.warning != nil {
		warn = func(wn spanjson.Warning) { obs.warning(wn); w.warn(wn) }
	}
	inputError := func(err error) {
		printError(streams, err)
		if obs.inputError != nil {
			obs.inputError(err)
		}
	}
	return streamTracesLazy(ctx, ins, warn, inputError, obs, func(v *render.TraceView) error {
		if n++; n == 2 {
			// Traces are streamed, not loaded whole (see tuneGCForStream).
			tuneGCForStream()
		}
		return emit(v)
	})
}

// fatal reports whether a read command's error ends it without output:
// anything but inputs that could not be read, after which the command
// still finishes its output for the good ones (each error was printed).
func fatal(err error) bool {
	var failed *ingest.FailedInputs
	return err != nil && !errors.As(err, &failed)
}

// afterRead is a read command's error once it has finished its output:
// that output's error, else readErr (the inputs that could not be read).
func afterRead(readErr, outErr error) error {
	if outErr != nil {
		return outErr
	}
	return readErr
}

// writeJSONEach writes n values made one at a time by item, so a long list
// never exists whole in memory.
func writeJSONEach(streams *render.IOStreams, output string, n int, item func(k int) any) error {
	bw := bufio.NewWriterSize(streams.Out, 64<<10)
	jw := render.NewJSONWriter(bw, output == outputJSONL)
	for k := 0; k < n; k++ {
		if err := jw.Write(item(k)); err != nil {
			return err
		}
	}
	if err := jw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// addReadCommands adds show, roots, status, preview, spans and span.
func addReadCommands(root *cobra.Command, streams *render.IOStreams) {
	root.AddCommand(
		NewShowCmd(streams),
		NewRootsCmd(streams),
		NewStatusCmd(streams),
		NewPreviewCmd(streams),
		NewSpansCmd(streams),
		NewSpanCmd(streams),
		NewStatsCmd(streams),
	)
}

// printErrorContext shows the spot of a JSON syntax error: the offending
// line, clipped around the column, and a caret under the column.
func printErrorContext(streams *render.IOStreams, err error) {
	var se *spanjson.SyntaxError
	if !errors.As(err, &se) || se.LineText == "" || se.Col < 1 {
		return
	}
	line, col := se.LineText, se.Col-1
	if se.LineTextCol > 0 { // LineText may be clipped: the column within it
		col = se.LineTextCol - 1
	}
	const room = 72
	if col > len(line) {
		col = len(line)
	}
	start := 0
	if col > room/2 {
		start = col - room/2
	}
	end := min(len(line), start+room)
	// Keep whole UTF-8 sequences at both cuts.
	for start > 0 && start < len(line) && !utf8.RuneStart(line[start]) {
		start--
	}
	for end < len(line) && !utf8.RuneStart(line[end]) {
		end++
	}
	// Escaped like every text from the data: a binary input must not write
	// raw bytes or escape sequences to the terminal.
	clean := func(s string) string {
		return render.Printable(strings.ReplaceAll(s, "\t", " "))
	}
	clipped := clean(line[start:end])
	caret := utf8.RuneCountInString(clean(line[start:col]))
	if start > 0 {
		clipped = "…" + clipped
		caret++
	}
	if end < len(line) {
		clipped += "…"
	}
	fmt.Fprintf(streams.ErrOut, "    %s\n    %s^\n", clipped, strings.Repeat(" ", caret))
}
