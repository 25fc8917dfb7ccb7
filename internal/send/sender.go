package send

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"tracectl/internal/spanjson"
)

// Defaults of Config.
const (
	// DefaultBatchSpans is the OpenTelemetry SDKs' batch span processor
	// default (OTEL_BSP_MAX_EXPORT_BATCH_SIZE): receivers are sized for it.
	DefaultBatchSpans = 512
	// DefaultBatchBytes keeps a request under the 4 MiB gRPC servers take
	// by default (their max receive message size), with room for the
	// envelope, whatever the protocol: LLM spans carry whole prompts.
	DefaultBatchBytes = 3 << 20
	// DefaultTimeout bounds one batch, its retries included.
	DefaultTimeout = 30 * time.Second
)

// Header is a request header (HTTP) or metadata entry (gRPC).
type Header struct{ Key, Value string }

// Config says where and how to send.
type Config struct {
	Endpoint   string // see ResolveEndpoint
	Protocol   string // HTTPProtobuf, HTTPJSON or GRPC; "" is HTTPProtobuf
	Headers    []Header
	Gzip       bool
	BatchSpans int           // spans per request; 0 is DefaultBatchSpans
	BatchBytes int           // about this many bytes per request; 0 is DefaultBatchBytes
	Timeout    time.Duration // per batch, retries included; 0 is DefaultTimeout
	UserAgent  string

	// Seams for tests; nil means the real ones.
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	random func() float64
}

// Stats count what a run did with its spans. After Close, Spans =
// Skipped + Accepted + Refused + Failed.
type Stats struct {
	Spans      int64  // spans given to Add
	Skipped    int64  // not sent: no trace id or span id
	SkipReason string // why the first was skipped
	Sent       int64  // spans in requests the receiver answered for good
	Accepted   int64
	Refused    int64  // refused by the receiver (an error answer, or partial success)
	Reason     string // the receiver's first reason for refusing
	Failed     int64  // spans whose request got no final answer
	FailReason string
	Note       string // a message the receiver sent with a full success
	Requests   int    // requests made, retries included
	Retries    int
	Batches    int
}

// EndpointError ends a run: the endpoint cannot be reached, or answers
// every request the same way (not found, unauthorised), or stopped
// answering for longer than the timeout.
type EndpointError struct {
	Endpoint string
	Err      error
	Hint     string
}

func (e *EndpointError) Error() string { return e.Endpoint + ": " + e.Err.Error() }
func (e *EndpointError) Unwrap() error { return e.Err }

// Sender exports batches on its own goroutine while its caller reads and
// converts the next traces; at most one batch waits for it, so memory
// stays at a few batches.
type Sender struct {
	cfg    Config
	target Target
	exp    exporter
	b      *batcher
	queue  chan batch
	done   chan struct{}
	ctx    context.Context

	mu    sync.Mutex
	stats Stats
	stop  error // set once the run cannot go on
}

// New checks cfg and starts a sender. ctx ends its requests.
func New(ctx context.Context, cfg Config) (*Sender, error) {
	if cfg.Protocol == "" {
		cfg.Protocol = HTTPProtobuf
	}
	if cfg.BatchSpans == 0 {
		cfg.BatchSpans = DefaultBatchSpans
	}
	if cfg.BatchBytes == 0 {
		cfg.BatchBytes = DefaultBatchBytes
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.sleep == nil {
		cfg.sleep = sleepCtx
	}
	if cfg.random == nil {
		cfg.random = rand.Float64
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tracectl"
	}
	switch {
	case cfg.Protocol != HTTPProtobuf && cfg.Protocol != HTTPJSON && cfg.Protocol != GRPC:
		return nil, fmt.Errorf("unknown protocol %q: want http/protobuf, http/json or grpc", cfg.Protocol)
	case cfg.BatchSpans < 0 || cfg.BatchBytes < 0 || cfg.Timeout < 0:
		return nil, errors.New("batch sizes and the timeout must be positive")
	}
	t, err := ResolveEndpoint(cfg.Endpoint, cfg.Protocol)
	if err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, target: t, queue: make(chan batch, 1), done: make(chan struct{}), ctx: ctx}
	if cfg.Protocol == GRPC {
		if s.exp, err = newGRPCExporter(&s.cfg, t); err != nil {
			return nil, err
		}
	} else {
		s.exp = newHTTPExporter(&s.cfg, t)
	}
	s.b = newBatcher(cfg.BatchSpans, cfg.BatchBytes, s.enqueue)
	go s.run()
	return s, nil
}

// Target is where the requests go.
func (s *Sender) Target() Target { return s.target }

// Reach dials the endpoint once, so that a wrong host or port is said at
// once instead of after a batch's retries. It does nothing when a proxy
// is configured for the endpoint (the proxy is what would be dialled).
func (s *Sender) Reach(ctx context.Context) error {
	u, err := url.Parse(s.target.URL)
	if err == nil {
		if p, perr := http.ProxyFromEnvironment(&http.Request{URL: u}); perr == nil && p != nil {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, min(s.cfg.Timeout, 10*time.Second))
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.target.Addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // "connection refused", "no such host": the address is in the message already
		}
		return &EndpointError{Endpoint: s.endpointName(), Err: fmt.Errorf("cannot reach %s: %w", s.target.Addr, err)}
	}
	return conn.Close()
}

func (s *Sender) endpointName() string {
	if s.cfg.Protocol == GRPC {
		return s.target.Addr + " (gRPC)"
	}
	return s.target.URL
}

// Add queues the spans of td for export (td is moved from). It returns
// the error that stopped the run, if one did: the caller stops reading.
func (s *Sender) Add(td ptrace.Traces) error {
	n := int64(td.SpanCount())
	var skipped int64
	var reason string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			ss.Spans().RemoveIf(func(sp ptrace.Span) bool {
				r := spanjson.PdataIDProblem(sp)
				if r != "" {
					skipped++
					if reason == "" {
						reason = r
					}
				}
				return r != ""
			})
		}
	}
	s.mu.Lock()
	s.stats.Spans += n
	s.stats.Skipped += skipped
	if s.stats.SkipReason == "" {
		s.stats.SkipReason = reason
	}
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		s.fail(n-skipped, stop)
		return stop
	}
	s.b.add(td)
	return s.stopped()
}

func (s *Sender) stopped() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop
}

// enqueue hands a full batch to the sending goroutine.
func (s *Sender) enqueue(b batch) {
	select {
	case s.queue <- b:
	case <-s.ctx.Done():
		s.fail(int64(b.spans), s.ctx.Err())
	}
}

// Close sends what is left and returns the counts and the error that
// stopped the run, if any.
func (s *Sender) Close() (Stats, error) {
	s.b.flush()
	close(s.queue)
	<-s.done
	err := s.exp.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		err = s.stop
	}
	return s.stats, err
}

func (s *Sender) run() {
	defer close(s.done)
	for b := range s.queue {
		if err := s.stopped(); err != nil {
			s.fail(int64(b.spans), err)
			continue
		}
		s.deliver(b)
	}
}

func (s *Sender) fail(n int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Failed += n
	if s.stats.FailReason == "" && n > 0 {
		s.stats.FailReason = err.Error()
	}
}

func (s *Sender) setStop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		s.stop = err
	}
}

// deliver exports one batch, retrying what the OTLP specification calls
// retryable until the batch's time is up.
func (s *Sender) deliver(b batch) {
	n := int64(b.spans)
	s.mu.Lock()
	s.stats.Batches++
	s.mu.Unlock()
	payload, err := s.exp.prepare(ptraceotlp.NewExportRequestFromTraces(b.td))
	if err != nil {
		s.fail(n, err)
		return
	}
	start := s.cfg.now()
	deadline := start.Add(s.cfg.Timeout)
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout) // real time, whatever cfg.now says
	defer cancel()
	for retry := 0; ; retry++ {
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		out := s.exp.attempt(ctx, payload)
		if s.ctx.Err() != nil {
			s.fail(n, errors.New("interrupted"))
			s.setStop(s.ctx.Err())
			return
		}
		switch {
		case out.err == nil:
			s.answered(n, out.rejected, out.message)
			return
		case out.fatal:
			s.fail(n, out.err)
			s.setStop(&EndpointError{Endpoint: s.endpointName(), Err: out.err, Hint: s.hintFor(out.err)})
			return
		case !out.retryable:
			s.refused(n, out.err.Error())
			return
		}
		wait := backoff(retry, s.cfg.random())
		if out.hasRetryAfter {
			wait = out.retryAfter
		}
		left := deadline.Sub(s.cfg.now())
		if wait >= left {
			why := out.err.Error()
			if out.hasRetryAfter {
				why = fmt.Sprintf("%s (asked to retry after %s)", why, out.retryAfter)
			}
			err := fmt.Errorf("gave up on a batch of %d spans after %d attempts in %s (--timeout %s): %s",
				n, retry+1, s.cfg.now().Sub(start).Round(time.Millisecond), s.cfg.Timeout, why)
			s.fail(n, err)
			s.setStop(&EndpointError{Endpoint: s.endpointName(), Err: err})
			return
		}
		s.mu.Lock()
		s.stats.Retries++
		s.mu.Unlock()
		if err := s.cfg.sleep(ctx, wait); err != nil && s.ctx.Err() != nil {
			s.fail(n, errors.New("interrupted"))
			s.setStop(s.ctx.Err())
			return
		}
	}
}

// answered counts a request the receiver took, rejected of its spans
// refused (partial success).
func (s *Sender) answered(n, rejected int64, message string) {
	rejected = min(max(rejected, 0), n)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Sent += n
	s.stats.Accepted += n - rejected
	s.stats.Refused += rejected
	switch {
	case rejected > 0 && s.stats.Reason == "":
		s.stats.Reason = "partial success: " + message
		if message == "" {
			s.stats.Reason = "partial success (no message)"
		}
	case rejected == 0 && message != "" && s.stats.Note == "":
		s.stats.Note = message
	}
}

func (s *Sender) refused(n int64, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Sent += n
	s.stats.Refused += n
	if s.stats.Reason == "" {
		s.stats.Reason = reason
	}
}

// hintFor names the likely fix of an error that stops the run.
func (s *Sender) hintFor(err error) string {
	msg := err.Error()
	has := func(p string) bool { return len(msg) >= len(p) && msg[:len(p)] == p }
	switch {
	case has("HTTP 404"):
		return "an endpoint with a path is used as given; OTLP/HTTP receivers take POST " + TracesPath + " (--endpoint http://HOST:4318 adds it)"
	case has("HTTP 401"), has("HTTP 403"), has("gRPC Unauthenticated"), has("gRPC PermissionDenied"):
		return "pass the credentials the receiver wants with --header, e.g. --header 'Authorization=Bearer TOKEN'"
	case has("HTTP 415") && s.cfg.Protocol == HTTPJSON:
		return "the receiver may take only protobuf: try --protocol http/protobuf"
	case has("HTTP 405"), has("HTTP 415"), has("gRPC Unimplemented"):
		return "is it an OTLP endpoint of that protocol? OTLP/HTTP usually listens on port 4318, OTLP/gRPC on 4317"
	}
	return ""
}
