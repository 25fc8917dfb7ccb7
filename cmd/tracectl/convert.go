package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"tracectl/internal/ingest"
	"tracectl/internal/query"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// convertOptions are the flags and arguments of `tracectl convert`.
type convertOptions struct {
	Schema string
	Output string
	Dir    string
	Strict bool
	Where  string
	Inputs []string

	streams *render.IOStreams

	// Seams for tests; nil means the real spanjson codecs.
	newDecoder func(r io.Reader, name string) ingest.Decoder
	writeTrace func(w io.Writer, schema spanjson.Schema, t *spanjson.Trace) ([]spanjson.Loss, error)
	// stats, when set, receives what the run held in memory at most.
	stats *convertStats
}

// convertStats counts what a run wrote; tests assert on it.
type convertStats struct {
	Traces int // traces written
	Lossy  int // traces that lost something
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

Inputs are files, directories, "-" for stdin, or nothing (stdin), gzip or
zstd compressed or not; every schema tracectl reads is accepted, mixed in one run (Jaeger and Zipkin JSON too: they are
read only, written as one of these). Each trace is written as one line of
compact JSON: one trace gives one JSON document, several give JSON Lines.
With --dir each trace goes to its own file DIR/<trace id>.json instead; an id
with characters other than A-Z a-z 0-9 . _ - (such as "<redacted>") has them
replaced by "_" and gets a short hash of the id appended, and a repeated id
gets "-2", "-3"...

Converting to the schema a trace already has keeps it as it was, unknown
fields included. What the target schema cannot carry is listed on stderr,
per trace: "tracectl: warning: trace ID: dropped FIELD (N)", for the first
10 traces that lose something; the losses of the traces after them are
added up per field at the end ("N more traces: dropped FIELD (COUNT)").
With --strict any such loss is an error (exit 1) and nothing is written.

OTLP has no trace-level record: trace info (tags, metadata, previews, and a
trace state that the spans do not show, such as ERROR with every span OK) is
rebuilt from the spans when read back, so what differs is reported as lost.

Traces are assembled as every read command assembles them: a trace with
MLflow info is written as soon as its document is read, so memory follows
the largest trace on MLflow JSON Lines; the spans of a trace without info
(OTLP JSON Lines from the collector's file exporter, TraceData) may be
spread over several documents and inputs and are written as one trace at
the end of the input (on a pipe, once its root has arrived and nothing came
for it for 2 s). A span or trace given again with the same content (the
same file twice, a file and its conversion) is written once.

-o names a FILE, not a format (convert writes JSON): a format word such as
json, jsonl or yaml is refused; write -o ./json for a file named json.
-o FILE is all-or-nothing: output goes to a temporary file next to the
target and is renamed into place only when every input converted; after any
error nothing is written and an existing file is left untouched. On stdout
and into --dir every good trace is written: an input that cannot be read is
reported (with the spot in it) and the others go on, and the exit code is 1.
--dir writes into a temporary directory renamed into place at the end. With
--strict nothing is written unless every input converted without loss; the
stdout output is held in a temporary file (in $TMPDIR, not in memory) and printed only at the end.`,
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
	addWhereFlag(cmd, &opts.Where, "convert only the traces that match")
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
	if err := checkOutputFileName(opts.Output); err != nil {
		return err
	}
	where, err := parseWhere(opts.Where)
	if err != nil {
		return err
	}
	ins, err := inputsFrom(opts.Inputs, opts.streams.In)
	if err != nil {
		return err
	}
	if opts.Dir == "" && (opts.Output != "" && opts.Output != "-" || opts.Strict) {
		// All or nothing: a missing input is found before any output exists.
		for _, in := range ins {
			if in.Path == "" {
				continue
			}
			rc, err := in.Open()
			if err != nil {
				return err
			}
			rc.Close()
		}
	}
	sink, err := openConvertSink(opts)
	if err != nil {
		return err
	}
	c := &converter{
		schema:     schema,
		strict:     opts.Strict,
		streams:    opts.streams,
		sink:       sink,
		writeTrace: opts.writeTrace,
		stats:      opts.stats,
		where:      where,
	}
	if c.writeTrace == nil {
		c.writeTrace = spanjson.WriteTrace
	}
	if c.stats == nil {
		c.stats = &convertStats{}
	}
	w := &warner{streams: opts.streams}
	defer w.finish()
	ro := ingest.Options{Warn: w.warn, NewDecoder: opts.newDecoder, Workers: decodeWorkers}
	if _, atomic := sink.(*fileSink); !atomic && !opts.Strict {
		// On stdout and into --dir every good trace is written: an input
		// that cannot be read is reported and the others go on. -o FILE and
		// --strict write all or nothing.
		ro.Error = func(err error) { printError(opts.streams, err) }
	}
	stopProgress := startProgress(opts.streams, ins)
	err = ingest.Read(ctx, ins, ro, func(t *ingest.Trace) error { return c.write(t) })
	stopProgress()
	c.finishLosses()
	var failed *ingest.FailedInputs
	if err != nil && !errors.As(err, &failed) {
		sink.Abort()
		if ctx.Err() != nil {
			if _, streaming := sink.(*streamSink); streaming {
				return errors.New("interrupted")
			}
			return errors.New("interrupted; nothing written to " + outputName(opts))
		}
		return err
	}
	if c.strict && c.stats.Lossy > 0 {
		sink.Abort()
		return &hintError{
			fmt.Errorf("--strict: %d of %d traces cannot be written as %s without loss; nothing written", c.stats.Lossy, c.stats.Traces, schema),
			"the warnings above name what would be dropped; drop --strict to convert anyway",
		}
	}
	if cerr := sink.Commit(); cerr != nil {
		return fmt.Errorf("cannot write %s: %w", outputName(opts), cerr)
	}
	return err // the inputs that failed, reported already
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
		s, err := newDirSink(opts.Dir)
		if err == nil {
			reportStaleTemps(opts.streams, opts.Dir, s.stale, s.staleErr)
		}
		return s, err
	case opts.Output != "" && opts.Output != "-":
		s, err := newFileSink(opts.Output)
		if err == nil {
			reportStaleTemps(opts.streams, filepath.Dir(s.f.path), s.f.stale, s.f.staleErr)
		}
		return s, err
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
	streams    *render.IOStreams
	sink       traceSink
	writeTrace func(io.Writer, spanjson.Schema, *spanjson.Trace) ([]spanjson.Loss, error)
	stats      *convertStats
	where      *query.Query // --where: the traces written; nil: all
	losses     lossTally
}

// write streams one trace to the sink and reports what it lost. After a
// --strict loss nothing will be committed, so later traces are only
// checked, not written.
func (c *converter) write(t *ingest.Trace) error {
	if c.where != nil && !c.where.Match(query.NewTrace(t.Trace, t.Tree)) {
		*t.Trace = spanjson.Trace{}
		return nil
	}
	id := traceLabel(t.Trace)
	var w io.Writer = io.Discard
	sinking := !c.strict || c.stats.Lossy == 0
	if sinking {
		// --dir names the file after the id the written trace has (v2 ->
		// v3 gives a tr- id), which a reader of the file will show.
		name := spanjson.WrittenTraceID(c.schema, t.Trace)
		if name == "" {
			name = id
		}
		var err error
		if w, err = c.sink.Begin(name); err != nil {
			return err
		}
	}
	losses, err := c.writeTrace(w, c.schema, t.Trace)
	*t.Trace = spanjson.Trace{} // let it go once written
	if err == nil && sinking {
		err = c.sink.End()
	}
	if err != nil {
		return fmt.Errorf("%s:%d: trace %s: cannot write as %s: %w", t.Source, t.Line, id, c.schema, err)
	}
	c.stats.Traces++
	if len(losses) > 0 {
		c.stats.Lossy++
		c.noteLosses(id, losses)
	}
	return nil
}

// warn prints a convert warning. The losses are the details of --strict's
// error: never dropped by --quiet then.
func (c *converter) warn(format string, args ...any) {
	if c.strict {
		fmt.Fprintf(c.streams.ErrOut, "tracectl: warning: "+format+"\n", args...)
	} else {
		c.streams.Warnf(format, args...)
	}
}

// maxLossTraces is how many traces convert lists the losses of one by one.
// Those of the traces after them are added up per field at the end: an
// export directory of 20,000 MLflow traces converted to OTLP printed
// 120,000 lines, six per trace.
const maxLossTraces = 10

// lossTally is what convert has reported of the losses: the traces
// listed one by one, and the losses of those after them added up per
// field (noteLosses, finishLosses).
type lossTally struct {
	listed int       // traces listed
	more   int       // traces added up
	fields []lossSum // in order of first sight
	index  map[string]int
}

type lossSum struct {
	field         string
	traces, count int
}

// noteLosses lists the losses of trace id when fewer than maxLossTraces
// were listed, else adds them up.
func (c *converter) noteLosses(id string, losses []spanjson.Loss) {
	t := &c.losses
	if t.listed < maxLossTraces {
		t.listed++
		for _, l := range losses {
			c.warn("trace %s: dropped %s (%d)", id, l.Field, l.Count)
		}
		return
	}
	t.more++
	if t.index == nil {
		t.index = map[string]int{}
	}
	for _, l := range losses {
		k, ok := t.index[l.Field]
		if !ok {
			k = len(t.fields)
			t.index[l.Field] = k
			t.fields = append(t.fields, lossSum{field: l.Field})
		}
		t.fields[k].traces++
		t.fields[k].count += l.Count
	}
}

// finishLosses prints the losses added up: a line per field, with the
// number of traces that lost it when not all of them did.
func (c *converter) finishLosses() {
	t := &c.losses
	for _, f := range t.fields {
		if f.traces == t.more {
			c.warn("%d more traces: dropped %s (%d)", f.traces, f.field, f.count)
		} else {
			c.warn("%d of %d more traces: dropped %s (%d)", f.traces, t.more, f.field, f.count)
		}
	}
	t.fields, t.index, t.more = nil, nil, 0
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

// formatWords are the words that name an output format (or a schema)
// somewhere in tracectl or in the tools beside it; as `convert -o WORD`
// they are a format asked for, not the name of a file to create.
var formatWords = []string{"text", "json", "jsonl", "ndjson", "yaml", "yml", "csv", "tsv", "table", "tree", "html", "junit", "otlp", "v2", "v3", "mlflow-v2", "mlflow-v3", "mlflow"}

// checkOutputFileName refuses a format word as convert's -o FILE: in the
// other commands -o is the output format, and `convert -o json` quietly
// creating a file named json surprised people. ./json still names one.
func checkOutputFileName(name string) error {
	if !slices.Contains(formatWords, strings.ToLower(name)) {
		return nil
	}
	return &hintError{
		usageErrorf("-o %s: convert's -o names the output FILE, not a format", name),
		fmt.Sprintf("convert writes JSON (one trace) or JSON Lines; choose the schema with --schema v2, v3 or otlp, or write -o ./%s for a file named %s", name, name),
	}
}
