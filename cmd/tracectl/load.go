package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"path/filepath"
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
			if fi, err := f.Stat(); err == nil && fi.IsDir() {
				f.Close()
				return nil, &hintError{err: fmt.Errorf("%s: is a directory", a), hint: fmt.Sprintf("pass the trace files in it, e.g. %s", shellName(a)+string(filepath.Separator)+"*.json")}
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

// pendingTrace is a trace seen in the inputs and not yet handed on: where
// it was first seen, its info, and where its spans are. A trace read from a
// document with real MLflow info is complete at that document: it is taken
// back from the manager at once (trace) and handed on as soon as every
// trace seen before it has been. A trace whose info was derived from its
// spans (OTLP, TraceData, bare span lists) may go on in later documents:
// the manager holds it (inManager) until all inputs are read.
type pendingTrace struct {
	otelID    spanjson.TraceID
	source    string
	schema    spanjson.Schema
	shape     string
	info      spanjson.TraceInfo
	realInfo  bool // info read from an MLflow document, not derived from spans
	adopted   bool // realInfo came after the manager registered the trace
	inManager bool
	trace     *spanjson.Trace // taken from the manager, held for output order
	prompts   []spanjson.PromptVersion
	// extra holds spans whose id the trace already had (the manager keeps
	// the first of each id): at the hand-on, copies of a held span are
	// dropped and the others join the trace (the tree reports them).
	extra   []spanjson.Span
	spec    *speculation // a tree built ahead, nil for small traces
	emitted bool
	noted   bool // a repeat of this trace was reported
	// shown sums the fingerprints of the spans handed on, so a later copy
	// of the whole trace (the same file twice) is recognised and dropped.
	shown      uint64
	shownSpans int
}

// specMinSpans is the size from which a trace's tree is built while the
// manager takes in its spans: on two cores that hides most of the tree
// building of a million-span trace.
var specMinSpans = 1 << 14

// speculation is the tree and view of a trace built, concurrently with its
// registration, from the spans of the document it first came in. They are
// used only if the trace handed on has exactly those spans (the manager
// hands back the same immutable spans when nothing changed them);
// otherwise they are built again.
type speculation struct {
	spans    []spanjson.Span // what the tree is built from
	done     chan struct{}   // closed when tree, warnings and view are set
	trace    *spanjson.Trace // the view's trace, filled in at the hand-on
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

// use returns the view built ahead when it was built from spans, else nil.
func (s *speculation) use(t *spanjson.Trace) (*render.TraceView, []spanjson.Warning) {
	<-s.done
	if !slices.Equal(s.spans, t.Spans) {
		return nil, nil
	}
	*s.trace = *t
	return s.view, s.warnings
}

// loader reads the inputs and hands out each trace once it is complete.
type loader struct {
	ctx      context.Context
	mgr      *manager.Manager
	expired  []*manager.ManagerTrace
	warn     func(spanjson.Warning)
	emit     func(*render.TraceView) error
	order    []*pendingTrace // not yet handed on, in order of first sight
	byOTel   map[spanjson.TraceID]*pendingTrace
	byMLflow map[string]*pendingTrace // traces with real info by MLflow trace id
}

// loadTraces reads every input and returns its traces in the order they
// were first seen; see streamTraces.
func loadTraces(ctx context.Context, ins []inputSource, warn func(spanjson.Warning)) ([]*render.TraceView, error) {
	var views []*render.TraceView
	err := streamTraces(ctx, ins, warn, func(v *render.TraceView) error {
		views = append(views, v)
		return nil
	})
	return views, err
}

// streamTraces reads every input, feeds each trace through the trace
// manager (register the trace, register its spans, pop it whole) and hands
// each trace with its span tree to emit, in the order traces were first
// seen. Traces of MLflow documents are complete at their document and are
// handed on (and released) as soon as the traces before them were; traces
// derived from spans (OTLP, split over several documents) are held until
// all inputs are read. Decode and tree warnings go to warn; they never stop
// the output.
func streamTraces(ctx context.Context, ins []inputSource, warn func(spanjson.Warning), emit func(*render.TraceView) error) error {
	l := &loader{ctx: ctx, warn: warn, emit: emit, byOTel: map[spanjson.TraceID]*pendingTrace{}, byMLflow: map[string]*pendingTrace{}}
	l.mgr = manager.New(manager.Config{
		TTL:           10 * 365 * 24 * time.Hour, // traces leave by PopTrace, not by age
		CheckInterval: time.Hour,
		MaxSize:       math.MaxInt32,
		OnExpire:      func(t *manager.ManagerTrace) { l.expired = append(l.expired, t) },
	})
	defer l.mgr.Close()
	defer func() {
		for _, p := range l.order {
			if p.spec != nil {
				<-p.spec.done // no goroutine outlives the load
			}
		}
	}()
	for _, in := range ins {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.loadInput(in); err != nil {
			return err
		}
	}
	for _, p := range l.order {
		if p.inManager {
			l.take(p)
		}
	}
	return l.flush()
}

// take moves p's trace out of the manager.
func (l *loader) take(p *pendingTrace) {
	t := spanjson.Trace{Info: p.info}
	mt := l.mgr.PopTrace(p.otelID)
	if mt == nil {
		mt = takeExpired(&l.expired, p.info.TraceID)
	}
	if mt != nil {
		t, p.prompts = mt.Trace, mt.Prompts
		if p.adopted {
			// The info came with a later document than the one the
			// manager registered: it wins; previews fall back to the root's.
			in := p.info
			if in.RequestPreview == "" {
				in.RequestPreview = t.Info.RequestPreview
			}
			if in.ResponsePreview == "" {
				in.ResponsePreview = t.Info.ResponsePreview
			}
			t.Info = in
		}
	}
	p.inManager = false
	p.trace = &t
}

// flush hands on the complete traces at the head of the order.
func (l *loader) flush() error {
	k := 0
	for ; k < len(l.order) && !l.order[k].inManager; k++ {
		p := l.order[k]
		if err := l.emitTrace(p); err != nil {
			return err
		}
	}
	l.order = l.order[:copy(l.order, l.order[k:])]
	if len(l.order) == 0 {
		l.order = nil // let a grown backing array go
	}
	return nil
}

func (l *loader) emitTrace(p *pendingTrace) error {
	t := p.trace
	p.trace, p.emitted = nil, true
	t.Spans = dropCopies(append(t.Spans, p.extra...), len(t.Spans))
	p.extra = nil
	if p.realInfo {
		p.shown, p.shownSpans = fingerprintSum(t.Spans), len(t.Spans)
	} else {
		t.Info = infoFromSpans(t.Info, t.Spans, p.schema)
	}
	var v *render.TraceView
	var warnings []spanjson.Warning
	if p.spec != nil {
		v, warnings = p.spec.use(t)
		p.spec = nil
	}
	if v == nil {
		var tree *spanjson.Tree
		tree, warnings = spanjson.BuildTree(t.Spans)
		v = render.NewTraceView(p.source, p.schema, p.shape, t, tree)
	}
	for _, w := range warnings {
		l.warn(w)
	}
	l.warnBackwards(t)
	v.Prompts = p.prompts
	p.prompts = nil
	return l.emit(v)
}

// warnBackwards warns once per trace about spans that end before they
// start (their duration shows as 0).
func (l *loader) warnBackwards(t *spanjson.Trace) {
	n := 0
	var first spanjson.Span
	for _, s := range t.Spans {
		if s.EndTime() != 0 && s.EndTime() < s.StartTime() {
			if n == 0 {
				first = s
			}
			n++
		}
	}
	if n == 0 {
		return
	}
	msg := fmt.Sprintf("span %q ends before it starts: its duration shows as 0", first.Name())
	if n > 1 {
		msg = fmt.Sprintf("%d spans end before they start (the first is %q): their durations show as 0", n, first.Name())
	}
	l.warn(spanjson.Warning{Where: "trace " + t.Info.TraceID, Msg: msg})
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

func (l *loader) loadInput(in inputSource) error {
	rc, err := in.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 512)
	if magic, _ := br.Peek(4); binaryInput(magic) != "" {
		return &hintError{
			err:  fmt.Errorf("%s: the input is not JSON: it looks %s", in.name, binaryInput(magic)),
			hint: fmt.Sprintf("decompress it first, e.g. zcat %s | tracectl …", shellName(in.name)),
		}
	}
	dec := spanjson.NewDecoder(br, in.name)
	doc, err := dec.Next()
	for {
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(in.name, err)
		}
		if err := l.ctx.Err(); err != nil {
			return err
		}
		// Read one document ahead: when doc was the input's last (a single
		// big trace), the decoder and its document-sized buffer become
		// garbage before doc's spans are copied into the manager.
		next, nextErr := dec.Next()
		if nextErr == io.EOF {
			dec = nil
		}
		if err := l.registerDocument(in.name, doc); err != nil {
			return err
		}
		doc = nil
		if err := l.flush(); err != nil {
			return err
		}
		doc, err = next, nextErr
	}
}

// binaryInput names the compression of an input that starts with magic
// ("gzip-compressed", …), "" for anything else.
func binaryInput(magic []byte) string {
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return "gzip-compressed"
	case len(magic) >= 4 && string(magic[:4]) == "\x28\xb5\x2f\xfd":
		return "zstd-compressed"
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		return "bzip2-compressed"
	case len(magic) >= 4 && string(magic[:4]) == "PK\x03\x04":
		return "zip-compressed"
	}
	return ""
}

// looksBinary reports whether text has bytes JSON text never has: NUL,
// other control characters than whitespace, or bytes that are not UTF-8.
func looksBinary(text string) bool {
	if !utf8.ValidString(text) {
		return true
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// shellName is name as a shell word for a hint ("FILE" for stdin).
func shellName(name string) string {
	if name == "<stdin>" {
		return "FILE"
	}
	if strings.ContainsAny(name, " \t'\"$`\\|&;<>()*?[]{}!#~") {
		return "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
	}
	return name
}

// registerDocument feeds a document's traces and spans to the manager.
func (l *loader) registerDocument(name string, doc *spanjson.Document) error {
	for _, w := range doc.Warnings {
		l.warn(w)
	}
	for ti := range doc.Traces {
		t := &doc.Traces[ti]
		real := !t.Info.Derived
		otelID := otelTraceIDOf(t)
		var p *pendingTrace
		if real {
			p = l.byMLflow[t.Info.TraceID]
			if q := l.byOTel[otelID]; p == nil && q != nil && !q.realInfo && !q.emitted {
				p = q // the spans seen so far had no info: this is it
			}
		} else {
			p = l.byOTel[otelID]
		}
		if p != nil && p.emitted {
			if l.repeatsAll(p, t.Spans) {
				if !p.noted {
					p.noted = true
					l.warn(spanjson.Warning{Where: name, Msg: fmt.Sprintf("trace %s was already read: this copy is dropped", p.info.TraceID)})
				}
				continue
			}
			l.warn(spanjson.Warning{Where: name, Msg: fmt.Sprintf("trace %s goes on after it was shown: the rest is shown as another trace", p.info.TraceID)})
			p = nil
		}
		if p == nil {
			if err := l.newTrace(name, doc, t, otelID, real); err != nil {
				return err
			}
			continue
		}
		if real && !p.realInfo {
			p.info, p.realInfo, p.adopted = t.Info, true, true
			p.schema, p.shape = doc.Schema, doc.Shape
			l.byMLflow[t.Info.TraceID] = p
		}
		if err := l.addSpans(name, p, t); err != nil {
			return err
		}
	}
	return nil
}

// newTrace starts a trace first seen in doc.
func (l *loader) newTrace(name string, doc *spanjson.Document, t *spanjson.Trace, otelID spanjson.TraceID, real bool) error {
	p := &pendingTrace{otelID: otelID, source: name, schema: doc.Schema, shape: doc.Shape, info: t.Info, realInfo: real}
	l.order = append(l.order, p)
	if real {
		l.byMLflow[t.Info.TraceID] = p
	}
	if q := l.byOTel[otelID]; q != nil && q.inManager {
		// Another MLflow trace with the same OpenTelemetry id is held: keep
		// this one apart from it, outside the manager.
		p.trace = &spanjson.Trace{Info: t.Info}
		return l.addSpans(name, p, t)
	}
	l.byOTel[otelID] = p
	l.mgr.RegisterTrace(otelID, t.Info)
	p.inManager = true
	if real && len(t.Spans) >= specMinSpans {
		p.spec = speculate(p, t.Spans)
	}
	if err := l.addSpans(name, p, t); err != nil {
		return err
	}
	if real {
		l.take(p) // complete at its document
	}
	return nil
}

// addSpans adds t's spans to p. The manager keeps the first span of each
// id; the spans that repeat an id are kept aside (extra) until the trace is
// handed on.
func (l *loader) addSpans(name string, p *pendingTrace, t *spanjson.Trace) error {
	if !p.inManager {
		p.extra = append(p.extra, t.Spans...)
		clear(t.Spans)
		return nil
	}
	repeated, err := l.mgr.AddSpans(t.Spans)
	if err != nil {
		return fmt.Errorf("%s: trace %s: %w", name, t.Info.TraceID, err)
	}
	p.extra = append(p.extra, repeated...)
	clear(t.Spans) // the manager holds them now
	return nil
}

// dropCopies drops from spans[held:] each span that is a copy (same id,
// same fingerprint) of a span before it; spans[:held] have distinct ids.
// A span without an id is never taken for a copy: the tree gives it one.
func dropCopies(spans []spanjson.Span, held int) []spanjson.Span {
	if held >= len(spans) {
		return spans
	}
	type key struct {
		id spanjson.SpanID
		fp uint64
	}
	ids := make(map[spanjson.SpanID]bool, len(spans)-held)
	for _, s := range spans[held:] {
		ids[s.SpanID()] = true
	}
	seen := make(map[key]bool, len(ids))
	for _, s := range spans[:held] {
		if ids[s.SpanID()] {
			seen[key{s.SpanID(), spanFingerprint(s)}] = true
		}
	}
	out := spans[:held]
	for _, s := range spans[held:] {
		if !s.SpanID().IsZero() {
			k := key{s.SpanID(), spanFingerprint(s)}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, s)
	}
	clear(spans[len(out):])
	return out
}

// repeatsAll reports whether spans are the spans p was handed on with
// (the same trace read again).
func (l *loader) repeatsAll(p *pendingTrace, spans []spanjson.Span) bool {
	return len(spans) == p.shownSpans && fingerprintSum(spans) == p.shown
}

// fingerprintSum combines the fingerprints of spans, in any order.
func fingerprintSum(spans []spanjson.Span) uint64 {
	var sum uint64
	for _, s := range spans {
		sum += spanFingerprint(s)
	}
	return sum
}

// fingerprintSeed keeps fingerprints comparable within the process.
var fingerprintSeed = maphash.MakeSeed()

// spanFingerprint hashes what tells a span apart from another with the
// same id: id, name, parent, times and status. A copy of a span (the same
// file twice, or an MLflow file and its OTLP conversion) hashes the same.
func spanFingerprint(s spanjson.Span) uint64 {
	var h maphash.Hash
	h.SetSeed(fingerprintSeed)
	id, parent := s.SpanID(), s.ParentID()
	var b [8 * 3]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(s.StartTime()))
	binary.LittleEndian.PutUint64(b[8:], uint64(s.EndTime()))
	binary.LittleEndian.PutUint64(b[16:], uint64(s.Status().Code))
	h.Write(id[:])
	h.Write(parent[:])
	h.Write(b[:])
	h.WriteString(s.Name())
	h.WriteByte(0)
	h.WriteString(s.Status().Message)
	return h.Sum64()
}

// infoFromSpans derives the info of a trace whose info was derived from
// spans again from every span of the assembled trace (the one rule,
// spanjson.DeriveInfo), whatever order its documents came in; the members
// its first document kept for a same-schema write stay.
func infoFromSpans(in spanjson.TraceInfo, spans []spanjson.Span, schema spanjson.Schema) spanjson.TraceInfo {
	d := spanjson.DeriveInfo(spans, schema)
	d.Extra = in.Extra
	return d
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
	if errors.As(err, &se) {
		if looksBinary(se.LineText) {
			return &hintError{err: err, hint: "the input looks binary, not JSON text: is it compressed or the wrong file?"}
		}
		return err
	}
	if strings.HasPrefix(err.Error(), name+":") {
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
	var views []*render.TraceView
	err := streamArgs(ctx, streams, args, func(v *render.TraceView) error {
		views = append(views, v)
		return nil
	})
	return views, err
}

// streamArgs hands each trace named by a read command's arguments to emit
// as soon as it is complete (see streamTraces), so a command that lets each
// trace go after emit holds only the traces still being read.
func streamArgs(ctx context.Context, streams *render.IOStreams, args []string, emit func(*render.TraceView) error) error {
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
	tuneGCForLoad(ins, streams.In)
	w := &warner{streams: streams}
	defer w.finish()
	n := 0
	return streamTraces(ctx, ins, w.warn, func(v *render.TraceView) error {
		if n++; n == 2 {
			// Traces are streamed, not loaded whole: the collector's usual
			// pacing keeps memory at a trace's worth (see tuneGCForLoad).
			restoreGC()
		}
		return emit(v)
	})
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
