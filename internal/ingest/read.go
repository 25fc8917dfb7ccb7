package ingest

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"tracectl/internal/manager"
	"tracectl/internal/spanjson"
)

// Trace is a whole trace handed on by Read.
type Trace struct {
	*spanjson.Trace
	Source  string // the input it was first seen in
	Line    int    // the line of the document it was first seen in
	Schema  spanjson.Schema
	Shape   string
	Prompts []spanjson.PromptVersion
	Tree    *spanjson.Tree // the span tree, when Options.Tree
	// Ahead is what Options.Ahead made from the trace while it was being
	// read (big traces only); nil when it did not run or its tree was not
	// the one handed on.
	Ahead any
}

// Options tune Read.
type Options struct {
	// Warn receives decode and tree warnings; they never stop reading.
	Warn func(spanjson.Warning)
	// Error receives each input that cannot be read (missing, not JSON,
	// bad JSON part-way): the traces it completed are handed on, the rest
	// of it is skipped, and reading goes on with the next input; Read then
	// returns a *FailedInputs. Without Error the first such error ends Read.
	Error func(error)
	// Tree builds each trace's span tree (Trace.Tree) and reports its
	// repairs to Warn.
	Tree bool
	// Ahead, with Tree, is called on another goroutine for a big trace
	// that is complete at its document, while its spans go through the
	// manager: t has Source, Schema, Shape and Tree set, and t.Trace
	// points at the value that is filled in just before t is handed on.
	Ahead func(t *Trace) any
	// AheadMinSpans is the size from which a trace complete at its
	// document is built ahead; 0 means 1<<14 (on two cores that hides most
	// of the tree building of a million-span trace).
	AheadMinSpans int
	// NewDecoder makes the document decoder of an input (tests); nil means
	// spanjson.NewDecoder with Workers.
	NewDecoder func(r io.Reader, name string) Decoder
	// Workers is how many documents of an input are decoded at once, on
	// as many goroutines (spanjson.Decoder.SetWorkers); what is handed on
	// is the same whatever their number. 0 means runtime.GOMAXPROCS(0).
	// A stream (a pipe) is decoded on one: nothing is read ahead of it.
	Workers int
	// LazyAttributes keeps MLflow attribute maps as text until they are
	// read (spanjson.Decoder.SetLazyAttributes): for readers that seldom
	// read attributes. The traces handed on are the same.
	LazyAttributes bool
	// LazyValues keeps MLflow spans' inputs and outputs escaped until they
	// are read (spanjson.Decoder.SetLazyValues): for readers that read a
	// few other attributes of each span. The traces handed on are the same.
	LazyValues bool
	// Idle is how long a trace without MLflow info whose root span has
	// arrived waits for more spans on a stream (a pipe) before it is handed
	// on; 0 means DefaultIdle, a negative value the end of the input.
	Idle time.Duration

	plainDecoder bool // NewDecoder is spanjson's (set by Read)
}

// decoder makes spanjson's decoder of an input as the options say.
func (o Options) decoder(r io.Reader, name string) *spanjson.Decoder {
	return o.setUp(spanjson.NewDecoder(r, name))
}

// setUp sets d up as the options say.
func (o Options) setUp(d *spanjson.Decoder) *spanjson.Decoder {
	if o.LazyAttributes {
		d.SetLazyAttributes()
	}
	if o.LazyValues {
		d.SetLazyValues()
	}
	return d
}

// decoderBytes is decoder over all of an input read beforehand.
func (o Options) decoderBytes(data []byte, name string) *spanjson.Decoder {
	return o.setUp(spanjson.NewDecoderBytes(data, name))
}

// Decoder is what Read needs of spanjson.Decoder.
type Decoder interface {
	Next() (*spanjson.Document, error)
}

// DefaultIdle is the default Options.Idle.
const DefaultIdle = 2 * time.Second

// FailedInputs is what Read returns when Options.Error was given inputs.
type FailedInputs struct{ N int }

func (e *FailedInputs) Error() string {
	if e.N == 1 {
		return "1 input could not be read"
	}
	return fmt.Sprintf("%d inputs could not be read", e.N)
}

// Read reads every input and hands each trace to emit once, whole, when it
// is complete (the one completion policy):
//   - a trace read with its MLflow info is complete at its document;
//   - a trace whose info is derived from its spans (OTLP, a TraceData, a
//     bare span list) may go on in later documents and inputs: it is
//     complete at the end of the last input, or, on a stream, once its
//     root span has arrived and no span came for it for Options.Idle.
//
// Spans of one trace are assembled in a trace manager; a span given again
// with the same content is dropped (see dedupe.go). From files, traces are
// handed on in the order they were first seen; from a stream, as soon as
// they are complete.
func Read(ctx context.Context, inputs []Input, opts Options, emit func(*Trace) error) error {
	if opts.Warn == nil {
		opts.Warn = func(spanjson.Warning) {}
	}
	if opts.Idle == 0 {
		opts.Idle = DefaultIdle
	}
	if opts.AheadMinSpans == 0 {
		opts.AheadMinSpans = 1 << 14
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.NewDecoder == nil {
		opts.plainDecoder = true
		opts.NewDecoder = func(r io.Reader, name string) Decoder {
			d := opts.decoder(r, name)
			d.SetWorkers(opts.Workers)
			return d
		}
	}
	a := newAssembler(opts, emit)
	defer a.close()
	pre := startDecodingAhead(ctx, inputs, opts)
	defer pre.close()
	failed := 0
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := a.readInput(ctx, in, i == len(inputs)-1, pre.take(i))
		if err == nil {
			continue
		}
		if ctx.Err() != nil || opts.Error == nil || a.emitErr != nil {
			return err
		}
		failed++
		opts.Error(err)
	}
	if err := a.finish(); err != nil {
		return err
	}
	if failed > 0 {
		return &FailedInputs{N: failed}
	}
	return nil
}

// readInput reads one input's documents into the assembler. An error ends
// the input; what it completed before has been handed on. last says no
// input comes after it.
func (a *assembler) readInput(ctx context.Context, in Input, last bool, ahead *decodedInput) error {
	var dec Decoder
	if ahead != nil {
		<-ahead.done
		if ahead.openErr != nil {
			return ahead.openErr
		}
		dec = &sliceDecoder{docs: ahead.docs, err: ahead.err}
		ahead.docs = nil
	} else if d := a.mappedDecoder(ctx, in); d != nil {
		dec = d
		defer func() { closeDecoder(dec) }()
	} else {
		rc, err := in.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		// Ctrl-C ends a read that waits, also the first one (the sniff).
		var r io.Reader = &ctxReader{ctx: ctx, r: rc}
		stream := in.IsStream()
		if stream {
			r = &ctxStreamReader{ctx: ctx, r: rc}
		}
		size, _ := in.Size()
		r, err = sniff(r, in.Name, size)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if stream && a.opts.plainDecoder {
			// A stream is decoded as it comes, with no read-ahead: a trace
			// goes on before the producer has written the next ones.
			dec = spanjson.NewDecoder(r, in.Name)
		} else {
			dec = a.opts.NewDecoder(r, in.Name)
		}
		defer func() { closeDecoder(dec) }() // its workers, when it ends early
		if stream && a.opts.Idle > 0 {
			return a.readStream(ctx, in.Name, dec)
		}
	}
	doc, err := dec.Next()
	for {
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return decodeError(in.Name, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Read one document ahead: when doc was the input's last (a single
		// big trace), the decoder and its document-sized buffer become
		// garbage before doc's spans are copied into the manager.
		next, nextErr := dec.Next()
		if nextErr == io.EOF {
			closeDecoder(dec)
			dec = nil
			// Nothing can repeat what this document completes: no record of
			// it is needed (a million-span trace's would cost a sort).
			a.final = last
		}
		if err := a.document(in.Name, doc); err != nil {
			return err
		}
		doc = nil
		if err := a.flush(true); err != nil {
			return err
		}
		doc, err = next, nextErr
	}
}

// mapMin is the least size of a file Read maps instead of reading it:
// below it a read is as cheap, and a mapping's pages stay counted in the
// process's memory until the decoder has passed them by a margin.
const mapMin = 4 << 20

// mappedDecoder is the decoder of a big uncompressed regular file mapped
// into memory (mapFile), nil when in is not one. Its reads are views of
// the mapping, not copies into read buffers that the collector then
// clears and collects: status over a 538 MB dump of 20,000 traces went
// from 1.28 to 1.12 s (median of 6 alternated runs), roots from 1.45 to
// 1.16 s; show of one 600 MB trace took the same time. A progress
// counter is told of each read as a reader's would be, and Ctrl-C ends
// the input at the next read.
func (a *assembler) mappedDecoder(ctx context.Context, in Input) *spanjson.Decoder {
	if !a.opts.plainDecoder || in.Path == "" || in.IsStream() {
		return nil
	}
	if size, _ := in.Size(); size < mapMin {
		return nil
	}
	data, ok := mapFile(in.Path)
	if !ok {
		return nil
	}
	if compressionOf(data[:4]) != Uncompressed {
		unmapFile(data)
		return nil // read the usual way: sniff decompresses it
	}
	took := func(n int) error {
		if in.Counter != nil {
			in.Counter.Add(int64(n))
		}
		return ctx.Err()
	}
	d := a.opts.setUp(spanjson.NewDecoderMapped(spanjson.Mapped{Data: data, Took: took, Release: releaseMapped}, in.Name))
	d.SetWorkers(a.opts.Workers)
	return d
}

// closeDecoder stops the workers of a decoder that has them.
func closeDecoder(dec Decoder) {
	if c, ok := dec.(interface{ Close() }); ok {
		c.Close()
	}
}

// readStream reads a stream's documents on another goroutine, so that a
// trace goes on as soon as it is complete, also while the next document
// has not come (no read-ahead), and traces whose root arrived are handed on
// when they have been idle for Options.Idle.
func (a *assembler) readStream(ctx context.Context, name string, dec Decoder) error {
	type result struct {
		doc *spanjson.Document
		err error
	}
	docs := make(chan result)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			doc, err := dec.Next()
			select {
			case docs <- result{doc, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(max(a.opts.Idle/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if err := a.takeIdle(time.Now()); err != nil {
				return err
			}
		case r := <-docs:
			if r.err == io.EOF {
				return nil
			}
			if r.err != nil {
				return decodeError(name, r.err)
			}
			if err := a.document(name, r.doc); err != nil {
				return err
			}
			if err := a.flush(false); err != nil {
				return err
			}
		}
	}
}

// pendingTrace is a trace seen in the inputs and not yet handed on: where
// it was first seen, its info, and where its spans are. A trace read from a
// document with real MLflow info is complete at that document: it is taken
// back from the manager at once (trace). A trace whose info was derived
// from its spans may go on in later documents: the manager holds it
// (inManager) until it is complete.
type pendingTrace struct {
	otelID    spanjson.TraceID
	source    string
	line      int
	schema    spanjson.Schema
	shape     string
	traceID   string              // the MLflow id, for messages
	mgrID     string              // the id the manager holds it under
	info      *spanjson.TraceInfo // nil once handed on
	realInfo  bool                // info read from an MLflow document, not derived from spans
	inManager bool
	hasRoot   bool      // a parentless span has arrived (derived traces)
	last      time.Time // when its last span arrived (derived traces)
	trace     *spanjson.Trace
	prompts   []spanjson.PromptVersion
	// extra holds spans whose id the trace already had (the manager keeps
	// the first of each id): see dedupe.go.
	extra []spanjson.Span
	ahead *ahead // a tree built ahead, nil for small traces
}

// handed is what stays of a complete trace: what tells later copies of its
// spans (the same file twice, a file and its conversion, a client's retry),
// kept small since every trace leaves one.
type handed struct {
	traceID string
	prints  []uint64 // the fingerprints of its spans, sorted
	noted   bool     // a repeat of this trace was reported
	derived bool     // it had no MLflow info
}

// ahead is the tree (and what Options.Ahead makes of it) of a trace built,
// concurrently with its registration, from the spans of the document it
// came in. They are used only if the trace handed on has exactly those
// spans (the manager hands back the same immutable spans when nothing
// changed them); otherwise the tree is built again.
type ahead struct {
	spans    []spanjson.Span // what the tree is built from
	done     chan struct{}   // closed when tree, warnings and made are set
	t        Trace           // its Trace is filled in at the hand-on
	warnings []spanjson.Warning
	made     any
}

func (a *assembler) buildAhead(p *pendingTrace, spans []spanjson.Span) *ahead {
	s := &ahead{spans: slices.Clone(spans), done: make(chan struct{})}
	s.t = Trace{Trace: new(spanjson.Trace), Source: p.source, Line: p.line, Schema: p.schema, Shape: p.shape}
	go func() {
		defer close(s.done)
		s.t.Tree, s.warnings = spanjson.BuildTree(s.spans)
		if a.opts.Ahead != nil {
			s.made = a.opts.Ahead(&s.t)
		}
	}()
	return s
}

// use returns the trace built ahead when it was built from t's spans.
func (s *ahead) use(t *spanjson.Trace) (*Trace, []spanjson.Warning, bool) {
	<-s.done
	if !slices.Equal(s.spans, t.Spans) {
		return nil, nil, false
	}
	*s.t.Trace = *t
	s.t.Ahead = s.made
	return &s.t, s.warnings, true
}

// assembler turns documents into whole traces through a trace manager.
type assembler struct {
	opts     Options
	emit     func(*Trace) error
	emitErr  error // emit failed: nothing more is handed on
	mgr      *manager.Manager
	expired  []*manager.ManagerTrace
	order    []*pendingTrace // not yet handed on, in order of first sight
	byOTel   map[spanjson.TraceID]*pendingTrace
	byMLflow map[string]*pendingTrace // traces with real info by MLflow trace id
	// the traces handed on, likewise
	doneOTel   map[spanjson.TraceID]*handed
	doneMLflow map[string]*handed
	final      bool // the document being read is the last of all inputs
}

func newAssembler(opts Options, emit func(*Trace) error) *assembler {
	a := &assembler{opts: opts, emit: emit,
		byOTel: map[spanjson.TraceID]*pendingTrace{}, byMLflow: map[string]*pendingTrace{},
		doneOTel: map[spanjson.TraceID]*handed{}, doneMLflow: map[string]*handed{}}
	a.mgr = manager.New(manager.Config{
		TTL:           10 * 365 * 24 * time.Hour, // traces leave by PopTrace, not by age
		CheckInterval: time.Hour,
		MaxSize:       math.MaxInt32,
		OnExpire:      func(t *manager.ManagerTrace) { a.expired = append(a.expired, t) },
	})
	return a
}

// close stops the manager and waits for trees built ahead: no goroutine
// outlives a Read.
func (a *assembler) close() {
	a.mgr.Close()
	for _, p := range a.order {
		if p.ahead != nil {
			<-p.ahead.done
		}
	}
}

// finish hands on every trace still held, in order of first sight.
func (a *assembler) finish() error {
	for _, p := range a.order {
		if p.inManager {
			a.take(p)
		}
	}
	return a.flush(true)
}

// takeIdle takes from the manager the derived traces whose root arrived
// and that got no span for Options.Idle, and hands them on.
func (a *assembler) takeIdle(now time.Time) error {
	took := false
	for _, p := range a.order {
		if p.inManager && !p.realInfo && p.hasRoot && now.Sub(p.last) >= a.opts.Idle {
			a.complete(p)
			took = true
		}
	}
	if !took {
		return nil
	}
	return a.flush(false)
}

// take moves p's trace out of the manager.
func (a *assembler) take(p *pendingTrace) {
	t := spanjson.Trace{Info: *p.info}
	mt := a.mgr.PopTrace(p.otelID)
	if mt == nil {
		mt = takeExpired(&a.expired, p.mgrID)
	}
	if mt != nil {
		t, p.prompts = mt.Trace, mt.Prompts
		// The info is the one read (the manager's previews from the root
		// span are not in the input: a same-schema write gives the input
		// back); a derived info is derived again at the hand-on.
		t.Info = *p.info
	}
	p.inManager = false
	p.trace = &t
}

// complete takes p out of the manager before the end of the input (an
// MLflow trace at its document, a trace idle on a stream) and records that
// it is complete: later documents with its ids do not join it; their spans
// that are copies of its spans are dropped, the others are another trace.
func (a *assembler) complete(p *pendingTrace) {
	if p.inManager {
		a.take(p)
	}
	if a.final {
		return
	}
	// The id is copied: the decoder's string may share a block with the
	// rest of the trace's text, which must not stay alive for it.
	h := &handed{traceID: strings.Clone(p.traceID), prints: fingerprints(p.trace.Spans, p.extra), derived: !p.realInfo}
	if a.byOTel[p.otelID] == p {
		delete(a.byOTel, p.otelID)
		a.doneOTel[p.otelID] = h
	}
	if a.byMLflow[p.traceID] == p {
		delete(a.byMLflow, p.traceID)
		a.doneMLflow[h.traceID] = h
	}
}

// flush hands on the complete traces: with ordered, those at the head of
// the order (files keep the order traces were first seen in); else every
// complete one (a stream hands each on as soon as it is complete).
func (a *assembler) flush(ordered bool) error {
	kept := a.order[:0]
	for i, p := range a.order {
		if p.inManager {
			if ordered {
				kept = append(kept, a.order[i:]...)
				break
			}
			kept = append(kept, p)
			continue
		}
		if err := a.hand(p); err != nil {
			a.emitErr = err
			return err
		}
	}
	clear(a.order[len(kept):])
	a.order = kept
	if len(a.order) == 0 {
		a.order = nil // let a grown backing array go
	}
	return nil
}

// hand hands p's trace on: copies dropped, derived info derived again from
// the whole trace, the tree built (or taken from ahead).
func (a *assembler) hand(p *pendingTrace) error {
	t := p.trace
	p.trace, p.info = nil, nil
	t.Spans = dropCopies(append(t.Spans, p.extra...), len(t.Spans))
	p.extra = nil
	if !p.realInfo {
		t.Info = infoFromSpans(t.Info, t.Spans, p.schema)
	}
	var out *Trace
	var warnings []spanjson.Warning
	if p.ahead != nil {
		out, warnings, _ = p.ahead.use(t)
		p.ahead = nil
	}
	if out == nil {
		out = &Trace{Trace: t, Source: p.source, Line: p.line, Schema: p.schema, Shape: p.shape}
		if a.opts.Tree {
			out.Tree, warnings = spanjson.BuildTree(t.Spans)
		}
	}
	for _, w := range warnings {
		a.opts.Warn(w)
	}
	if a.opts.Tree {
		a.warnBackwards(t)
	}
	out.Prompts = p.prompts
	p.prompts = nil
	return a.emit(out)
}

// infoFromSpans derives the info of a trace whose info was derived from
// spans again from every span of the assembled trace (the one rule,
// spanjson.DeriveInfo), whatever order its documents came in; the members
// its first document kept for a same-schema write stay, and so does the
// metadata its reader put there (a Jaeger trace's warnings).
func infoFromSpans(in spanjson.TraceInfo, spans []spanjson.Span, schema spanjson.Schema) spanjson.TraceInfo {
	d := spanjson.DeriveInfo(spans, schema)
	d.Extra = in.Extra
	d.Metadata, d.RawMetadata = in.Metadata, in.RawMetadata
	return d
}

// warnBackwards warns once per trace about spans that end before they
// start (their duration shows as 0).
func (a *assembler) warnBackwards(t *spanjson.Trace) {
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
	a.opts.Warn(spanjson.Warning{Where: "trace " + t.Info.TraceID, Msg: msg})
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

// document feeds a document's traces and spans to the manager.
func (a *assembler) document(name string, doc *spanjson.Document) error {
	for _, w := range doc.Warnings {
		a.opts.Warn(w)
	}
	now := time.Now()
	for ti := range doc.Traces {
		t := &doc.Traces[ti]
		real := !t.Info.Derived
		otelID := otelTraceIDOf(t)
		var p *pendingTrace
		var done *handed
		if real {
			p = a.byMLflow[t.Info.TraceID]
			if q := a.byOTel[otelID]; p == nil && q != nil && !q.realInfo {
				p = q // the spans seen so far had no info: this is it
			}
			if p == nil {
				done = a.doneMLflow[t.Info.TraceID]
				if d := a.doneOTel[otelID]; done == nil && d != nil && d.derived {
					done = d // the trace was read without its info first
				}
			}
		} else if p = a.byOTel[otelID]; p == nil {
			done = a.doneOTel[otelID]
		}
		if done != nil {
			kept := done.notCopies(t.Spans)
			if len(kept) == 0 {
				if !done.noted {
					done.noted = true
					a.opts.Warn(spanjson.Warning{Where: name, Msg: fmt.Sprintf("trace %s was already read: this copy is dropped", done.traceID)})
				}
				continue
			}
			a.opts.Warn(spanjson.Warning{Where: name, Msg: fmt.Sprintf("trace %s goes on after it was complete: the rest is another trace", done.traceID)})
			t.Spans = kept
		}
		if p == nil {
			if err := a.newTrace(name, doc, t, otelID, real, now); err != nil {
				return err
			}
			continue
		}
		adopt := real && !p.realInfo
		if adopt {
			info := t.Info
			p.info, p.traceID, p.realInfo = &info, info.TraceID, true
			p.schema, p.shape = doc.Schema, doc.Shape
			a.byMLflow[t.Info.TraceID] = p
		}
		if err := a.addSpans(name, p, t, now); err != nil {
			return err
		}
		if adopt {
			a.complete(p) // the MLflow document holds the whole trace
		}
	}
	return nil
}

// newTrace starts a trace first seen in doc.
func (a *assembler) newTrace(name string, doc *spanjson.Document, t *spanjson.Trace, otelID spanjson.TraceID, real bool, now time.Time) error {
	info := t.Info
	p := &pendingTrace{otelID: otelID, source: name, line: doc.Line, schema: doc.Schema, shape: doc.Shape, info: &info, traceID: info.TraceID, mgrID: info.TraceID, realInfo: real}
	a.order = append(a.order, p)
	if real {
		a.byMLflow[t.Info.TraceID] = p
	}
	if q := a.byOTel[otelID]; q != nil && q.inManager {
		// Another MLflow trace with the same OpenTelemetry id is held: keep
		// this one apart from it, outside the manager.
		p.trace = &spanjson.Trace{Info: t.Info}
		if err := a.addSpans(name, p, t, now); err != nil {
			return err
		}
		if real {
			a.complete(p)
		}
		return nil
	}
	a.byOTel[otelID] = p
	reg := t.Info
	if !real {
		// Derived ids may repeat across OpenTelemetry traces (spans that
		// name one mlflow.traceRequestId): the manager holds a trace per
		// id, so a derived trace is held under its OpenTelemetry id; its
		// info is derived again at the hand-on.
		reg.TraceID = otelID.MLflowID()
		p.mgrID = reg.TraceID
	}
	a.mgr.RegisterTrace(otelID, reg)
	p.inManager = true
	if real && a.opts.Tree && len(t.Spans) >= a.opts.AheadMinSpans {
		p.ahead = a.buildAhead(p, t.Spans)
	}
	if err := a.addSpans(name, p, t, now); err != nil {
		return err
	}
	if real {
		a.complete(p) // complete at its document
	}
	return nil
}

// addSpans adds t's spans to p. The manager keeps the first span of each
// id; the spans that repeat an id are kept aside (extra) until the trace is
// handed on.
func (a *assembler) addSpans(name string, p *pendingTrace, t *spanjson.Trace, now time.Time) error {
	if !p.realInfo {
		p.last = now
		for _, s := range t.Spans {
			if s.IsRoot() {
				p.hasRoot = true
				break
			}
		}
	}
	if !p.inManager {
		p.extra = append(p.extra, t.Spans...)
		clear(t.Spans)
		return nil
	}
	repeated, err := a.mgr.AddSpans(t.Spans)
	if err != nil {
		return fmt.Errorf("%s: trace %s: %w", name, t.Info.TraceID, err)
	}
	p.extra = append(p.extra, repeated...)
	clear(t.Spans) // the manager holds them now
	return nil
}

// otelTraceIDOf is the OpenTelemetry id the trace's spans carry, else one
// derived from the info's trace id.
func otelTraceIDOf(t *spanjson.Trace) spanjson.TraceID {
	if len(t.Spans) > 0 {
		return t.Spans[0].TraceID()
	}
	if id, ok := spanjson.OTelIDOfMLflowID(t.Info.TraceID); ok || t.Info.TraceID == "" {
		return id
	}
	return spanjson.OpaqueTraceID(t.Info.TraceID)
}
