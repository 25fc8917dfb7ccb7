package collect

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"tracectl/internal/spanjson"
)

// colCountSink counts what it is given and throws it away.
type colCountSink struct{ spans atomic.Int64 }

func (s *colCountSink) WriteTraces(cts []*CollectedTrace) (int, error) {
	for _, ct := range cts {
		s.spans.Add(int64(len(ct.Trace.Spans)))
	}
	return len(cts), nil
}
func (s *colCountSink) Close() error { return nil }

// colBenchBodies makes n protobuf export requests of spansPer spans each: 100
// traces of 5 spans per request, shuffled within the request.
func colBenchBodies(b *testing.B, n, spansPer int) [][]byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := make([][]byte, n)
	for i := range bodies {
		var spans []colLoadSpan
		for _, tr := range colGenTraces(rng, i+1, spansPer/5, 1) {
			// colGenTraces with maxSpans 1 gives roots; add 4 children.
			root := tr[0]
			spans = append(spans, root)
			for j := 1; j < 5; j++ {
				c := root
				c.span[5] = byte(j)
				c.parent = root.span
				c.name = root.name + "-child"
				spans = append(spans, c)
			}
		}
		rng.Shuffle(len(spans), func(x, y int) { spans[x], spans[y] = spans[y], spans[x] })
		body, err := colLoadBody(spans, false)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	return bodies
}

// generate posts every body once from senders goroutines, retrying 503s.
func colGenerate(url string, bodies [][]byte, senders int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: time.Minute}
			defer client.CloseIdleConnections()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				if err := colSendWithRetry(client, url, "application/x-protobuf", "", bodies[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// colDiscardServer reads each body and answers an empty 200: the upper bound
// of what any receiver on this HTTP stack can do.
func colDiscardServer(b *testing.B) (string, func()) {
	ln := colListen(b)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/v1/traces", func() { _ = srv.Close() }
}

// jsonlBenchSink writes schema into a JSON Lines file under b.TempDir().
func jsonlBenchSink(schema spanjson.Schema) func(b *testing.B) (TraceSink, func() int64) {
	return func(b *testing.B) (TraceSink, func() int64) {
		if _, _, err := spanjson.AppendTrace(nil, schema, &spanjson.Trace{}); errors.Is(err, spanjson.ErrNotImplemented) {
			b.Skipf("the %s writer is not built yet", schema)
		}
		s, err := OpenJSONLSink(filepath.Join(b.TempDir(), "out.jsonl"), schema)
		if err != nil {
			b.Fatal(err)
		}
		return s, nil
	}
}

// colIngestSetup is how every ingest benchmark begins: the GC setting of
// tracectl collect (GOGC=400 unless GOGC is set), 200 generated protobuf
// bodies of 500 spans, the number of senders and the spans sent.
func colIngestSetup(b *testing.B) (bodies [][]byte, senders int, total int64) {
	const (
		bodiesPerRound = 200
		spansPerBody   = 500
	)
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(400)
		b.Cleanup(func() { debug.SetGCPercent(prev) })
	}
	return colBenchBodies(b, bodiesPerRound, spansPerBody), max(4, 2*runtime.GOMAXPROCS(0)), int64(bodiesPerRound * spansPerBody)
}

// colListen listens on a fresh 127.0.0.1 port.
func colListen(b *testing.B) net.Listener {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln
}

// BenchmarkCollectIngest measures sustained ingest: a load generator on
// this machine posts protobuf bodies of 500 spans (100 five-span traces
// each) to the collector, which assembles and writes every trace; after
// the last body the same shutdown path as SIGTERM writes what is held. The
// spans written are checked against the spans sent. The same generator
// against a discard-only handler gives the ratio, in the same run.
//
//	spans/s          collector throughput (nothing lost)
//	discard-spans/s  the discard-only handler's throughput
//	ratio            collector / discard
//	spans/cpu-s      spans per CPU second of the process, generator included
//	cpu-ratio        CPU per span of discard / of the collector
func BenchmarkCollectIngest(b *testing.B) {
	bodies, senders, total := colIngestSetup(b)

	sinks := map[string]func(b *testing.B) (TraceSink, func() int64){
		"sink=count": func(*testing.B) (TraceSink, func() int64) {
			s := &colCountSink{}
			return s, s.spans.Load
		},
		"sink=jsonl-v3":   jsonlBenchSink(spanjson.SchemaMLflowV3),
		"sink=jsonl-otlp": jsonlBenchSink(spanjson.SchemaOTLP),
	}
	for _, name := range []string{"sink=count", "sink=jsonl-v3", "sink=jsonl-otlp"} {
		b.Run(name, func(b *testing.B) {
			discardURL, stop := colDiscardServer(b)
			defer stop()
			var collectTime, discardTime, collectCPU, discardCPU time.Duration
			rounds := 0
			for b.Loop() {
				sink, counted := sinks[name](b)
				ln := colListen(b)
				c := NewCollector(CollectorConfig{Assembler: AssemblerConfig{Idle: 100 * time.Millisecond}, Sink: sink})
				c.Start(ln)
				start, cpu := time.Now(), processCPU()
				if err := colGenerate("http://"+ln.Addr().String()+"/v1/traces", bodies, senders); err != nil {
					b.Fatal(err)
				}
				if err := c.Shutdown(context.Background()); err != nil {
					b.Fatal(err)
				}
				collectTime += time.Since(start)
				collectCPU += processCPU() - cpu
				st := c.Stats()
				if st.SpansReceived != total || st.SpansWritten != total || (counted != nil && counted() != total) {
					b.Fatalf("spans sent %d, received %d, written %d: something was lost", total, st.SpansReceived, st.SpansWritten)
				}

				start, cpu = time.Now(), processCPU()
				if err := colGenerate(discardURL, bodies, senders); err != nil {
					b.Fatal(err)
				}
				discardTime += time.Since(start)
				discardCPU += processCPU() - cpu
				rounds++
			}
			spans := float64(total) * float64(rounds)
			b.ReportMetric(spans/collectTime.Seconds(), "spans/s")
			b.ReportMetric(spans/discardTime.Seconds(), "discard-spans/s")
			b.ReportMetric(discardTime.Seconds()/collectTime.Seconds(), "ratio")
			if collectCPU > 0 && discardCPU > 0 {
				// CPU seconds (generator included) do not depend on what
				// else runs on the machine the way wall time does.
				b.ReportMetric(spans/collectCPU.Seconds(), "spans/cpu-s")
				b.ReportMetric(discardCPU.Seconds()/collectCPU.Seconds(), "cpu-ratio")
			}
		})
	}
}

// BenchmarkCollectIngestSpool measures what --spool costs: each round runs
// the generator of BenchmarkCollectIngest against a collector writing MLflow
// v3 JSON Lines, once without a spool and once with one (every request
// fsynced before its 200, group commit), and checks nothing was lost.
//
//	spans/s          with the spool
//	nospool-spans/s  without it, same round
//	ratio            with / without (target: at least 0.5)
//	fsyncs/s         spool fsyncs per second
//	reqs/fsync       requests per fsync (what group commit shares)
func BenchmarkCollectIngestSpool(b *testing.B) {
	bodies, senders, total := colIngestSetup(b)
	run := func(spooled bool) (time.Duration, SpoolStats) {
		dir := b.TempDir()
		sink, err := OpenJSONLSink(filepath.Join(dir, "out.jsonl"), spanjson.SchemaMLflowV3)
		if err != nil {
			b.Fatal(err)
		}
		var sp *Spool
		if spooled {
			if sp, _, err = OpenSpool(filepath.Join(dir, "spool"), sink); err != nil {
				b.Fatal(err)
			}
		}
		ln := colListen(b)
		c := NewCollector(CollectorConfig{Assembler: AssemblerConfig{Idle: 100 * time.Millisecond}, Sink: sink, Spool: sp})
		c.Start(ln)
		start := time.Now()
		if err := colGenerate("http://"+ln.Addr().String()+"/v1/traces", bodies, senders); err != nil {
			b.Fatal(err)
		}
		if err := c.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		st := c.Stats()
		if st.SpansReceived != total || st.SpansWritten != total {
			b.Fatalf("spans sent %d, received %d, written %d: something was lost", total, st.SpansReceived, st.SpansWritten)
		}
		if st.Spool != nil {
			return d, *st.Spool
		}
		return d, SpoolStats{}
	}
	var with, without time.Duration
	var fsyncs, appended int64
	rounds := 0
	for b.Loop() {
		d, _ := run(false)
		without += d
		d, st := run(true)
		with += d
		fsyncs += st.Fsyncs
		appended += st.Appended
		rounds++
	}
	spans := float64(total) * float64(rounds)
	b.ReportMetric(spans/with.Seconds(), "spans/s")
	b.ReportMetric(spans/without.Seconds(), "nospool-spans/s")
	b.ReportMetric(without.Seconds()/with.Seconds(), "ratio")
	b.ReportMetric(float64(fsyncs)/with.Seconds(), "fsyncs/s")
	if fsyncs > 0 {
		b.ReportMetric(float64(appended)/float64(fsyncs), "reqs/fsync")
	}
}

// colRawCodec sends bytes already encoded as they are, so the gRPC
// generator does no more work than the HTTP one (which posts encoded
// bodies): the comparison is of the receivers.
type colRawCodec struct{}

func (colRawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (colRawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append((*v.(*[]byte))[:0], data...)
	return nil
}
func (colRawCodec) Name() string { return "proto" }

// colGenerateGRPC sends every body once over OTLP/gRPC from senders
// goroutines sharing one connection (as an SDK does), retrying the answers
// the OTLP specification calls retryable.
func colGenerateGRPC(addr string, bodies [][]byte, senders int) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	const method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var resp []byte
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				for {
					err := cc.Invoke(context.Background(), method, &bodies[i], &resp, grpc.ForceCodec(colRawCodec{}))
					if c := status.Code(err); c == codes.Unavailable || c == codes.ResourceExhausted {
						time.Sleep(10 * time.Millisecond)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkCollectIngestGRPC compares the two transports in the same run:
// the generator of BenchmarkCollectIngest sends the same bodies over HTTP
// and over gRPC to a collector counting what it writes.
//
//	spans/s       over gRPC
//	http-spans/s  over HTTP
//	ratio         gRPC / HTTP throughput (target: at least 1)
//	cpu-ratio     CPU per span over HTTP / over gRPC
func BenchmarkCollectIngestGRPC(b *testing.B) {
	bodies, senders, total := colIngestSetup(b)
	run := func(overGRPC bool) (time.Duration, time.Duration) {
		sink := &colCountSink{}
		ln := colListen(b)
		c := NewCollector(CollectorConfig{Assembler: AssemblerConfig{Idle: 100 * time.Millisecond}, Sink: sink})
		var err error
		start, cpu := time.Now(), processCPU()
		if overGRPC {
			c.Start(nil)
			c.ServeGRPC(ln)
			err = colGenerateGRPC(ln.Addr().String(), bodies, senders)
		} else {
			c.Start(ln)
			err = colGenerate("http://"+ln.Addr().String()+"/v1/traces", bodies, senders)
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		d, used := time.Since(start), processCPU()-cpu
		if sink.spans.Load() != total {
			b.Fatalf("grpc=%v: %d spans written of %d sent", overGRPC, sink.spans.Load(), total)
		}
		return d, used
	}
	var overGRPC, overHTTP, cpuGRPC, cpuHTTP time.Duration
	rounds := 0
	for b.Loop() {
		d, c := run(false)
		overHTTP += d
		cpuHTTP += c
		d, c = run(true)
		overGRPC += d
		cpuGRPC += c
		rounds++
	}
	spans := float64(total) * float64(rounds)
	b.ReportMetric(spans/overGRPC.Seconds(), "spans/s")
	b.ReportMetric(spans/overHTTP.Seconds(), "http-spans/s")
	b.ReportMetric(overHTTP.Seconds()/overGRPC.Seconds(), "ratio")
	if cpuGRPC > 0 && cpuHTTP > 0 {
		// CPU per span (generator included) does not swing with the
		// machine's load the way wall time does.
		b.ReportMetric(cpuHTTP.Seconds()/cpuGRPC.Seconds(), "cpu-ratio")
	}
}
