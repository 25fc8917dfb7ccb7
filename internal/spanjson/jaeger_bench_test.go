package spanjson

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Plain structs of the Jaeger UI model, for the encoding/json baseline.
type jsonJaegerTrace struct {
	TraceID   string                       `json:"traceID"`
	Spans     []jsonJaegerSpan             `json:"spans"`
	Processes map[string]jsonJaegerProcess `json:"processes"`
	Warnings  []string                     `json:"warnings"`
}

type jsonJaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	Flags         uint32 `json:"flags"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime uint64          `json:"startTime"`
	Duration  uint64          `json:"duration"`
	Tags      []jsonJaegerKV  `json:"tags"`
	Logs      []jsonJaegerLog `json:"logs"`
	ProcessID string          `json:"processID"`
	Warnings  []string        `json:"warnings"`
}

type jsonJaegerKV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type jsonJaegerLog struct {
	Timestamp uint64         `json:"timestamp"`
	Fields    []jsonJaegerKV `json:"fields"`
}

type jsonJaegerProcess struct {
	ServiceName string         `json:"serviceName"`
	Tags        []jsonJaegerKV `json:"tags"`
}

// writeJaegerTrace writes one Jaeger trace of n spans, shaped like an
// instrumented LLM app's: a tree of spans of five services, typed tags, a
// log on every tenth span.
func writeJaegerTrace(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	fmt.Fprintf(w, `{"traceID":%q,"spans":[`, tid)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		refs := "[]"
		if i > 0 {
			refs = fmt.Sprintf(`[{"refType":"CHILD_OF","traceID":%q,"spanID":"%016x"}]`, tid, (i-1)/4+1)
		}
		logs := "[]"
		if i%10 == 0 {
			logs = fmt.Sprintf(`[{"timestamp":%d,"fields":[{"key":"event","type":"string","value":"retry"},{"key":"attempt","type":"int64","value":%d}]}]`, 1738404000000000+i, i%3)
		}
		fmt.Fprintf(w, `{"traceID":%q,"spanID":"%016x","flags":1,"operationName":"chat model-%d","references":%s,"startTime":%d,"duration":%d,`+
			`"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"gen_ai.operation.name","type":"string","value":"chat"},`+
			`{"key":"gen_ai.usage.input_tokens","type":"int64","value":%d},{"key":"gen_ai.request.temperature","type":"float64","value":0.7},`+
			`{"key":"gen_ai.input.messages","type":"string","value":"[{\"role\":\"user\",\"content\":\"question %d\"}]"}],`+
			`"logs":%s,"processID":"p%d","warnings":null}`,
			tid, i+1, i%20, refs, 1738404000000000+i, 100+i%50, 100+i%900, i, logs, i%5+1)
	}
	w.WriteString(`],"processes":{`)
	for k := 1; k <= 5; k++ {
		if k > 1 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `"p%d":{"serviceName":"service-%d","tags":[{"key":"host.name","type":"string","value":"host-%d"}]}`, k, k, k)
	}
	w.WriteString(`},"warnings":null}`)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func decodeJaegerEncodingJSON(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var t jsonJaegerTrace
	if err := json.Unmarshal(data, &t); err != nil {
		return 0, err
	}
	runtime.KeepAlive(&t)
	return len(t.Spans), nil
}

// BenchmarkDecodeJaeger decodes a generated Jaeger trace of
// TRACECTL_BENCH_SPANS spans with our Decoder on as many workers as the CLI
// uses (GOMAXPROCS; Model) and with encoding/json into plain structs
// (EncodingJSON), which reports how many times slower it is in wall and in
// CPU time, measured in the same run.
func BenchmarkDecodeJaeger(b *testing.B) {
	n := benchSpans(b)
	path := filepath.Join(b.TempDir(), "jaeger.json")
	if err := writeJaegerTrace(path, n); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := st.Size()
	b.Logf("%d spans, %d MB (%d bytes per span)", n, size>>20, size/int64(n))
	var modelNs, modelCPU float64
	b.Run("Model", func(b *testing.B) {
		modelNs, modelCPU = timeDecodes(b, size, n, func() (int, error) {
			return decodeModelFileOn(path, runtime.GOMAXPROCS(0))
		})
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		ns, cpu := timeDecodes(b, size, n, func() (int, error) { return decodeJaegerEncodingJSON(path) })
		if modelNs > 0 {
			b.ReportMetric(ns/modelNs, "x-slower-than-model(wall)")
			b.ReportMetric(cpu/modelCPU, "x-slower-than-model(cpu)")
		}
	})
}

// timeDecodes times decode, which must give n spans, as a process that
// decodes one file would: each decode starts from a collected heap (the
// collection untimed) and one decode before the timing has faulted the
// heap in, so that neither side pays alone for the process's first use of
// its memory (the first decode of 1,000,000 spans took 6 s, the next ones
// 3.7 s; without the collection between them the garbage of the last one
// was still there and they took 3.6 to 5.3 s). It returns the wall and CPU
// nanoseconds per decode.
func timeDecodes(b *testing.B, size int64, n int, decode func() (int, error)) (ns, cpu float64) {
	if _, err := decode(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	var cpuNs int64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		cpu0 := cpuTime()
		got, err := decode()
		cpuNs += cpuTime() - cpu0
		if err != nil || got != n {
			b.Fatalf("decoded %d spans, %v", got, err)
		}
	}
	cpu = float64(cpuNs) / float64(b.N)
	b.ReportMetric(cpu, "cpu-ns/op")
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N), cpu
}
