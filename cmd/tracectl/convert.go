package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// convertOptions are the flags and arguments of `tracectl convert`.
type convertOptions struct {
	Schema string
	Output string
	Dir    string
	Strict bool
	Inputs []string

	streams *render.IOStreams

	// Seams for tests; nil means the real spanjson codecs.
	newDecoder func(r io.Reader, name string) documentDecoder
	writeTrace func(w io.Writer, schema spanjson.Schema, t *spanjson.Trace) ([]spanjson.Loss, error)
	// stats, when set, receives what the run held in memory at most.
	stats *convertStats
}

// documentDecoder is what convert needs of spanjson.Decoder.
type documentDecoder interface {
	Next() (*spanjson.Document, error)
}

// convertStats is what a run held at most at one time; the streaming
// test asserts on it.
type convertStats struct {
	MaxHeldTraces int // traces decoded but not yet written
	Traces        int // traces written
	Lossy         int // traces that lost something
}

// convertSchemas maps --schema values to writers.
var convertSchemas = map[string]spanjson.Schema{
	"v2": spanjson.SchemaMLflowV2, "mlflow-v2": spanjson.SchemaMLflowV2,
	"v3": spanjson.SchemaMLflowV3, "mlflow-v3": spanjson.SchemaMLflowV3,
	"otlp": spanjson.SchemaOTLP,
}

// newConvertCmd is the name root.go wires in.
func newConvertCmd(streams *render.IOStreams) *cobra.Command { return NewConvertCmd(streams) }

// NewConvertCmd builds `tracectl convert`.
func NewConvertCmd(streams *render.IOStreams) *cobra.Command {
	opts := &convertOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "convert --schema v2|v3|otlp [-o FILE | --dir DIR] [--strict] [INPUT|-]...",
		Short: "Convert traces between MLflow v2, MLflow v3 and OTLP JSON",
		Long: `Convert traces to MLflow 2 (v2), MLflow 3 (v3) or OTLP JSON (otlp).

Inputs are files, "-" for stdin, or nothing (stdin); every schema tracectl
reads is accepted, mixed in one run. Each trace is written as one line of
compact JSON: one trace gives one JSON document, several give JSON Lines.
With --dir each trace goes to its own file DIR/<trace id>.json instead; an id
with characters other than A-Z a-z 0-9 . _ - (such as "<redacted>") has them
replaced by "_" and gets a short hash of the id appended, and a repeated id
gets "-2", "-3"...

Converting to the schema a trace already has keeps it as it was, unknown
fields included. What the target schema cannot carry is listed on stderr,
per trace: "tracectl: warning: trace ID: dropped FIELD (N)". With --strict
any such loss is an error (exit 1) and nothing is written.

OTLP has no trace-level record: trace info (tags, metadata, previews, and a
trace state that the spans do not show, such as ERROR with every span OK) is
rebuilt from the spans when read back, so what differs is reported as lost.

Streaming: the input is converted one JSON document at a time, so memory
follows the largest trace, not the input size. OTLP JSON Lines (the
collector's file exporter) may spread one trace over several lines:
consecutive documents holding the same trace are merged into one output
trace; a trace that comes back after other traces were written is written
again as a separate record.

-o FILE and --dir are all-or-nothing: output goes to temporary files next to
the target and is renamed into place only when every input converted; after
any error nothing is written and an existing file is left untouched. On
stdout traces are printed as they are converted, so a bad input found later
ends the stream with an error; with --strict the stdout output is held in a
temporary file (in $TMPDIR, not in memory) and printed only at the end.`,
		DisableFlagsInUseLine: true,
		Example: `  tracectl convert --schema v2 new.json > old.json
  tracectl convert --schema otlp -o traces.jsonl dump/*.json
  tracectl convert --schema v3 --dir out/ otel.jsonl
  cat trace.json | tracectl convert --schema otlp --strict`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			return runConvert(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Schema, "schema", "", "target `SCHEMA`: v2, v3 or otlp (required)")
	f.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` (atomically) instead of stdout")
	f.StringVar(&opts.Dir, "dir", "", "write one file per trace into `DIR`, named from the trace id")
	f.BoolVar(&opts.Strict, "strict", false, "fail (exit 1, nothing written) if any trace would lose data")
	_ = cmd.RegisterFlagCompletionFunc("schema", cobra.FixedCompletions([]string{"v2", "v3", "otlp"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	return cmd
}

func runConvert(ctx context.Context, opts *convertOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Schema == "" {
		return &hintError{usageErrorf("convert needs --schema"), "add --schema v2, --schema v3 or --schema otlp"}
	}
	schema, ok := convertSchemas[strings.ToLower(opts.Schema)]
	if !ok {
		return usageErrorf("invalid --schema %q: want v2, v3 or otlp", opts.Schema)
	}
	if opts.Output != "" && opts.Dir != "" {
		return usageErrorf("-o and --dir cannot be used together")
	}
	inputs := opts.Inputs
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	if n := countStdin(inputs); n > 1 {
		return usageErrorf(`stdin ("-") can be read only once, got it %d times`, n)
	}
	// Find missing or unreadable files before any output exists.
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if err := checkReadable(in); err != nil {
			return err
		}
	}

	sink, err := openConvertSink(opts)
	if err != nil {
		return err
	}
	c := &converter{
		schema:     schema,
		strict:     opts.Strict,
		errOut:     opts.streams.ErrOut,
		sink:       sink,
		writeTrace: opts.writeTrace,
		stats:      opts.stats,
	}
	if c.writeTrace == nil {
		c.writeTrace = spanjson.WriteTrace
	}
	if c.stats == nil {
		c.stats = &convertStats{}
	}
	newDecoder := opts.newDecoder
	if newDecoder == nil {
		newDecoder = func(r io.Reader, name string) documentDecoder { return spanjson.NewDecoder(r, name) }
	}

	for _, in := range inputs {
		if err := c.convertInput(ctx, in, opts.streams.In, newDecoder); err != nil {
			sink.Abort()
			if ctx.Err() != nil {
				if _, streaming := sink.(*streamSink); streaming {
					return errors.New("interrupted")
				}
				return errors.New("interrupted; nothing written to " + outputName(opts))
			}
			return err
		}
	}
	if c.strict && c.stats.Lossy > 0 {
		sink.Abort()
		return &hintError{
			fmt.Errorf("--strict: %d of %d traces cannot be written as %s without loss; nothing written", c.stats.Lossy, c.stats.Traces, schema),
			"the warnings above name what would be dropped; drop --strict to convert anyway",
		}
	}
	if err := sink.Commit(); err != nil {
		return fmt.Errorf("cannot write %s: %w", outputName(opts), err)
	}
	return nil
}

func countStdin(inputs []string) int {
	n := 0
	for _, in := range inputs {
		if in == "-" {
			n++
		}
	}
	return n
}

// checkReadable fails the way the read commands do for a file that cannot
// be read.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &hintError{fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err)), "check the file name; use - to read standard input"}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	if fi.IsDir() {
		return fmt.Errorf("cannot read %s: is a directory", path)
	}
	return nil
}

func outputName(opts *convertOptions) string {
	switch {
	case opts.Dir != "":
		return opts.Dir
	case opts.Output != "" && opts.Output != "-":
		return opts.Output
	}
	return "stdout"
}

func openConvertSink(opts *convertOptions) (traceSink, error) {
	switch {
	case opts.Dir != "":
		return newDirSink(opts.Dir)
	case opts.Output != "" && opts.Output != "-":
		return newFileSink(opts.Output)
	case opts.Strict:
		return newSpoolSink(opts.streams.Out)
	}
	return newStreamSink(opts.streams.Out), nil
}

// converter turns documents into written traces, holding at most the
// traces of one document plus those continued into it.
type converter struct {
	schema     spanjson.Schema
	strict     bool
	errOut     io.Writer
	sink       traceSink
	writeTrace func(io.Writer, spanjson.Schema, *spanjson.Trace) ([]spanjson.Loss, error)
	stats      *convertStats
}

// heldTrace is a decoded trace waiting to be written: OTLP traces wait one
// document in case the next document continues them.
type heldTrace struct {
	t     spanjson.Trace
	key   string
	where string // FILE:LINE of the first document holding it
}

func (c *converter) convertInput(ctx context.Context, name string, stdin io.Reader, newDecoder func(io.Reader, string) documentDecoder) error {
	r := io.Reader(&stdinReader{ctx: ctx, r: stdin})
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = &ctxReader{ctx: ctx, r: f}
	}
	display := name
	if name == "-" {
		display = "<stdin>"
	}
	dec := newDecoder(r, name)
	var pending []heldTrace
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		where := fmt.Sprintf("%s:%d", display, doc.Line)
		for _, w := range doc.Warnings {
			if w.Where == "" {
				w.Where = where
			}
			fmt.Fprintf(c.errOut, "tracectl: warning: %s\n", w)
		}
		if pending, err = c.takeDocument(pending, doc, where); err != nil {
			return err
		}
	}
	return c.flush(pending)
}

// takeDocument writes what doc completes and returns what must wait. MLflow
// documents hold whole traces and are written at once. An OTLP document's
// traces wait for the next document: a held trace that the next document
// continues is merged into it, the others are written.
func (c *converter) takeDocument(pending []heldTrace, doc *spanjson.Document, where string) ([]heldTrace, error) {
	if doc.Schema != spanjson.SchemaOTLP {
		if err := c.flush(pending); err != nil {
			return nil, err
		}
		c.hold(len(doc.Traces))
		for i := range doc.Traces {
			h := heldTrace{t: doc.Traces[i], where: where}
			doc.Traces[i] = spanjson.Trace{} // let it go once written
			if err := c.write(&h); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	next := make([]heldTrace, len(doc.Traces))
	index := make(map[string]int, len(doc.Traces))
	for i := range doc.Traces {
		next[i] = heldTrace{t: doc.Traces[i], key: traceKey(&doc.Traces[i]), where: where}
		doc.Traces[i] = spanjson.Trace{}
		if _, dup := index[next[i].key]; !dup {
			index[next[i].key] = i
		}
	}
	c.hold(len(pending) + len(next))
	for i := range pending {
		j, ok := index[pending[i].key]
		if !ok {
			if err := c.write(&pending[i]); err != nil {
				return nil, err
			}
			continue
		}
		next[j] = mergeHeld(pending[i], next[j])
	}
	return next, nil
}

func (c *converter) hold(n int) {
	c.stats.MaxHeldTraces = max(c.stats.MaxHeldTraces, n)
}

func (c *converter) flush(pending []heldTrace) error {
	for i := range pending {
		if err := c.write(&pending[i]); err != nil {
			return err
		}
	}
	return nil
}

// write streams one trace to the sink and reports what it lost. After a
// --strict loss nothing will be committed, so later traces are only
// checked, not written.
func (c *converter) write(h *heldTrace) error {
	id := traceLabel(&h.t)
	var w io.Writer = io.Discard
	sinking := !c.strict || c.stats.Lossy == 0
	if sinking {
		// --dir names the file after the id the written trace has (v2 ->
		// v3 gives a tr- id), which a reader of the file will show.
		name := spanjson.WrittenTraceID(c.schema, &h.t)
		if name == "" {
			name = id
		}
		var err error
		if w, err = c.sink.Begin(name); err != nil {
			return err
		}
	}
	losses, err := c.writeTrace(w, c.schema, &h.t)
	h.t = spanjson.Trace{}
	if err == nil && sinking {
		err = c.sink.End()
	}
	if err != nil {
		return fmt.Errorf("%s: trace %s: cannot write as %s: %w", h.where, id, c.schema, err)
	}
	c.stats.Traces++
	for _, l := range losses {
		fmt.Fprintf(c.errOut, "tracectl: warning: trace %s: dropped %s (%d)\n", id, l.Field, l.Count)
	}
	if len(losses) > 0 {
		c.stats.Lossy++
	}
	return nil
}

// traceKey says which trace a decoded trace is, to merge OTLP documents.
func traceKey(t *spanjson.Trace) string {
	if t.Info.TraceID != "" {
		return t.Info.TraceID
	}
	if len(t.Spans) > 0 {
		return t.Spans[0].TraceID().MLflowID()
	}
	return ""
}

// traceLabel names a trace in messages and file names.
func traceLabel(t *spanjson.Trace) string {
	if k := traceKey(t); k != "" {
		return k
	}
	return "(no id)"
}

// mergeHeld joins two parts of one OTLP trace from consecutive documents:
// the spans in input order, and the trace info of the part holding the
// trace's root span, with fields it lacks filled from the other part. The
// OTLP reader derives the info from the root span (the earliest parentless
// span, else the earliest span), so this is the info of the whole trace.
func mergeHeld(earlier, later heldTrace) heldTrace {
	spans := make([]spanjson.Span, 0, len(earlier.t.Spans)+len(later.t.Spans))
	spans = append(append(spans, earlier.t.Spans...), later.t.Spans...)
	primary, other := earlier.t.Info, later.t.Info
	if rootBefore(rootCandidate(later.t.Spans), rootCandidate(earlier.t.Spans)) {
		primary, other = other, primary
	}
	return heldTrace{
		t:     spanjson.Trace{Info: mergeInfo(primary, other), Spans: spans},
		key:   earlier.key,
		where: earlier.where,
	}
}

// rootCandidate is the span a part's trace info was derived from: its
// earliest parentless span, else its earliest span (zero if none).
func rootCandidate(spans []spanjson.Span) spanjson.Span {
	var best spanjson.Span
	for _, s := range spans {
		if rootBefore(s, best) {
			best = s
		}
	}
	return best
}

// rootBefore orders root candidates: any span before none, parentless
// before parented, then by start time and span id.
func rootBefore(a, b spanjson.Span) bool {
	switch {
	case a.IsZero() || b.IsZero():
		return !a.IsZero()
	case a.IsRoot() != b.IsRoot():
		return a.IsRoot()
	case a.StartTime() != b.StartTime():
		return a.StartTime() < b.StartTime()
	}
	as, bs := a.SpanID(), b.SpanID()
	return bytes.Compare(as[:], bs[:]) < 0
}

// mergeInfo fills the zero fields of a from b; maps are united with a
// winning on equal keys. The request time is the earlier of the two.
func mergeInfo(a, b spanjson.TraceInfo) spanjson.TraceInfo {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&a.TraceID, b.TraceID)
	fill(&a.ClientRequestID, b.ClientRequestID)
	fill(&a.ExperimentID, b.ExperimentID)
	fill(&a.LocationType, b.LocationType)
	fill(&a.RequestPreview, b.RequestPreview)
	fill(&a.ResponsePreview, b.ResponsePreview)
	if a.Location == nil {
		a.Location = b.Location
	}
	if a.RequestTime.IsZero() || (!b.RequestTime.IsZero() && b.RequestTime.Before(a.RequestTime)) {
		a.RequestTime = b.RequestTime
	}
	if !a.HasDuration && b.HasDuration {
		a.ExecutionDuration, a.HasDuration = b.ExecutionDuration, true
	}
	if a.State == spanjson.StateUnspecified || a.State == "" {
		a.State = b.State
	}
	a.Metadata = unionMap(a.Metadata, b.Metadata)
	a.RawMetadata = unionMap(a.RawMetadata, b.RawMetadata)
	a.Tags = unionMap(a.Tags, b.Tags)
	a.Assessments = append(slices.Clip(a.Assessments), b.Assessments...)
	if a.Extra.Schema == "" {
		a.Extra.Schema = b.Extra.Schema
	}
	a.Extra.Fields = append(slices.Clip(a.Extra.Fields), b.Extra.Fields...)
	return a
}

func unionMap[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]V, len(a)+len(b))
	for k, v := range b {
		out[k] = v
	}
	for k, v := range a {
		out[k] = v
	}
	return out
}

// ctxReader stops reading a file once ctx is done (Ctrl-C), so a long
// document does not delay the cleanup of partial output.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// stdinReader reads stdin in a goroutine so that Ctrl-C ends a read that
// waits for a slow producer; the blocked read is abandoned with the process.
type stdinReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
	res chan readResult
}

type readResult struct {
	n   int
	err error
}

func (s *stdinReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.res == nil {
		s.res = make(chan readResult, 1)
	}
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	buf := s.buf[:len(p)]
	go func() {
		n, err := s.r.Read(buf)
		s.res <- readResult{n, err}
	}()
	select {
	case r := <-s.res:
		return copy(p, buf[:r.n]), r.err
	case <-s.ctx.Done():
		s.buf = nil // the abandoned read still owns buf
		return 0, s.ctx.Err()
	}
}
