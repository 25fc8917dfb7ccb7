package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"tracectl/internal/manager"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// inputSource is one input: its display name and how to open it.
type inputSource struct {
	name string // "<stdin>" for standard input
	path string // the file name; "" for standard input
	open func() (io.ReadCloser, error)
}

// inputsFrom turns command-line arguments into inputs: each file, "-" for
// stdin, and stdin when there is no argument.
func inputsFrom(args []string, stdin io.Reader) ([]inputSource, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	ins := make([]inputSource, 0, len(args))
	stdinSeen := false
	for _, a := range args {
		if a == "-" {
			if stdinSeen {
				return nil, usageErrorf("standard input (-) can be read only once")
			}
			stdinSeen = true
			ins = append(ins, inputSource{name: "<stdin>", open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }})
			continue
		}
		ins = append(ins, inputSource{name: a, path: a, open: func() (io.ReadCloser, error) {
			f, err := os.Open(a)
			if err != nil {
				return nil, &hintError{err: fmt.Errorf("cannot read %s: %w", a, unwrapPathError(err)), hint: "check the file name; use - to read standard input"}
			}
			return f, nil
		}})
	}
	return ins, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pendingTrace is a trace registered with the manager while inputs are
// read: where it was first seen and the spans the manager cannot hold
// (a repeated span id would replace the first; the tree reports them).
type pendingTrace struct {
	otelID spanjson.TraceID
	source string
	schema spanjson.Schema
	shape  string
	info   spanjson.TraceInfo
	extra  []spanjson.Span
	spec   *speculation // a tree built ahead, nil for small traces
}

// specMinSpans is the size from which a trace's tree is built while the
// manager takes in its spans: on two cores that hides most of the tree
// building of a million-span trace.
var specMinSpans = 1 << 14

// speculation is the tree and view of a trace built, concurrently with its
// registration, from the spans of the document it first came in. They are
// used only if the popped trace has exactly those spans (the manager hands
// back the same immutable spans when nothing changed them); otherwise they
// are built again from what was popped.
type speculation struct {
	spans    []spanjson.Span // what the tree is built from
	done     chan struct{}   // closed when tree, warnings and view are set
	trace    *spanjson.Trace // the view's trace, filled in after the pop
	tree     *spanjson.Tree
	warnings []spanjson.Warning
	view     *render.TraceView
}

func speculate(p *pendingTrace, spans []spanjson.Span) *speculation {
	s := &speculation{spans: slices.Clone(spans), done: make(chan struct{}), trace: new(spanjson.Trace)}
	go func() {
		defer close(s.done)
		s.tree, s.warnings = spanjson.BuildTree(s.spans)
		s.view = render.NewTraceView(p.source, p.schema, p.shape, s.trace, s.tree)
	}()
	return s
}

// loadTraces reads every input, feeds each trace through the trace manager
// (register the trace, register its spans, pop it whole once all inputs are
// read, so traces split over several documents come out complete) and
// builds the span tree of each. Decode and tree warnings go to warn; they
// never stop the output. Traces come out in the order they were first seen.
func loadTraces(ctx context.Context, ins []inputSource, warn func(spanjson.Warning)) ([]*render.TraceView, error) {
	var expired []*manager.ManagerTrace
	mgr := manager.New(manager.Config{
		TTL:           10 * 365 * 24 * time.Hour, // traces leave by PopTrace, not by age
		CheckInterval: time.Hour,
		MaxSize:       math.MaxInt32,
		OnExpire:      func(t *manager.ManagerTrace) { expired = append(expired, t) },
	})
	defer mgr.Close()

	var order []*pendingTrace
	defer func() {
		for _, p := range order {
			if p.spec != nil {
				<-p.spec.done // no goroutine outlives the load
			}
		}
	}()
	byID := map[spanjson.TraceID]*pendingTrace{}
	for _, in := range ins {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := loadInput(ctx, mgr, in, byID, &order, warn); err != nil {
			return nil, err
		}
	}

	views := make([]*render.TraceView, 0, len(order))
	for _, p := range order {
		t := spanjson.Trace{Info: p.info}
		var prompts []spanjson.PromptVersion
		if mt := mgr.PopTrace(p.otelID); mt != nil {
			t, prompts = mt.Trace, mt.Prompts
		} else if mt := takeExpired(&expired, p.info.TraceID); mt != nil {
			t, prompts = mt.Trace, mt.Prompts
		}
		t.Spans = append(t.Spans, p.extra...)
		var v *render.TraceView
		var warnings []spanjson.Warning
		if s := p.spec; s != nil {
			<-s.done
			if slices.Equal(s.spans, t.Spans) {
				*s.trace = t
				v, warnings = s.view, s.warnings
			}
			p.spec = nil
		}
		if v == nil {
			var tree *spanjson.Tree
			tree, warnings = spanjson.BuildTree(t.Spans)
			v = render.NewTraceView(p.source, p.schema, p.shape, &t, tree)
		}
		for _, w := range warnings {
			warn(w)
		}
		v.Prompts = prompts
		views = append(views, v)
	}
	return views, nil
}

func takeExpired(list *[]*manager.ManagerTrace, traceID string) *manager.ManagerTrace {
	for k, mt := range *list {
		if mt.Trace.Info.TraceID == traceID {
			*list = append((*list)[:k], (*list)[k+1:]...)
			return mt
		}
	}
	return nil
}

func loadInput(ctx context.Context, mgr *manager.Manager, in inputSource, byID map[spanjson.TraceID]*pendingTrace, order *[]*pendingTrace, warn func(spanjson.Warning)) error {
	rc, err := in.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := spanjson.NewDecoder(rc, in.name)
	doc, err := dec.Next()
	for {
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(in.name, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Read one document ahead: when doc was the input's last (a single
		// big trace), the decoder and its document-sized buffer become
		// garbage before doc's spans are copied into the manager.
		next, nextErr := dec.Next()
		if nextErr == io.EOF {
			dec = nil
		}
		if err := registerDocument(mgr, in.name, doc, byID, order, warn); err != nil {
			return err
		}
		doc, err = next, nextErr
	}
}

// registerDocument feeds a document's traces and spans to the manager.
func registerDocument(mgr *manager.Manager, name string, doc *spanjson.Document, byID map[spanjson.TraceID]*pendingTrace, order *[]*pendingTrace, warn func(spanjson.Warning)) error {
	for _, w := range doc.Warnings {
		warn(w)
	}
	for ti := range doc.Traces {
		t := &doc.Traces[ti]
		otelID := otelTraceIDOf(t)
		p := byID[otelID]
		if p == nil {
			p = &pendingTrace{otelID: otelID, source: name, schema: doc.Schema, shape: doc.Shape, info: t.Info}
			byID[otelID] = p
			*order = append(*order, p)
			mgr.RegisterTrace(otelID, t.Info)
			if len(t.Spans) >= specMinSpans {
				p.spec = speculate(p, t.Spans)
			}
		}
		// The manager keeps the first span of each id; the repeats come
		// back and join the trace after the pop.
		repeated, err := mgr.AddSpans(t.Spans)
		if err != nil {
			return fmt.Errorf("%s: trace %s: %w", name, t.Info.TraceID, err)
		}
		p.extra = append(p.extra, repeated...)
		clear(t.Spans) // the manager holds them now
	}
	return nil
}

// otelTraceIDOf is the OpenTelemetry id the trace's spans carry, else one
// derived from the info's trace id.
func otelTraceIDOf(t *spanjson.Trace) spanjson.TraceID {
	if len(t.Spans) > 0 {
		return t.Spans[0].TraceID()
	}
	if id, err := spanjson.ParseTraceID(t.Info.TraceID); err == nil {
		return id
	}
	return spanjson.OpaqueTraceID(t.Info.TraceID)
}

// decodeError keeps a located error as it is (reportError prints the
// offending line of a syntax error) and names the input in any other.
func decodeError(name string, err error) error {
	var se *spanjson.SyntaxError
	if errors.As(err, &se) || strings.HasPrefix(err.Error(), name+":") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
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

// maxWarnings is how many warnings one run prints; a broken million-span
// file must not bury its output under a million warning lines.
const maxWarnings = 100

// warner prints warnings the house way on stderr, up to maxWarnings, and
// then how many it held back.
type warner struct {
	streams *render.IOStreams
	n       int
}

func (w *warner) warn(wn spanjson.Warning) {
	w.n++
	if w.n <= maxWarnings {
		fmt.Fprintf(w.streams.ErrOut, "tracectl: warning: %s\n", wn)
	}
}

func (w *warner) finish() {
	if extra := w.n - maxWarnings; extra > 0 {
		fmt.Fprintf(w.streams.ErrOut, "tracectl: warning: %d more warnings not shown\n", extra)
	}
}

// loadArgs loads the traces named by a read command's arguments.
func loadArgs(ctx context.Context, streams *render.IOStreams, args []string) ([]*render.TraceView, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(args) == 0 && streams.InTTY {
		return nil, &hintError{err: usageErrorf("no input: standard input is a terminal"), hint: "name trace files, or pipe traces in: cat trace.json | tracectl show"}
	}
	ins, err := inputsFrom(args, streams.In)
	if err != nil {
		return nil, err
	}
	tuneGCForLoad(ins, streams.In)
	w := &warner{streams: streams}
	defer w.finish()
	return loadTraces(ctx, ins, w.warn)
}

// writeJSON writes one value per trace (or span) as a JSON array or JSON
// Lines.
func writeJSON[T any](streams *render.IOStreams, output string, items []T) error {
	return writeJSONEach(streams, output, len(items), func(k int) any { return items[k] })
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

// addReadCommands adds show, roots, status, preview and spans.
func addReadCommands(root *cobra.Command, streams *render.IOStreams) {
	root.AddCommand(
		NewShowCmd(streams),
		NewRootsCmd(streams),
		NewStatusCmd(streams),
		NewPreviewCmd(streams),
		NewSpansCmd(streams),
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
	clipped := strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		return r
	}, line[start:end])
	caret := utf8.RuneCountInString(line[start:col])
	if start > 0 {
		clipped = "…" + clipped
		caret++
	}
	if end < len(line) {
		clipped += "…"
	}
	fmt.Fprintf(streams.ErrOut, "    %s\n    %s^\n", clipped, strings.Repeat(" ", caret))
}
