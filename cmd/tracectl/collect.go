package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"tracectl/internal/collect"
	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// collectOptions are the flags of `tracectl collect`.
type collectOptions struct {
	streams      *render.IOStreams
	listen       string // --http (--listen is its old name)
	grpc         string
	print        string
	out          string
	dir          string
	schema       string
	idle         time.Duration
	traceTimeout time.Duration
	maxTraces    int
	maxBody      string
	maxMemory    string
	maxSpans     int
	drainGrace   time.Duration
	addrFile     string
	spool        string

	// ready, when set, is called with the bound addresses ("" when off)
	// once the servers accept requests; stopping, once a second signal
	// would end the process (tests).
	ready    func(httpAddr, grpcAddr string)
	stopping func()
	// exit ends the process on a second signal (os.Exit by default).
	exit func(code int)
}

func newCollectCmd(streams *render.IOStreams) *cobra.Command { return NewCollectCmd(streams) }

// NewCollectCmd builds `tracectl collect`.
func NewCollectCmd(streams *render.IOStreams) *cobra.Command {
	opts := &collectOptions{streams: streams, exit: os.Exit}
	cmd := &cobra.Command{
		Use:   "collect (--out FILE.jsonl | --dir DIR) [flags]",
		Short: "Receive OTLP over HTTP and gRPC and write complete traces",
		Long: `collect is an OpenTelemetry trace receiver. Point an OTLP exporter (HTTP or
gRPC) or an OpenTelemetry Collector at it: it accepts POST /v1/traces on --http
(application/x-protobuf or application/json, optionally gzip) and the OTLP
TraceService on --grpc, assembles the spans of each trace, and writes each
trace once, whole. While it runs it prints a line per trace written and per
rejected request on stderr (--print tree: each trace's tree on stdout; -q:
nothing).

A trace is complete when its root span has arrived and no span of it came for
--idle. A trace whose root never arrives is written after --trace-timeout with
state ERROR and the tag tracectl.incomplete saying why (in OTLP output, a
resource attribute of that name); spans that arrive after their trace was
written form such a trace too. At --max-traces the oldest trace held is
written early. When the writer falls behind, requests get 503 with
Retry-After (OTLP clients retry), so nothing is lost. Bodies over --max-body,
sent or decompressed, get 413; malformed ones 400.

With --dir each trace goes to its own file, named as convert --dir names it
(DIR/<trace id>.json); a file is never overwritten: a second part of a trace,
or a name taken by an earlier run, gets "-2", "-3"...

GET /healthz answers "ok"; GET /stats returns the counters as JSON.

SIGINT or SIGTERM stops accepting, writes every trace still held at once,
gives requests in flight --drain-grace to finish (then closes their
connections; their clients retry elsewhere or later), writes what they
brought, syncs the output, prints the counters to stderr and exits 0. A
second signal exits at once with status 1, losing the traces still held.

When the output cannot be written (a full disk), the traces are kept,
requests get 503 until a retry (every second) succeeds, and the error is
logged once.

With --spool DIR every request is logged in DIR and synced to disk before it
is acknowledged; after a crash (SIGKILL, out of memory, power cut) the next
start writes what the log holds and the output lacks, so no acknowledged span
is lost or written twice. Without it, a crash loses the traces held.

Requests being decoded at once are bounded by --max-memory (503 beyond); a
trace with more than --max-spans-per-trace spans is written early, in parts,
tagged tracectl.incomplete.`,
		Example: `  tracectl collect --out traces.jsonl
  tracectl collect --out traces.jsonl --spool /var/lib/tracectl/spool
  tracectl collect --dir traces/ --schema otlp --idle 2s
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 ./my-app
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc ./my-app`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCollect(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "http", defaultHTTPAddr, `OTLP/HTTP address (host:port), "off" for none; loopback unless told otherwise`)
	f.StringVar(&opts.listen, "listen", defaultHTTPAddr, "old name of --http")
	_ = f.MarkHidden("listen")
	f.StringVar(&opts.grpc, "grpc", defaultGRPCAddr, `OTLP/gRPC address (host:port), "off" for none`)
	f.StringVar(&opts.print, "print", "line", "while running, print on stderr a line per trace written (line), or each trace's tree on stdout (tree); -q for neither")
	f.StringVar(&opts.out, "out", "", "append traces to this JSON Lines file, one trace per line")
	f.StringVar(&opts.dir, "dir", "", "write each trace to its own file in this directory")
	f.StringVar(&opts.schema, "schema", "otlp", "output schema: otlp (keeps all an OpenTelemetry SDK sends), v3 or v2")
	f.DurationVar(&opts.idle, "idle", 5*time.Second, "a trace with its root span is complete after this long without new spans")
	f.DurationVar(&opts.traceTimeout, "trace-timeout", 60*time.Second, "a trace without a root span is written, marked incomplete, after this long")
	f.IntVar(&opts.maxTraces, "max-traces", 10000, "most traces held in memory, 0 for no limit; at the limit the oldest is written early")
	f.StringVar(&opts.maxBody, "max-body", "32MiB", "largest request body, sent and decompressed (e.g. 4MiB, 1000000)")
	f.StringVar(&opts.maxMemory, "max-memory", defaultMaxMemory, "memory for requests being decoded at once (about 9 bytes per body byte); beyond it requests get 503")
	f.IntVar(&opts.maxSpans, "max-spans-per-trace", 250000, "most spans held for one trace, 0 for no limit; at the limit the trace is written early, in parts, tagged")
	f.DurationVar(&opts.drainGrace, "drain-grace", collect.DefaultDrainGrace, "on SIGINT/SIGTERM, after the traces held are written, how long requests in flight may take to finish")
	f.StringVar(&opts.spool, "spool", "", "log each request in this directory, synced to disk, before acknowledging it; a restart after a crash writes what the log holds and the output lacks")
	f.StringVar(&opts.addrFile, "addr-file", "", "write the address listened on to this file once ready")
	_ = f.MarkHidden("addr-file")
	return cmd
}

// collectDirTemp names collect --dir's temporary files.
var collectDirTemp = staleTemp{prefix: collect.DirTempPrefix, suffix: ".tmp"}

// parseSchema maps the --schema values onto spanjson schemas.
func parseSchema(s string) (spanjson.Schema, error) {
	switch strings.ToLower(s) {
	case "v3", "mlflow-v3":
		return spanjson.SchemaMLflowV3, nil
	case "v2", "mlflow-v2":
		return spanjson.SchemaMLflowV2, nil
	case "otlp":
		return spanjson.SchemaOTLP, nil
	}
	return "", usageErrorf("invalid --schema %q: want v3, v2 or otlp", s)
}

// parseSize reads a byte count: a number with an optional unit B, KB, MB,
// GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), any case.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || i == 0 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, e.g. 4MiB or 1000000", s)
	}
	mult := map[string]int64{
		"": 1, "b": 1,
		"k": 1000, "kb": 1000, "m": 1000 * 1000, "mb": 1000 * 1000, "g": 1000 * 1000 * 1000, "gb": 1000 * 1000 * 1000,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}[strings.ToLower(strings.TrimSpace(t[i:]))]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, KiB, MiB or GiB)", s, strings.TrimSpace(t[i:]))
	}
	if n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: must be positive and below 4 EiB", s)
	}
	return n * mult, nil
}

const (
	defaultMaxMemory = "1GiB" // collect.DefaultMaxMemory
	defaultHTTPAddr  = "127.0.0.1:4318"
	defaultGRPCAddr  = "127.0.0.1:4317"
)

// listenAddr checks a --http or --grpc value: "" when off.
func listenAddr(flag, v string) (string, error) {
	if v == "off" || v == "" {
		return "", nil
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", usageErrorf("invalid %s %q: want host:port, e.g. 127.0.0.1:4318, or off", flag, v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", usageErrorf("invalid %s %q: the port must be a number from 0 to 65535", flag, v)
	}
	return v, nil
}

// lockedWriter serializes writes to w from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// collectLimits are the parsed size and address flags of collect.
type collectLimits struct {
	maxBody, maxMemory int64
	http, grpc         string // "" when off
}

func (o *collectOptions) validate() (spanjson.Schema, collectLimits, error) {
	var lim collectLimits
	schema, err := parseSchema(o.schema)
	if err != nil {
		return "", lim, err
	}
	if lim.maxBody, err = parseSize(o.maxBody); err != nil {
		return "", lim, usageErrorf("--max-body: %v", err)
	}
	if lim.maxMemory, err = parseSize(cmp.Or(o.maxMemory, defaultMaxMemory)); err != nil {
		return "", lim, usageErrorf("--max-memory: %v", err)
	}
	if lim.http, err = listenAddr("--http", o.listen); err != nil {
		return "", lim, err
	}
	if lim.grpc, err = listenAddr("--grpc", o.grpc); err != nil {
		return "", lim, err
	}
	if lim.http == "" && lim.grpc == "" {
		return "", lim, usageErrorf("--http and --grpc are both off: nothing would be received")
	}
	switch o.print {
	case "line", "tree", "":
	default:
		return "", lim, usageErrorf("invalid --print %q: want line or tree", o.print)
	}
	switch {
	case (o.out == "") == (o.dir == ""):
		return "", lim, &hintError{usageErrorf("give exactly one of --out FILE or --dir DIR"), "tracectl collect --out traces.jsonl"}
	case o.idle <= 0:
		return "", lim, usageErrorf("--idle must be positive, got %s", o.idle)
	case o.traceTimeout <= 0:
		return "", lim, usageErrorf("--trace-timeout must be positive, got %s", o.traceTimeout)
	case o.drainGrace < 0:
		return "", lim, usageErrorf("--drain-grace must be 0 or positive, got %s", o.drainGrace)
	case o.maxTraces < 0:
		return "", lim, usageErrorf("--max-traces must be 0 (no limit) or positive, got %d", o.maxTraces)
	case o.maxSpans < 0:
		return "", lim, usageErrorf("--max-spans-per-trace must be 0 (no limit) or positive, got %d", o.maxSpans)
	}
	return schema, lim, nil
}

func runCollect(ctx context.Context, opts *collectOptions) error {
	schema, lim, err := opts.validate()
	if err != nil {
		return err
	}
	// The writers, the handlers and this goroutine all write to stderr:
	// one lock orders their lines (the race detector found a warning and a
	// trace line interleaved in a buffer).
	streams := *opts.streams
	streams.ErrOut = &lockedWriter{w: opts.streams.ErrOut}
	opts.streams = &streams
	var sink interface {
		collect.SpoolSink
		Losses() []spanjson.Loss
		OnFirstLoss(func(string))
	}
	errOut := opts.streams.ErrOut
	dest := opts.out
	if opts.out != "" {
		var js *collect.JSONLSink
		js, err = collect.OpenJSONLSink(opts.out, schema)
		if err == nil {
			sink = js
			if n := js.CutBytes(); n > 0 {
				opts.streams.Warnf("%s ended in a partial line (a crash or a full disk): cut off its last %d bytes before appending", opts.out, n)
			}
		}
	} else {
		dest = opts.dir
		sink, err = collect.OpenDirSink(opts.dir, schema)
		if err == nil {
			n, rerr := removeStaleTemps(opts.dir, collectDirTemp, processStart)
			reportStaleTemps(opts.streams, opts.dir, n, rerr)
		}
	}
	if err != nil {
		return fmt.Errorf("cannot open output: %w", err)
	}
	var spool *collect.Spool
	if opts.spool != "" {
		var cut int64
		if spool, cut, err = collect.OpenSpool(opts.spool, sink); err != nil {
			_ = sink.Close()
			return fmt.Errorf("cannot open --spool: %w", err)
		}
		if cut > 0 {
			opts.streams.Warnf("the spool in %s ended in a partial record (a crash in the middle of a write, never acknowledged): cut off %d bytes", opts.spool, cut)
		}
	}
	closeOutputs := func() {
		_ = sink.Close()
		if spool != nil {
			_ = spool.Close()
		}
	}
	var httpLn, grpcLn net.Listener
	for _, l := range []struct {
		flag, addr, example string
		ln                  *net.Listener
	}{{"--http", lim.http, "127.0.0.1:4319", &httpLn}, {"--grpc", lim.grpc, "127.0.0.1:4316", &grpcLn}} {
		if l.addr == "" {
			continue
		}
		if *l.ln, err = net.Listen("tcp", l.addr); err != nil {
			if httpLn != nil {
				_ = httpLn.Close()
			}
			closeOutputs()
			return &hintError{fmt.Errorf("cannot listen on %s: %w", l.addr, err), fmt.Sprintf("choose another address with %s, e.g. %s %s, or %s off", l.flag, l.flag, l.example, l.flag)}
		}
	}
	// A receiver allocates per span; a lazier GC buys throughput while
	// --max-traces still bounds the heap. GOGC, when set, wins.
	if getenv := opts.streams.Getenv; getenv == nil || getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	live := newCollectLog(opts.streams, opts.print)
	sink.OnFirstLoss(func(field string) {
		opts.streams.Warnf("schema %s cannot carry %s: it is dropped from the traces written (--schema otlp keeps everything)", opts.schema, field)
	})
	c := collect.NewCollector(collect.CollectorConfig{
		Assembler:  collect.AssemblerConfig{Idle: opts.idle, TraceTimeout: opts.traceTimeout, MaxTraces: opts.maxTraces, MaxSpansPerTrace: opts.maxSpans},
		MaxBody:    lim.maxBody,
		MaxMemory:  lim.maxMemory,
		DrainGrace: cmp.Or(opts.drainGrace, -1), // 0: none
		Sink:       sink,
		Spool:      spool,
		ErrLog:     errOut,
		Quiet:      opts.streams.Quiet,
		OnWritten:  live.written,
		OnReject:   live.rejected,
	})
	if spool != nil {
		st, err := c.Recover()
		if err != nil {
			for _, ln := range []net.Listener{httpLn, grpcLn} {
				if ln != nil {
					_ = ln.Close()
				}
			}
			_ = c.Shutdown(context.Background())
			return fmt.Errorf("--spool %s: %w", opts.spool, err)
		}
		if st.Requests > 0 {
			fmt.Fprintf(errOut, "tracectl: spool: replayed %d requests left by an earlier run: %d spans, %d of them already written\n", st.Requests, st.Spans, st.SpansWritten)
		}
	}
	c.Start(httpLn)
	if grpcLn != nil {
		c.ServeGRPC(grpcLn)
	}
	var where []string
	addrs := [2]string{}
	for i, ln := range []net.Listener{httpLn, grpcLn} {
		if ln == nil {
			continue
		}
		addrs[i] = ln.Addr().String()
		if host, _, _ := net.SplitHostPort(addrs[i]); !isLoopback(host) {
			opts.streams.Warnf("listening on %s, which is reachable from other machines", addrs[i])
		}
		where = append(where, [2]string{"http://" + addrs[0] + "/v1/traces", "grpc://" + addrs[1]}[i])
	}
	if opts.addrFile != "" {
		if err := os.WriteFile(opts.addrFile, []byte(cmp.Or(addrs[0], "-")+"\n"+cmp.Or(addrs[1], "-")+"\n"), 0o644); err != nil {
			opts.streams.Warnf("cannot write --addr-file: %v", err)
		}
	}
	fmt.Fprintf(errOut, "tracectl: collecting OTLP on %s, writing %s traces to %s\n", strings.Join(where, " and "), opts.schema, dest)
	if opts.ready != nil {
		opts.ready(addrs[0], addrs[1])
	}

	<-ctx.Done()
	// A second signal ends the process at once.
	second := make(chan os.Signal, 1)
	signal.Notify(second, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(second)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-second:
			fmt.Fprintln(errOut, "tracectl: error: second signal: exiting without writing the traces still held")
			opts.exit(exitError)
		case <-stopped:
		}
	}()

	fmt.Fprintln(errOut, "tracectl: stopping: writing the traces still held")
	if opts.stopping != nil {
		opts.stopping()
	}
	shutErr := c.Shutdown(context.Background())
	printCollectStats(opts.streams, c.Stats(), sink.Losses(), opts.schema)
	if shutErr != nil {
		return fmt.Errorf("writing %s: %w", dest, shutErr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printCollectStats(streams *render.IOStreams, s collect.CollectorStats, losses []spanjson.Loss, schema string) {
	w := streams.ErrOut
	fmt.Fprintf(w, "tracectl: collect: %d spans received, %d rejected, %d traces written (%d incomplete, %d written early at --max-traces, %d parts at --max-spans-per-trace), %d duplicate spans dropped, %d requests (%d bad, %d throttled)\n",
		s.SpansReceived, s.SpansRejected, s.TracesWritten, s.TracesIncomplete, s.TracesEvicted, s.TracesSplit, s.SpansDuplicate, s.Requests, s.RequestsBad, s.RequestsThrottled)
	if sp := s.Spool; sp != nil {
		fmt.Fprintf(w, "tracectl: spool: %d requests logged (%d bytes) in %d commits, %d fsyncs\n", sp.Appended, sp.Bytes, sp.Commits, sp.Fsyncs)
	}
	if s.WriteErrors > 0 {
		fmt.Fprintf(w, "tracectl: error: %d traces could not be written\n", s.WriteErrors)
	}
	for _, l := range losses {
		streams.Warnf("schema %s cannot carry %s (%d %s)", schema, l.Field, l.Count, render.Plural(l.Count, "time", "times"))
	}
}
