package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
	"tracectl/internal/send"
	"tracectl/internal/spanjson"
)

// sendOptions are the flags and arguments of `tracectl send`.
type sendOptions struct {
	streams     *render.IOStreams
	inputs      []string
	endpoint    string
	protocol    string
	headers     []string
	compression string
	batch       int
	batchBytes  string
	timeout     time.Duration
	output      string

	// changed says whether a flag was given (env defaults apply otherwise).
	changed func(name string) bool
}

// NewSendCmd builds `tracectl send`.
func NewSendCmd(streams *render.IOStreams) *cobra.Command {
	opts := &sendOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "send --endpoint URL [flags] [INPUT|-]...",
		Short: "Export trace files as OTLP to a collector or tracing backend",
		Long: `send reads traces in any format tracectl reads (MLflow 2 and 3, OTLP JSON,
Jaeger, Zipkin, console dumps, Langfuse, LangSmith; files, "-" or stdin) and
exports them as OTLP to a receiver: an OpenTelemetry Collector, Jaeger,
Grafana Tempo, Arize Phoenix, an MLflow server, or tracectl collect.

--endpoint is where OTLP requests go. For OTLP/HTTP (--protocol http/protobuf,
the default, or http/json) it is an http:// or https:// URL: a URL without a
path gets /v1/traces appended (as OTEL_EXPORTER_OTLP_ENDPOINT does), a URL
with a path is used as given. For OTLP/gRPC (--protocol grpc) it is host:port
or http://host:port (plain text) or https://host:port (TLS). Without
--endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as given) or
OTEL_EXPORTER_OTLP_ENDPOINT (plus /v1/traces for HTTP) is used, and
OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL and OTEL_EXPORTER_OTLP_[TRACES_]HEADERS
give the defaults of --protocol and --header.

Traces are sent as convert --schema otlp writes them, in requests of at most
--batch spans and about --batch-bytes bytes (protobuf size); a trace goes
whole in one request unless it is bigger than that. Bodies are gzip
compressed unless --compression none. What OTLP cannot carry (MLflow trace
info: tags, previews, metadata) is counted in a warning; a span without a
trace id or span id is not sent (no receiver can place it).

A request answered 429, 502, 503 or 504 (gRPC: UNAVAILABLE, and
RESOURCE_EXHAUSTED with retry info, as the OTLP specification says) is
retried with exponential backoff and jitter, after the Retry-After (or gRPC
RetryInfo) delay when there is one, for at most --timeout per request;
after that the run stops. Other errors refuse the request's spans and the
run goes on, except those every request would get (401, 403, 404, 405, 415;
gRPC UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED), which stop it. A
partial success counts its rejected spans as refused.

At the end a summary goes to stderr (-o json: a JSON object on stdout):
traces and spans read, spans sent, accepted and refused (with the first
reason), requests and retries. The exit code is 1 when any span was not
accepted or any input could not be read.`,
		DisableFlagsInUseLine: true,
		Example: `  # an OpenTelemetry Collector, Jaeger (OTLP on) or a local tracectl collect
  tracectl send --endpoint http://localhost:4318 traces.jsonl
  tracectl send --protocol grpc --endpoint localhost:4317 dump/*.json

  # an MLflow server (OTLP/HTTP at /v1/traces, experiment in a header)
  tracectl send --endpoint http://localhost:5000 --header x-mlflow-experiment-id=123 trace.json

  # Arize Phoenix
  tracectl send --endpoint http://localhost:6006/v1/traces langfuse-export.json

  # Grafana Tempo over gRPC with TLS and a tenant
  tracectl send --protocol grpc --endpoint https://tempo.example.com:443 --header X-Scope-OrgID=team-a run.json

  # from the environment, as OpenTelemetry SDKs read it
  OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 tracectl send < dump.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.inputs = args
			opts.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			return runSend(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.endpoint, "endpoint", "", "OTLP receiver `URL` (default from OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT)")
	f.StringVar(&opts.protocol, "protocol", send.HTTPProtobuf, "http/protobuf, http/json or grpc (default from OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL)")
	f.StringArrayVar(&opts.headers, "header", nil, "request header or gRPC metadata `KEY=VALUE`, repeatable (default from OTEL_EXPORTER_OTLP_[TRACES_]HEADERS)")
	f.StringVar(&opts.compression, "compression", "gzip", "request compression: gzip or none")
	f.IntVar(&opts.batch, "batch", send.DefaultBatchSpans, "most spans per request")
	f.StringVar(&opts.batchBytes, "batch-bytes", "3MiB", "about the most bytes per request (protobuf size; gRPC servers take 4MiB by default)")
	f.DurationVar(&opts.timeout, "timeout", send.DefaultTimeout, "time for one request, its retries included; past it the run stops")
	f.StringVarP(&opts.output, "output", "o", outputText, "summary format: text (on stderr) or json (on stdout)")
	_ = cmd.RegisterFlagCompletionFunc("protocol", cobra.FixedCompletions(send.Protocols, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("compression", cobra.FixedCompletions([]string{"gzip", "none"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("endpoint", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("header", cobra.NoFileCompletions)
	return cmd
}

// sendConfig turns the flags (and the OTEL_EXPORTER_OTLP_* defaults) into
// the sender's configuration; its errors are usage errors.
func (o *sendOptions) sendConfig() (send.Config, error) {
	getenv := o.streams.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	changed := o.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	cfg := send.Config{Protocol: o.protocol, Timeout: o.timeout, BatchSpans: o.batch, UserAgent: "tracectl/" + version}
	if !changed("protocol") {
		if p := firstEnv(getenv, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" {
			cfg.Protocol = p
		}
	}
	if !slices.Contains(send.Protocols, cfg.Protocol) {
		return cfg, usageErrorf("invalid --protocol %q: want http/protobuf, http/json or grpc", cfg.Protocol)
	}
	cfg.Endpoint = o.endpoint
	if !changed("endpoint") {
		cfg.Endpoint = envEndpoint(getenv, cfg.Protocol)
	}
	if strings.TrimSpace(cfg.Endpoint) == "" {
		return cfg, &hintError{usageErrorf("send needs --endpoint"), "e.g. --endpoint http://localhost:4318 (OTLP/HTTP) or --protocol grpc --endpoint localhost:4317"}
	}
	if _, err := send.ResolveEndpoint(cfg.Endpoint, cfg.Protocol); err != nil {
		return cfg, usageErrorf("--endpoint: %v", err)
	}
	// Headers: the environment's first, then the flags', a flag replacing
	// an environment header of the same name.
	var flagHeaders []send.Header
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok {
			return cfg, &hintError{usageErrorf("invalid --header %q: want KEY=VALUE", h), "e.g. --header x-mlflow-experiment-id=123"}
		}
		hd := send.Header{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)}
		if err := checkHeader(hd); err != nil {
			return cfg, usageErrorf("invalid --header %q: %v", h, err)
		}
		flagHeaders = append(flagHeaders, hd)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		env, err := parseEnvHeaders(getenv(name))
		if err != nil {
			return cfg, usageErrorf("%s: %v", name, err)
		}
		cfg.Headers = mergeHeaders(cfg.Headers, env)
	}
	cfg.Headers = mergeHeaders(cfg.Headers, flagHeaders)

	switch o.compression {
	case "gzip":
		cfg.Gzip = true
	case "none":
	default:
		return cfg, usageErrorf("invalid --compression %q: want gzip or none", o.compression)
	}
	if o.batch <= 0 {
		return cfg, usageErrorf("--batch must be positive, got %d", o.batch)
	}
	n, err := parseSize(o.batchBytes)
	if err != nil {
		return cfg, usageErrorf("--batch-bytes: %v", err)
	}
	if n > 1<<31 {
		return cfg, usageErrorf("--batch-bytes %s is over 2GiB", o.batchBytes)
	}
	cfg.BatchBytes = int(n)
	if o.timeout <= 0 {
		return cfg, usageErrorf("--timeout must be positive, got %s", o.timeout)
	}
	if o.output != outputText && o.output != outputJSON {
		return cfg, usageErrorf("invalid --output %q: want text or json", o.output)
	}
	return cfg, nil
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// envEndpoint is the endpoint the OpenTelemetry environment gives:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
// OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended to its path for
// OTLP/HTTP (the specification's rule for the base endpoint).
func envEndpoint(getenv func(string) string, protocol string) string {
	if v := firstEnv(getenv, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		return v
	}
	v := firstEnv(getenv, "OTEL_EXPORTER_OTLP_ENDPOINT")
	if v == "" || protocol == send.GRPC {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		return v // the error is said when it is resolved
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + send.TracesPath
	u.RawPath = ""
	return u.String()
}

// parseEnvHeaders reads OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2", values
// percent-encoded.
func parseEnvHeaders(s string) ([]send.Header, error) {
	var out []send.Header
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("invalid entry %q: want KEY=VALUE", item)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("invalid entry %q: %v", item, err)
		}
		h := send.Header{Key: strings.TrimSpace(k), Value: val}
		if err := checkHeader(h); err != nil {
			return nil, fmt.Errorf("invalid entry %q: %v", item, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// mergeHeaders adds more to base, each replacing base's headers of its
// name (names compared case-insensitively).
func mergeHeaders(base, more []send.Header) []send.Header {
	for _, m := range more {
		base = slices.DeleteFunc(base, func(h send.Header) bool { return strings.EqualFold(h.Key, m.Key) })
	}
	return append(base, more...)
}

// checkHeader refuses a header no HTTP request or gRPC call can carry.
func checkHeader(h send.Header) error {
	if h.Key == "" {
		return errors.New("empty name")
	}
	for _, c := range []byte(h.Key) {
		if !isTokenChar(c) {
			return fmt.Errorf("name has %q, which header names cannot have", c)
		}
	}
	if strings.ContainsAny(h.Value, "\r\n\x00") {
		return errors.New("value has a line break or NUL")
	}
	return nil
}

// isTokenChar: the characters of an HTTP header name (RFC 9110 token).
func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(c))
}

// sendSummary is the -o json summary; the text summary says the same.
type sendSummary struct {
	Endpoint     string `json:"endpoint"`
	Protocol     string `json:"protocol"`
	Compression  string `json:"compression"`
	Traces       int    `json:"traces"`
	Spans        int64  `json:"spans"`
	Sent         int64  `json:"spans_sent"`
	Accepted     int64  `json:"spans_accepted"`
	Refused      int64  `json:"spans_refused"`
	RefuseReason string `json:"refused_reason,omitempty"`
	Skipped      int64  `json:"spans_skipped"`
	SkipReason   string `json:"skipped_reason,omitempty"`
	Failed       int64  `json:"spans_failed"`
	FailReason   string `json:"failed_reason,omitempty"`
	Requests     int    `json:"requests"`
	Retries      int    `json:"retries"`
	InputsFailed int    `json:"inputs_failed"`
	OK           bool   `json:"ok"`
}

func runSend(ctx context.Context, opts *sendOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.sendConfig()
	if err != nil {
		return err
	}
	if len(opts.inputs) == 0 && opts.streams.InTTY {
		return &hintError{err: usageErrorf("no input: standard input is a terminal"), hint: "name trace files, or pipe traces in: cat trace.json | tracectl send --endpoint URL"}
	}
	ins, err := inputsFrom(opts.inputs, opts.streams.In)
	if err != nil {
		return err
	}
	s, err := send.New(ctx, cfg)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := s.Reach(ctx); err != nil {
		_, _ = s.Close()
		return endpointError(err)
	}

	w := &warner{streams: opts.streams}
	losses := map[string]int{} // field -> traces that lost it
	traces := 0
	readErr := ingest.Read(ctx, ins, ingest.Options{
		Warn:  w.warn,
		Error: func(err error) { printError(opts.streams, err) },
	}, func(t *ingest.Trace) error {
		td, lost, err := spanjson.PdataFromTrace(t.Trace)
		if err != nil {
			return fmt.Errorf("%s:%d: trace %s: %w", t.Source, t.Line, traceLabel(t.Trace), err)
		}
		*t.Trace = spanjson.Trace{} // let it go: td holds it now
		traces++
		for _, l := range lost {
			losses[l.Field]++
		}
		return s.Add(td)
	})
	st, sendErr := s.Close()
	w.finish()

	var failed *ingest.FailedInputs
	var endpointErr *send.EndpointError
	switch {
	case ctx.Err() != nil:
		sendErr = errors.New("interrupted")
	case readErr == nil, errors.As(readErr, &failed), errors.As(readErr, &endpointErr):
	default:
		sendErr = readErr // a trace that could not be converted
	}
	printSendLosses(opts.streams.ErrOut, losses)
	sum := sendSummary{
		Endpoint: s.Target().URL, Protocol: cfg.Protocol, Compression: opts.compression,
		Traces: traces, Spans: st.Spans, Sent: st.Sent, Accepted: st.Accepted,
		Refused: st.Refused, RefuseReason: st.Reason, Skipped: st.Skipped, SkipReason: st.SkipReason,
		Failed: st.Failed, FailReason: st.FailReason, Requests: st.Requests, Retries: st.Retries,
	}
	if cfg.Protocol == send.GRPC {
		sum.Endpoint = s.Target().Addr
	}
	if failed != nil {
		sum.InputsFailed = failed.N
	}
	sum.OK = sendErr == nil && failed == nil && st.Accepted == st.Spans
	if opts.output == outputJSON {
		enc := json.NewEncoder(opts.streams.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printSendSummary(opts.streams.ErrOut, sum, st.Note, sendErr != nil)
	}
	switch {
	case sendErr != nil:
		return endpointError(sendErr)
	case st.Accepted < st.Spans:
		return fmt.Errorf("%d of %d spans were not accepted", st.Spans-st.Accepted, st.Spans)
	}
	return readErr // the inputs that could not be read (reported), or nil
}

// endpointError adds the sender's hint to an error that stopped the run.
func endpointError(err error) error {
	var ee *send.EndpointError
	if errors.As(err, &ee) && ee.Hint != "" {
		return &hintError{err: err, hint: ee.Hint}
	}
	if errors.As(err, &ee) && strings.Contains(ee.Err.Error(), "cannot reach") {
		return &hintError{err: err, hint: "is the receiver running, and is --endpoint its address?"}
	}
	return err
}

// counted is n with its noun: "1 span", "3 spans".
func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// printSendSummary writes the summary for people; text from the receiver
// is escaped for the terminal.
func printSendSummary(w io.Writer, s sendSummary, note string, stopped bool) {
	fmt.Fprintf(w, "tracectl: send: %s, %s read; %s sent to %s (%s, %s) in %s (%s): %d accepted, %d refused\n",
		counted(int64(s.Traces), "trace", "traces"), counted(s.Spans, "span", "spans"), counted(s.Sent, "span", "spans"),
		render.Printable(s.Endpoint), s.Protocol, s.Compression, counted(int64(s.Requests), "request", "requests"),
		counted(int64(s.Retries), "retry", "retries"), s.Accepted, s.Refused)
	if s.Refused > 0 {
		fmt.Fprintf(w, "tracectl: send: %s refused; first reason: %s\n", counted(s.Refused, "span", "spans"), render.Printable(s.RefuseReason))
		if tooBig(s.RefuseReason) {
			fmt.Fprintln(w, "tracectl: hint: the receiver takes smaller requests: lower --batch-bytes (and --batch)")
		}
	}
	if s.Skipped > 0 {
		fmt.Fprintf(w, "tracectl: send: %s not sent (a receiver cannot place them); first: %s\n", counted(s.Skipped, "span", "spans"), render.Printable(s.SkipReason))
	}
	switch {
	case s.Failed > 0 && stopped:
		// the error that stopped the run follows; its text is not repeated
		fmt.Fprintf(w, "tracectl: send: %s not delivered\n", counted(s.Failed, "span", "spans"))
	case s.Failed > 0:
		fmt.Fprintf(w, "tracectl: send: %s not delivered: %s\n", counted(s.Failed, "span", "spans"), render.Printable(s.FailReason))
	}
	if note != "" {
		fmt.Fprintf(w, "tracectl: send: the receiver said: %s\n", render.Printable(note))
	}
}

// printSendLosses says in one line what OTLP could not carry, field by
// field, with the number of traces that had it.
func printSendLosses(w io.Writer, losses map[string]int) {
	if len(losses) == 0 {
		return
	}
	keys := make([]string, 0, len(losses))
	for k := range losses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (%s)", k, counted(int64(losses[k]), "trace", "traces"))
	}
	fmt.Fprintf(w, "tracectl: warning: OTLP cannot carry %s; tracectl convert --schema otlp lists them per trace\n", strings.Join(parts, ", "))
}

// tooBig reports whether a refusal says the request was too large (HTTP
// 413, or a gRPC server's message size limit).
func tooBig(reason string) bool {
	return strings.HasPrefix(reason, "HTTP 413") || strings.Contains(reason, "larger than max")
}
