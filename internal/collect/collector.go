package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"tracectl/internal/spanjson"
)

// Defaults of CollectorConfig.
const (
	DefaultMaxBody    = 32 << 20
	DefaultQueueSize  = 1024
	DefaultDrainGrace = 5 * time.Second
	DefaultMaxMemory  = 1 << 30
	// decodeCost is what a request costs in memory per byte of its
	// (decompressed) body while it is decoded: the body itself plus pdata
	// and the spans made from it. Measured on generated exports: protobuf
	// allocates 8.4 bytes per body byte, JSON 3.3; rounded up with the body.
	decodeCost = 9
	retryAfter = "1" // seconds, for 503 answers
)

// TraceSink receives every trace the collector lets go. WriteTraces is
// called from several goroutines at once; Close syncs what was written.
type TraceSink interface {
	// WriteTraces writes cts in order and returns how many of them (the
	// first n) are now in the output. On an error the others left nothing
	// in it; an *EncodeError says cts[n] can never be written, any other
	// error that writing failed and may work later.
	WriteTraces(cts []*CollectedTrace) (n int, err error)
	Close() error
}

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	Assembler AssemblerConfig
	// MaxBody bounds a request body in bytes, both as sent and after gzip
	// decompression. Default 32 MiB.
	MaxBody int64
	// MaxMemory bounds the memory of the requests read and decoded at once
	// (decodeCost per body byte): a request that would pass it gets 503
	// with Retry-After, unless it is the only one. Default 1 GiB.
	MaxMemory int64
	// QueueSize is how many finished traces may wait for the writers; when
	// the queue is full, requests get 503 with Retry-After. Default 1024.
	QueueSize int
	// Writers is the number of goroutines feeding the sink. Default 2.
	Writers int
	// Tick is how often due traces are looked for. Default: a tenth of the
	// shorter of Idle and TraceTimeout, within [10ms, 1s].
	Tick time.Duration
	// DrainGrace is how long Shutdown lets requests in flight finish after
	// it has written the traces held; then their connections are closed.
	// Default 5s; negative: none.
	DrainGrace time.Duration
	// RetryInterval is how often traces whose write failed are written
	// again (by the ticker). Default 1s.
	RetryInterval time.Duration
	Sink          TraceSink
	// Spool, when set, logs every accepted request before it is
	// acknowledged (see Spool); it must have been opened for Sink.
	Spool *Spool
	// ErrLog receives sink errors, one line each; nil discards them.
	ErrLog io.Writer
	// Quiet drops the warnings ErrLog would get (-q); errors still go.
	Quiet bool
	// OnWritten, when set, is called with each trace once it is in the
	// output, from the writer goroutines (concurrently).
	OnWritten func(*CollectedTrace)
	// OnReject, when set, is called for each request answered with an
	// error, from the handlers (concurrently).
	OnReject func(Rejection)
}

// Rejection is a request answered with an error.
type Rejection struct {
	Transport string // "http" or "grpc"
	Status    string // "503", "400"... or the gRPC code's name
	Reason    string
	Client    string // the client's address
}

// CollectorStats are the collector's counters (GET /stats, and printed at
// exit).
type CollectorStats struct {
	Requests          int64 `json:"requests"`
	RequestsBad       int64 `json:"requests_bad"`
	RequestsThrottled int64 `json:"requests_throttled"`
	SpansReceived     int64 `json:"spans_received"`
	SpansRejected     int64 `json:"spans_rejected"`
	SpansDuplicate    int64 `json:"spans_duplicate"`
	SpansWritten      int64 `json:"spans_written"`
	TracesWritten     int64 `json:"traces_written"`
	TracesIncomplete  int64 `json:"traces_incomplete"`
	TracesEvicted     int64 `json:"traces_evicted"`
	TracesSplit       int64 `json:"traces_split"`
	TracesHeld        int64 `json:"traces_held"`
	SpansHeld         int64 `json:"spans_held"`
	QueueLength       int64 `json:"queue_length"`
	// WriteErrors counts failed writes (each may hold many traces);
	// TracesUnwritten the traces they left, kept to be written again;
	// TracesLost those that could not be encoded, or were still unwritten
	// at shutdown.
	WriteErrors     int64 `json:"write_errors"`
	TracesUnwritten int64 `json:"traces_unwritten"`
	TracesLost      int64 `json:"traces_lost"`
	// SpansRecovered counts the spans Recover took from the spool (not
	// in SpansReceived); Spool, the spool's counters.
	SpansRecovered int64       `json:"spans_recovered,omitempty"`
	Spool          *SpoolStats `json:"spool,omitempty"`
}

// Collector is an OTLP/HTTP trace receiver: it decodes export requests,
// assembles their spans into traces and hands each finished trace to a
// sink through a bounded queue, answering 503 when the sink falls behind so
// that clients retry instead of anything being lost.
type Collector struct {
	cfg   CollectorConfig
	asm   *Assembler
	queue chan *CollectedTrace
	srv   *http.Server
	grpc  *grpc.Server

	startOnce, stopOnce sync.Once
	stopTick            chan struct{}
	tickDone            chan struct{}
	writers             sync.WaitGroup
	shutdownErr         error
	// addMu orders handlers' spans before Shutdown's last drain: handlers
	// hold it shared while they add spans; Shutdown takes it to set stopped.
	addMu   sync.RWMutex
	stopped bool

	requests, requestsBad, requestsThrottled           atomic.Int64
	spansReceived, spansRejected, spansDup, spansWrote atomic.Int64
	tracesWritten, tracesIncomplete, tracesEvicted     atomic.Int64
	tracesSplit                                        atomic.Int64
	writeErrors, tracesLost                            atomic.Int64
	spansRecovered                                     atomic.Int64
	spoolFailing                                       atomic.Bool
	lastTrim                                           time.Time // tickLoop's
	errLogMu                                           sync.Mutex

	// failing is set while writing fails: requests get 503 and writers keep
	// their traces in unwritten for retryUnwritten.
	failing   atomic.Bool
	failMu    sync.Mutex
	unwritten []*CollectedTrace
	retryMu   sync.Mutex
	lastRetry time.Time

	mem     memBudget
	bufPool sync.Pool // *bytes.Buffer
	gzPool  sync.Pool // *gzip.Reader
}

// NewCollector returns a collector; Start runs it.
func NewCollector(cfg CollectorConfig) *Collector {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxMemory <= 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 2
	}
	if cfg.DrainGrace == 0 {
		cfg.DrainGrace = DefaultDrainGrace
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	asm := NewAssembler(cfg.Assembler)
	cfg.Assembler = asm.Config()
	if cfg.Tick <= 0 {
		cfg.Tick = min(cfg.Assembler.Idle, cfg.Assembler.TraceTimeout) / 10
		cfg.Tick = max(10*time.Millisecond, min(time.Second, cfg.Tick))
	}
	c := &Collector{
		cfg:      cfg,
		asm:      asm,
		mem:      memBudget{max: cfg.MaxMemory},
		queue:    make(chan *CollectedTrace, cfg.QueueSize),
		stopTick: make(chan struct{}),
		tickDone: make(chan struct{}),
	}
	if sp := cfg.Spool; sp != nil {
		asm.ref = func(seg uint64) { sp.ref(seg, 1) }
	}
	c.bufPool.New = func() any { return new(bytes.Buffer) }
	c.grpc = c.newGRPCServer()
	c.srv = &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a body that trickles in cannot hold a handler forever
		IdleTimeout:       2 * time.Minute,
	}
	return c
}

// Assembler returns the collector's assembler.
func (c *Collector) Assembler() *Assembler { return c.asm }

// Start starts the writers and the expiry ticker and, when ln is not nil,
// serves HTTP on ln in the background.
func (c *Collector) Start(ln net.Listener) {
	c.startOnce.Do(func() {
		for range c.cfg.Writers {
			c.writers.Add(1)
			go c.writeLoop()
		}
		go c.tickLoop()
	})
	if ln != nil {
		go func() { _ = c.srv.Serve(ln) }()
	}
}

// Shutdown stops accepting connections and writes every trace held (those
// without a root marked incomplete) at once; meanwhile requests in flight
// get DrainGrace (or until ctx ends) to finish, then their connections are
// closed (a client that trickles its body cannot hold the drain). The spans
// of the requests that did finish are written too; then the sink is closed
// (fsync). A second call returns the first result.
func (c *Collector) Shutdown(ctx context.Context) error {
	c.stopOnce.Do(func() {
		c.Start(nil) // writers must run for the drain below
		var errs []error
		graceCtx, cancel := context.WithTimeout(ctx, max(c.cfg.DrainGrace, 0))
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- c.srv.Shutdown(graceCtx) }()
		grpcDone := make(chan struct{})
		go func() {
			// Like the HTTP server: new RPCs are refused at once, those in
			// flight get the grace, then their connections are closed.
			stopped := make(chan struct{})
			go func() { c.grpc.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-graceCtx.Done():
				c.grpc.Stop()
				<-stopped
			}
			close(grpcDone)
		}()
		close(c.stopTick)
		<-c.tickDone
		// The traces held go first, while requests finish.
		for _, ct := range c.asm.Drain() {
			c.queue <- ct
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = c.srv.Close()
		}
		<-grpcDone
		c.addMu.Lock()
		c.stopped = true
		c.addMu.Unlock()
		for _, ct := range c.asm.Drain() {
			c.queue <- ct
		}
		close(c.queue)
		c.writers.Wait()
		if c.failing.Load() {
			c.RetryNow()
		}
		if n := c.unwrittenLen(); n > 0 {
			c.tracesLost.Add(int64(n))
			if c.cfg.Spool != nil {
				errs = append(errs, fmt.Errorf("%d traces could not be written: they stay in the spool and are written at the next start", n))
			} else {
				errs = append(errs, fmt.Errorf("%d traces could not be written", n))
			}
		}
		if c.cfg.Spool != nil {
			if err := c.cfg.Spool.Trim(); err != nil { // syncs the output first
				errs = append(errs, err)
			}
		}
		if c.cfg.Sink != nil {
			if err := c.cfg.Sink.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.cfg.Spool != nil {
			if err := c.cfg.Spool.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		c.shutdownErr = errors.Join(errs...)
	})
	return c.shutdownErr
}

// Stats returns the current counters.
func (c *Collector) Stats() CollectorStats {
	traces, spans := c.asm.Held()
	var sp *SpoolStats
	if c.cfg.Spool != nil {
		st := c.cfg.Spool.Stats()
		sp = &st
	}
	return CollectorStats{
		SpansRecovered:    c.spansRecovered.Load(),
		Spool:             sp,
		Requests:          c.requests.Load(),
		RequestsBad:       c.requestsBad.Load(),
		RequestsThrottled: c.requestsThrottled.Load(),
		SpansReceived:     c.spansReceived.Load(),
		SpansRejected:     c.spansRejected.Load(),
		SpansDuplicate:    c.spansDup.Load() + c.asm.LateDuplicates(),
		SpansWritten:      c.spansWrote.Load(),
		TracesWritten:     c.tracesWritten.Load(),
		TracesIncomplete:  c.tracesIncomplete.Load(),
		TracesEvicted:     c.tracesEvicted.Load(),
		TracesSplit:       c.tracesSplit.Load(),
		TracesHeld:        int64(traces),
		SpansHeld:         int64(spans),
		QueueLength:       int64(len(c.queue)),
		WriteErrors:       c.writeErrors.Load(),
		TracesUnwritten:   int64(c.unwrittenLen()),
		TracesLost:        c.tracesLost.Load(),
	}
}

func (c *Collector) tickLoop() {
	defer close(c.tickDone)
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-c.stopTick:
			return
		case <-t.C:
			c.ExpireNow()
			if sp := c.cfg.Spool; sp != nil && time.Since(c.lastTrim) >= spoolTrimInterval {
				c.lastTrim = time.Now()
				if err := sp.Trim(); err != nil && !c.cfg.Quiet {
					c.logf("tracectl: warning: trimming the spool: %v\n", err)
				}
			}
			if c.failing.Load() {
				c.retryMu.Lock()
				due := time.Since(c.lastRetry) >= c.cfg.RetryInterval
				c.retryMu.Unlock()
				if due {
					c.RetryNow()
				}
			}
		}
	}
}

// ExpireNow lets go the traces that are due and queues them for writing
// (blocking while the queue is full). The ticker calls it; tests with a
// fake clock call it directly.
func (c *Collector) ExpireNow() {
	for _, ct := range c.asm.Expire() {
		c.queue <- ct
	}
}

// spoolTrimInterval is how often the output is synced so that the spool
// segments of the traces written can be deleted.
const spoolTrimInterval = time.Second

// maxBatch bounds the traces a writer takes from the queue for one write.
const maxBatch = 256

func (c *Collector) writeLoop() {
	defer c.writers.Done()
	batch := make([]*CollectedTrace, 0, maxBatch)
	for ct := range c.queue {
		batch = append(batch[:0], ct)
	more:
		for len(batch) < maxBatch {
			select {
			case ct, ok := <-c.queue:
				if !ok {
					break more
				}
				batch = append(batch, ct)
			default:
				break more
			}
		}
		if c.failing.Load() {
			c.keepUnwritten(batch, nil) // RetryNow writes them once writing works
			continue
		}
		if rest, err := c.write(batch); err != nil {
			c.keepUnwritten(rest, err)
		}
	}
}

// write hands cts to the sink and counts what it wrote. Traces that cannot
// be encoded are dropped and counted as lost; when writing fails, the
// traces not written are returned with the error.
func (c *Collector) write(cts []*CollectedTrace) ([]*CollectedTrace, error) {
	for len(cts) > 0 {
		n := len(cts)
		var err error
		if c.cfg.Sink != nil {
			n, err = c.cfg.Sink.WriteTraces(cts)
		}
		c.countWritten(cts[:n])
		if c.cfg.Spool != nil {
			c.cfg.Spool.written(cts[:n])
		}
		cts = cts[n:]
		var encErr *EncodeError
		switch {
		case err == nil:
			return nil, nil
		case errors.As(err, &encErr) && len(cts) > 0:
			c.tracesLost.Add(1)
			c.logf("tracectl: error: %v\n", err)
			if c.cfg.Spool != nil {
				c.cfg.Spool.written(cts[:1]) // it never can be: the spool need not keep it
			}
			cts = cts[1:]
		default:
			c.writeErrors.Add(1)
			return cts, err
		}
	}
	return nil, nil
}

func (c *Collector) countWritten(cts []*CollectedTrace) {
	for _, ct := range cts {
		c.tracesWritten.Add(1)
		c.spansWrote.Add(int64(len(ct.Trace.Spans)))
		c.spansDup.Add(int64(ct.Duplicates))
		if ct.Incomplete != "" {
			c.tracesIncomplete.Add(1)
		}
		if ct.Evicted {
			c.tracesEvicted.Add(1)
		}
		if ct.Split {
			c.tracesSplit.Add(1)
		}
		if c.cfg.OnWritten != nil {
			c.cfg.OnWritten(ct)
		}
	}
}

// keepUnwritten keeps cts to be written again. err, when not nil, is a
// write that just failed; the first one while writing worked is logged and
// turns new requests away with 503.
func (c *Collector) keepUnwritten(cts []*CollectedTrace, err error) {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	c.unwritten = append(c.unwritten, cts...)
	if was := c.failing.Swap(true); err != nil && !was {
		c.logf("tracectl: error: writing the output: %v: answering 503 and keeping the traces until writing works again\n", err)
	}
}

func (c *Collector) unwrittenLen() int {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	return len(c.unwritten)
}

// RetryNow writes the traces a failed write left. When all of them are
// written, requests are accepted again. The ticker calls it every
// RetryInterval while writing fails; tests call it directly.
func (c *Collector) RetryNow() {
	c.retryMu.Lock()
	defer c.retryMu.Unlock()
	c.lastRetry = time.Now()
	written := 0
	for {
		c.failMu.Lock()
		cts := c.unwritten
		c.unwritten = nil
		if len(cts) == 0 {
			wasFailing := c.failing.Swap(false)
			c.failMu.Unlock()
			if wasFailing {
				c.logf("tracectl: writing the output works again: %d kept traces written\n", written)
			}
			return
		}
		c.failMu.Unlock()
		rest, err := c.write(cts)
		written += len(cts) - len(rest)
		if err != nil {
			c.failMu.Lock()
			c.unwritten = append(rest, c.unwritten...)
			c.failMu.Unlock()
			return
		}
	}
}

func (c *Collector) logf(format string, a ...any) {
	if c.cfg.ErrLog == nil {
		return
	}
	c.errLogMu.Lock()
	defer c.errLogMu.Unlock()
	fmt.Fprintf(c.cfg.ErrLog, format, a...)
}

// Handler serves POST /v1/traces, GET /healthz and GET /stats.
func (c *Collector) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", c.handleTraces)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !getOrHead(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		if !getOrHead(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.MarshalIndent(c.Stats(), "", "  ")
		_, _ = w.Write(append(b, '\n'))
	})
	return mux
}

func getOrHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, fmt.Sprintf("method %s not allowed: use GET", r.Method), http.StatusMethodNotAllowed)
	return false
}

type wireFormat int

const (
	wireProto wireFormat = iota
	wireJSON
)

// httpError is a request that gets an error status; msg goes into the
// google.rpc.Status body.
type httpError struct {
	code int
	msg  string
	// overload marks a 503 for load (gRPC: RESOURCE_EXHAUSTED) rather
	// than for a state of the collector (UNAVAILABLE).
	overload bool
}

func (c *Collector) handleTraces(w http.ResponseWriter, r *http.Request) {
	c.requests.Add(1)
	format, herr := c.serveExport(w, r)
	if herr != nil {
		if herr.code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfter)
		}
		c.rejected(herr, "http", r.RemoteAddr)
		writeRPCStatus(w, format, herr.code, herr.msg)
	}
}

// serveExport handles one export request and writes the success answer;
// on failure it returns the error for the caller to answer.
func (c *Collector) serveExport(w http.ResponseWriter, r *http.Request) (wireFormat, *httpError) {
	// Errors are answered in the request's encoding when it has a known
	// one, in JSON otherwise.
	format := wireJSON
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	known := err == nil && (mt == "application/x-protobuf" || mt == "application/json")
	if known && mt == "application/x-protobuf" {
		format = wireProto
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return format, &httpError{http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: use POST", r.Method), false}
	}
	if !known {
		return format, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q: want application/x-protobuf or application/json", r.Header.Get("Content-Type")), false}
	}
	var gz bool
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		gz = true
	default:
		return format, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content encoding %q: want gzip or none", enc), false}
	}
	if herr := c.admit(); herr != nil {
		return format, herr
	}
	if r.ContentLength > c.cfg.MaxBody {
		return format, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the limit of %d bytes", r.ContentLength, c.cfg.MaxBody), false}
	}

	// Memory: reserve the body as sent before reading it, then what
	// decoding the body as read will take.
	held := c.cfg.MaxBody
	if r.ContentLength >= 0 && !gz {
		held = r.ContentLength
	}
	if !c.mem.tryAcquire(held, 0) {
		return format, errMemory
	}
	defer func() { c.mem.release(held) }()
	buf := c.bufPool.Get().(*bytes.Buffer)
	defer c.putBuf(buf)
	buf.Reset()
	if herr := c.readBody(buf, r.Body, gz); herr != nil {
		return format, herr
	}
	if need := decodeCost * int64(buf.Len()); need > held {
		if !c.mem.tryAcquire(need-held, held) {
			return format, errMemory
		}
		held = need
	}

	res, herr := decodeExport(format, buf.Bytes())
	if herr != nil {
		return format, herr
	}
	if herr := c.file(res, format, func() ([]byte, error) { return buf.Bytes(), nil }); herr != nil {
		return format, herr
	}

	resp := ptraceotlp.NewExportResponse()
	if res.Rejected > 0 {
		ps := resp.PartialSuccess()
		ps.SetRejectedSpans(int64(res.Rejected))
		ps.SetErrorMessage(fmt.Sprintf("%d spans rejected; first: %s", res.Rejected, res.Reason))
	}
	var body []byte
	if format == wireProto {
		body, err = resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
	} else {
		body, err = resp.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
	}
	if err != nil {
		return format, &httpError{http.StatusInternalServerError, err.Error(), false}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return format, nil
}

var errMemory = &httpError{http.StatusServiceUnavailable, "too many requests in flight for --max-memory: retry later", true}

// memBudget bounds the bytes reserved by requests in flight. It is a
// counter rather than a weighted semaphore because one request may always
// pass, even over the budget, when it is alone (else a request costing more
// than the budget would never be served).
type memBudget struct {
	mu        sync.Mutex
	used, max int64
}

// tryAcquire reserves n more bytes for a request that holds own already.
func (m *memBudget) tryAcquire(n, own int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used > own && m.used+n > m.max {
		return false
	}
	m.used += n
	return true
}

// full says the budget is spent: a new request would have to wait.
func (m *memBudget) full() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used > 0 && m.used >= m.max
}

func (m *memBudget) release(n int64) {
	m.mu.Lock()
	m.used -= n
	m.mu.Unlock()
}

// rejected counts a request answered with herr, as throttled (503: retry
// later) or bad, whatever its transport, and reports it to OnReject.
func (c *Collector) rejected(herr *httpError, transport, client string) {
	if herr.code == http.StatusServiceUnavailable {
		c.requestsThrottled.Add(1)
	} else {
		c.requestsBad.Add(1)
	}
	if c.cfg.OnReject == nil {
		return
	}
	r := Rejection{Transport: transport, Status: strconv.Itoa(herr.code), Reason: herr.msg, Client: client}
	if transport == "grpc" {
		r.Status = status.Code(grpcStatus(herr)).String()
	}
	c.cfg.OnReject(r)
}

// admit says whether a new export can be taken now: 503 (overload) while
// the writers are behind, 503 while writing fails.
func (c *Collector) admit() *httpError {
	if len(c.queue) >= cap(c.queue) {
		return &httpError{http.StatusServiceUnavailable, "the trace writer is behind: retry later", true}
	}
	if c.failing.Load() {
		return &httpError{http.StatusServiceUnavailable, "the output cannot be written: retry later", false}
	}
	return nil
}

// file takes the spans of a decoded export, whatever its transport: with a
// spool, body (the request encoded in format) is on disk first; then the
// spans go to the assembler and the traces it lets go to the writers.
func (c *Collector) file(res spanjson.PdataResult, format wireFormat, body func() ([]byte, error)) *httpError {
	c.addMu.RLock()
	defer c.addMu.RUnlock()
	if c.stopped {
		return &httpError{http.StatusServiceUnavailable, "shutting down: retry later", false}
	}
	var seg uint64
	if c.cfg.Spool != nil && len(res.Spans) > 0 {
		// On disk before it is acknowledged (and before Shutdown can
		// stop: addMu is held).
		b, err := body()
		if err == nil {
			seg, err = c.cfg.Spool.Append(format, b)
		}
		if err != nil {
			if !c.spoolFailing.Swap(true) {
				c.logf("tracectl: error: %v: answering 503 until it works again\n", err)
			}
			return &httpError{http.StatusServiceUnavailable, "the spool cannot be written: retry later", false}
		}
		if c.spoolFailing.Swap(false) {
			c.logf("tracectl: writing the spool works again\n")
		}
	}
	c.spansReceived.Add(int64(len(res.Spans)))
	c.spansRejected.Add(int64(res.Rejected))
	for _, ct := range c.asm.AddFrom(res.Spans, seg) {
		c.queue <- ct
	}
	if seg != 0 {
		c.cfg.Spool.Unpin(seg)
	}
	return nil
}

// decodeExport decodes an export request body into spans.
func decodeExport(format wireFormat, body []byte) (spanjson.PdataResult, *httpError) {
	req := ptraceotlp.NewExportRequest()
	var err error
	if format == wireProto {
		err = req.UnmarshalProto(body)
	} else {
		err = req.UnmarshalJSON(body)
	}
	if err != nil {
		kind := "protobuf"
		if format == wireJSON {
			kind = "JSON"
		}
		return spanjson.PdataResult{}, &httpError{http.StatusBadRequest, fmt.Sprintf("malformed %s ExportTraceServiceRequest: %v", kind, err), false}
	}
	return spanjson.SpansFromPdata(req.Traces()), nil
}

// RecoverStats says what Recover took from the spool.
type RecoverStats struct {
	Requests     int64 // requests replayed
	Spans        int64 // their spans
	SpansWritten int64 // of those, the ones the output already had
}

// Recover replays the spool segments an earlier run left (a crash, or
// traces it could not write): their spans, less those the output already
// has (read back from the sink), are filed as if just received, and the
// spans found in the output are remembered as written, so retries of them
// are dropped. It starts the writers (Start(nil)); call it before Start
// serves requests.
func (c *Collector) Recover() (RecoverStats, error) {
	var st RecoverStats
	sp := c.cfg.Spool
	if sp == nil {
		return st, nil
	}
	pos, ok := sp.oldestPos()
	if !ok {
		return st, nil
	}
	c.Start(nil)
	type key struct {
		t spanjson.TraceID
		s spanjson.SpanID
	}
	written := make(map[key]struct{})
	byTrace := make(map[spanjson.TraceID][]spanjson.SpanID)
	err := sp.sink.WrittenSince(pos, func(s spanjson.Span) {
		k := key{s.TraceID(), s.SpanID()}
		if _, dup := written[k]; !dup {
			written[k] = struct{}{}
			byTrace[k.t] = append(byTrace[k.t], k.s)
		}
	})
	if err != nil {
		return st, fmt.Errorf("reading the output back to replay the spool: %w", err)
	}
	for id, spans := range byTrace {
		c.asm.Remember(id, spans)
	}
	err = sp.replay(func(seg uint64, format wireFormat, body []byte) error {
		res, herr := decodeExport(format, body)
		if herr != nil {
			return errors.New(herr.msg)
		}
		kept := res.Spans[:0]
		for _, s := range res.Spans {
			if _, ok := written[key{s.TraceID(), s.SpanID()}]; ok {
				st.SpansWritten++
				continue
			}
			kept = append(kept, s)
		}
		st.Requests++
		st.Spans += int64(len(res.Spans))
		c.spansRecovered.Add(int64(len(kept)))
		for _, ct := range c.asm.AddFrom(kept, seg) {
			c.queue <- ct
		}
		return nil
	})
	sp.recovered = nil
	// Segments whose spans were all in the output are needed no more.
	return st, errors.Join(err, sp.Trim())
}

func (c *Collector) putBuf(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return // do not keep huge buffers around
	}
	c.bufPool.Put(b)
}

// readBody reads the body, decompressing it if gz, into buf, enforcing
// MaxBody on both the sent and the decompressed size (gzip bombs).
func (c *Collector) readBody(buf *bytes.Buffer, body io.Reader, gz bool) *httpError {
	limit := c.cfg.MaxBody
	tooBig := func(what string) *httpError {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is over the limit of %d bytes", what, limit), false}
	}
	raw := &io.LimitedReader{R: body, N: limit + 1}
	var src io.Reader = raw
	var zr *gzip.Reader
	if gz {
		if v := c.gzPool.Get(); v != nil {
			zr = v.(*gzip.Reader)
			if err := zr.Reset(raw); err != nil {
				c.gzPool.Put(zr)
				return c.bodyReadError(err, raw, "gzip body")
			}
		} else {
			var err error
			if zr, err = gzip.NewReader(raw); err != nil {
				return c.bodyReadError(err, raw, "gzip body")
			}
		}
		defer c.gzPool.Put(zr)
		src = &io.LimitedReader{R: zr, N: limit + 1}
	}
	if _, err := buf.ReadFrom(src); err != nil {
		return c.bodyReadError(err, raw, "body")
	}
	if raw.N <= 0 {
		return tooBig("body")
	}
	if int64(buf.Len()) > limit {
		return tooBig("decompressed body")
	}
	return nil
}

func (c *Collector) bodyReadError(err error, raw *io.LimitedReader, what string) *httpError {
	if raw.N <= 0 {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body is over the limit of %d bytes", c.cfg.MaxBody), false}
	}
	return &httpError{http.StatusBadRequest, fmt.Sprintf("cannot read %s: %v", what, err), false}
}

// writeRPCStatus answers with a google.rpc.Status in the request's
// encoding, as the OTLP/HTTP specification asks.
func writeRPCStatus(w http.ResponseWriter, format wireFormat, code int, msg string) {
	st := &statuspb.Status{Code: rpcCode(code), Message: msg}
	var body []byte
	var err error
	if format == wireProto {
		w.Header().Set("Content-Type", "application/x-protobuf")
		body, err = proto.Marshal(st)
	} else {
		w.Header().Set("Content-Type", "application/json")
		body, err = protojson.Marshal(st)
	}
	if err != nil {
		body = nil
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// rpcCode maps an HTTP status to the closest gRPC code.
func rpcCode(httpCode int) int32 {
	switch httpCode {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusRequestEntityTooLarge:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	case http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		return 12 // UNIMPLEMENTED
	}
	return 13 // INTERNAL
}
