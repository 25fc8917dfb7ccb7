package spanjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tracectl/internal/spanjson/spanjsontest"
)

// Plain structs mirroring the MLflow v3 trace format, for the encoding/json
// baseline.
type jsonV3Trace struct {
	Info struct {
		TraceID         string `json:"trace_id"`
		ClientRequestID string `json:"client_request_id"`
		TraceLocation   struct {
			Type             string `json:"type"`
			MLflowExperiment struct {
				ExperimentID string `json:"experiment_id"`
			} `json:"mlflow_experiment"`
		} `json:"trace_location"`
		RequestTime         string            `json:"request_time"`
		ExecutionDurationMS int64             `json:"execution_duration_ms"`
		State               string            `json:"state"`
		RequestPreview      string            `json:"request_preview"`
		ResponsePreview     string            `json:"response_preview"`
		TraceMetadata       map[string]string `json:"trace_metadata"`
		Tags                map[string]string `json:"tags"`
	} `json:"info"`
	Data struct {
		Spans []jsonV3Span `json:"spans"`
	} `json:"data"`
}

type jsonV3Span struct {
	TraceID           string  `json:"trace_id"`
	SpanID            string  `json:"span_id"`
	TraceState        string  `json:"trace_state"`
	ParentSpanID      *string `json:"parent_span_id"`
	Name              string  `json:"name"`
	StartTimeUnixNano int64   `json:"start_time_unix_nano"`
	EndTimeUnixNano   int64   `json:"end_time_unix_nano"`
	Events            []struct {
		Name         string         `json:"name"`
		TimeUnixNano int64          `json:"time_unix_nano"`
		Attributes   map[string]any `json:"attributes"`
	} `json:"events"`
	Status struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Attributes map[string]string `json:"attributes"`
}

// benchSpans is TRACECTL_BENCH_SPANS, default 1,000,000 (about 570 MB).
func benchSpans(tb testing.TB) int {
	n := 1_000_000
	if s := os.Getenv("TRACECTL_BENCH_SPANS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			tb.Fatalf("TRACECTL_BENCH_SPANS=%q: want a positive integer", s)
		}
		n = v
	}
	return n
}

func decodeModelFile(path string) (int, error) {
	return decodeModelFileOn(path, 1)
}

// decodeModelFileOn decodes on workers goroutines, as the CLI does
// (ingest.Options.Workers: GOMAXPROCS).
func decodeModelFileOn(path string, workers int) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	d := NewDecoder(f, path)
	d.SetWorkers(workers)
	defer d.Close()
	docs, err := d.all()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range docs {
		for _, t := range d.Traces {
			n += len(t.Spans)
		}
	}
	runtime.KeepAlive(docs)
	return n, nil
}

func decodeEncodingJSONFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var t jsonV3Trace
	if err := json.Unmarshal(data, &t); err != nil {
		return 0, err
	}
	runtime.KeepAlive(&t)
	return len(t.Data.Spans), nil
}

// BenchmarkDecode generates one synthetic MLflow v3 trace into the
// benchmark's temp dir and decodes it with our Decoder (Model) and with
// encoding/json into plain structs (EncodingJSON); EncodingJSON reports how
// many times slower it is than Model, measured in the same run. PeakRSS
// decodes the file once in a child process per decoder and reports the
// child's peak resident memory relative to the file size.
func BenchmarkDecode(b *testing.B) {
	n := benchSpans(b)
	path := filepath.Join(b.TempDir(), "trace.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := spanjsontest.WriteV3Trace(f, n, 1); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := st.Size()
	b.Logf("%d spans, %d MB (%d bytes per span)", n, size>>20, size/int64(n))

	// The machine may be shared: besides wall time, each run reports the
	// process CPU time per decode (GC included), which contention distorts
	// less, and the ratio of both to the model decoder's.
	var modelNs, modelCPU float64
	b.Run("Model", func(b *testing.B) {
		runtime.GC()
		b.SetBytes(size)
		cpu0 := cpuTime()
		for b.Loop() {
			got, err := decodeModelFile(path)
			if err != nil || got != n {
				b.Fatalf("decoded %d spans, %v", got, err)
			}
		}
		modelNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		modelCPU = float64(cpuTime()-cpu0) / float64(b.N)
		b.ReportMetric(modelCPU, "cpu-ns/op")
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		runtime.GC()
		b.SetBytes(size)
		cpu0 := cpuTime()
		for b.Loop() {
			got, err := decodeEncodingJSONFile(path)
			if err != nil || got != n {
				b.Fatalf("decoded %d spans, %v", got, err)
			}
		}
		jsonCPU := float64(cpuTime()-cpu0) / float64(b.N)
		b.ReportMetric(jsonCPU, "cpu-ns/op")
		if modelNs > 0 {
			jsonNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(jsonNs/modelNs, "x-slower-than-model(wall)")
			b.ReportMetric(jsonCPU/modelCPU, "x-slower-than-model(cpu)")
		}
	})
	b.Run("PeakRSS", func(b *testing.B) {
		var model, enc float64
		for b.Loop() {
			model = childPeakRSS(b, "model", path)
			enc = childPeakRSS(b, "encoding-json", path)
		}
		b.ReportMetric(model/float64(size), "model-rss/file")
		b.ReportMetric(enc/float64(size), "encjson-rss/file")
		b.ReportMetric(float64(size)/(1<<20), "file-MB")
	})
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// childPeakRSS re-runs this test binary to decode path once with decoder
// and returns the child's peak resident set size in bytes.
//
// The child reports its own VmHWM (/proc/self/status): the Maxrss of
// ProcessState.SysUsage is not usable here, because Linux carries the
// parent's resident size over into a child started with vfork+exec (the
// benchmark process already holds hundreds of MB), so it would report the
// parent's size. Maxrss is used where VmHWM is not available.
func childPeakRSS(b *testing.B, decoder, path string) float64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecodePeakRSSChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TRACECTL_RSS_CHILD="+decoder, "TRACECTL_RSS_FILE="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child %s: %v\n%s", decoder, err, out)
	}
	if i := bytes.Index(out, []byte("VmHWM-bytes=")); i >= 0 {
		f := strings.Fields(string(out[i+len("VmHWM-bytes="):]))
		if len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil && v > 0 {
				return v
			}
		}
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Skip("no peak memory figure on this platform")
	}
	return float64(ru.Maxrss) * 1024 // Linux reports kilobytes
}

// vmHWM returns this process's peak resident set size from
// /proc/self/status, or 0.
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// TestDecodePeakRSSChild is the child process of BenchmarkDecode/PeakRSS;
// it does nothing in a normal test run.
func TestDecodePeakRSSChild(t *testing.T) {
	decoder, path := os.Getenv("TRACECTL_RSS_CHILD"), os.Getenv("TRACECTL_RSS_FILE")
	if decoder == "" {
		t.Skip("only run as BenchmarkDecode's child process")
	}
	start := time.Now()
	var n int
	var err error
	switch decoder {
	case "model":
		n, err = decodeModelFile(path)
	case "encoding-json":
		n, err = decodeEncodingJSONFile(path)
	default:
		err = fmt.Errorf("unknown decoder %q", decoder)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d spans in %v", decoder, n, time.Since(start))
	fmt.Printf("VmHWM-bytes=%d\n", vmHWM())
}
