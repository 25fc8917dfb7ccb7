//go:build unix

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// The many-trace workload (issue 12): a JSON Lines dump of
// TRACECTL_BENCH_TRACES MLflow 3 traces (default 20,000 of 44 spans, about
// 520 MB), and the same traces as an export directory of one file each.
// Each command runs beside jq computing the same result, in the same run,
// and beside a floor: every document of the file validated with gjson on
// one goroutine per core, building nothing. Targets: status and roots at
// most 1/8 of jq's time, convert --schema v2 and otlp at most 1/8 of jq
// rewriting every span; peak RSS of the streaming commands at most 150 MB.

// jqManyStatus is what status computes per trace.
const jqManyStatus = `{id: .info.trace_id, state: .info.state, spans: (.data.spans | length),
  errors: ([.data.spans[] | select(.status.code == "STATUS_CODE_ERROR")] | length)}`

// jqManyRoots is what roots prints per trace: its id and its root span.
const jqManyRoots = `[.info.trace_id, .info.state, (.data.spans[] | select((.parent_span_id // "") == "") | .name)]`

// jqManyToV2 rewrites every span to MLflow 2's names (jqToV2, one line).
const jqManyToV2 = jqToV2

// jqManyToOTLP rewrites every span to OTLP JSON, attributes as strings.
const jqManyToOTLP = `{resourceSpans: [{resource: {attributes: []}, scopeSpans: [{scope: {name: "mlflow"}, spans: [.data.spans[] | {
  traceId: .trace_id, spanId: .span_id, parentSpanId: .parent_span_id, name,
  startTimeUnixNano: .start_time_unix_nano, endTimeUnixNano: .end_time_unix_nano,
  status: {code: .status.code, message: .status.message},
  attributes: (.attributes | to_entries | map({key, value: {stringValue: .value}})),
  events: ((.events // []) | map({name, timeUnixNano: .time_unix_nano}))}]}]}]}`

type manyCase struct {
	name string
	ours []string // tracectl's arguments before the inputs
	jq   string   // "" for no jq reference
}

var manyCases = []manyCase{
	{"status", []string{"status"}, jqManyStatus},
	{"roots", []string{"roots"}, jqManyRoots},
	{"convert-v2", []string{"convert", "--schema", "v2"}, jqManyToV2},
	{"convert-otlp", []string{"convert", "--schema", "otlp"}, jqManyToOTLP},
	{"show", []string{"show"}, ""},
	{"spans-error", []string{"spans", "--status", "error"}, ""},
}

// BenchmarkManyTracesVsJQ runs manyCases over the JSON Lines dump.
func BenchmarkManyTracesVsJQ(b *testing.B) {
	dir := b.TempDir()
	file, st := writeManyTracesFile(b, dir)
	benchMany(b, dir, []string{file}, st.Size(), func() time.Duration { return validateLines(b, file) })
}

// BenchmarkManyTraceFilesVsJQ runs manyCases over an export directory of
// one MLflow 3 trace file each (TRACECTL_BENCH_FILES, default 20,000).
func BenchmarkManyTraceFilesVsJQ(b *testing.B) {
	dir := b.TempDir()
	n := benchCount(b, "TRACECTL_BENCH_FILES", 20_000)
	if err := os.Mkdir(filepath.Join(dir, "t"), 0o755); err != nil {
		b.Fatal(err)
	}
	// One trace at a time, never all of them in this process: a child
	// started from a process of 800 MB was reported with 800 MB of peak
	// RSS, whatever it used itself (see measureRSS).
	w := &fileEach{b: b, dir: dir}
	writeManyTraces(b, w, n, 44)
	syscall.Sync() // written out before the first command: see writeManyTracesFile
	benchMany(b, dir, w.files, w.size, func() time.Duration { return validateFiles(b, dir, w.files) })
}

// fileEach writes each line written to it (writeManyTraces writes a line
// per call) to a file of its own under dir/t.
type fileEach struct {
	b     *testing.B
	dir   string
	files []string // relative to dir: a short argument list
	size  int64
}

func (f *fileEach) Write(line []byte) (int, error) {
	name := filepath.Join("t", fmt.Sprintf("%05d.json", len(f.files)))
	if err := os.WriteFile(filepath.Join(f.dir, name), line, 0o644); err != nil {
		f.b.Fatal(err)
	}
	f.files = append(f.files, name)
	f.size += int64(len(line))
	return len(line), nil
}

func benchMany(b *testing.B, dir string, inputs []string, size int64, floor func() time.Duration) {
	bin := buildTracectl(b, dir)
	jq, jqErr := exec.LookPath("jq")
	if jqErr != nil {
		b.Logf("jq not found: reporting tracectl alone, no ratio")
	}
	type sums struct{ wall, cpu, jqWall time.Duration }
	got := make([]sums, len(manyCases))
	peak := make([]int64, len(manyCases))
	var floorWall time.Duration
	runs := 0
	cpu := func(c *exec.Cmd) time.Duration { return c.ProcessState.UserTime() + c.ProcessState.SystemTime() }
	for b.Loop() {
		floorWall += floor()
		for k, c := range manyCases {
			// The floor left this process a heap of the file's size: its
			// collection and return to the kernel must not run on the
			// cores beside the command being timed.
			debug.FreeOSMemory()
			cmd := exec.Command(bin, append(append([]string{}, c.ours...), inputs...)...)
			cmd.Dir = dir
			d, rss := runMeasuredExit(b, cmd, 1) // 1: status exits 1 when a trace failed
			got[k].wall += d
			got[k].cpu += cpu(cmd)
			peak[k] = max(peak[k], rss)
			if jqErr == nil && c.jq != "" {
				jc := exec.Command(jq, append([]string{"-c", c.jq}, inputs...)...)
				jc.Dir = dir
				d, _ := runMeasured(b, jc)
				got[k].jqWall += d
			}
		}
		runs++
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(runs) }
	b.ReportMetric(per(floorWall), "floor-s")
	b.ReportMetric(float64(size)/1e6, "input-MB")
	for k, c := range manyCases {
		b.ReportMetric(per(got[k].wall), c.name+"-s")
		b.ReportMetric(got[k].cpu.Seconds()/got[k].wall.Seconds(), c.name+"-cpu/wall")
		b.ReportMetric(got[k].wall.Seconds()/floorWall.Seconds(), c.name+"/floor")
		b.ReportMetric(float64(peak[k])/1e6, c.name+"-rss-MB")
		if got[k].jqWall > 0 {
			b.ReportMetric(per(got[k].jqWall), c.name+"-jq-s")
			b.ReportMetric(got[k].jqWall.Seconds()/got[k].wall.Seconds(), c.name+"-x-jq")
		}
	}
}

// validateLines is the floor of the JSON Lines file: its lines validated
// with gjson on one goroutine per core.
func validateLines(b *testing.B, file string) time.Duration {
	start := time.Now()
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	lines := make(chan []byte, 64)
	bad := validators(lines)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		// Copies into reused buffers: a clone per line left this
		// process 538 MB of garbage whose return to the kernel ran
		// beside, and slowed, the command timed next.
		buf := linePool.Get().(*[]byte)
		*buf = append((*buf)[:0], sc.Bytes()...)
		lines <- *buf
	}
	close(lines)
	if err := sc.Err(); err != nil || bad() > 0 {
		b.Fatalf("floor: %v, %d invalid lines", err, bad())
	}
	return time.Since(start)
}

// validateFiles is the floor of the export directory.
func validateFiles(b *testing.B, dir string, files []string) time.Duration {
	start := time.Now()
	docs := make(chan []byte, 64)
	bad := validators(docs)
	for _, name := range files {
		buf := linePool.Get().(*[]byte)
		data, err := appendFile((*buf)[:0], filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		docs <- data
	}
	close(docs)
	if bad() > 0 {
		b.Fatalf("floor: %d invalid files", bad())
	}
	return time.Since(start)
}

// appendFile appends the file's content to buf.
func appendFile(buf []byte, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	w := bytes.NewBuffer(buf)
	_, err = w.ReadFrom(f)
	return w.Bytes(), err
}

// linePool holds the floor's document buffers.
var linePool = sync.Pool{New: func() any { return new([]byte) }}

// validators validates what comes on docs on one goroutine per core; the
// function returned waits for them and counts the invalid documents.
func validators(docs <-chan []byte) func() int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range docs {
				if !gjson.ValidBytes(d) {
					mu.Lock()
					bad++
					mu.Unlock()
				}
				linePool.Put(&d)
			}
		}()
	}
	return func() int { wg.Wait(); return bad }
}
