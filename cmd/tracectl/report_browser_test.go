package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"tracectl/internal/render"
)

// The browser test (make browser): reports opened in headless Chromium,
// checked from the rendered DOM. It needs TRACECTL_BROWSER=1 and Chromium
// (CHROMIUM, else chromium or chromium-browser on PATH); `make test` skips
// it.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("TRACECTL_BROWSER") == "" {
		t.Skip("the browser test runs with make browser (TRACECTL_BROWSER=1)")
	}
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("TRACECTL_BROWSER is set but no Chromium was found (apt-get install -y chromium, or set CHROMIUM)")
	return ""
}

// browser starts headless Chromium and records every request a page
// makes other than the report file itself.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root in a container
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, "file://") {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx, network.Enable()); err != nil {
		t.Fatal(err)
	}
	return b
}

// open loads the report at path and waits for the page to be drawn; it
// returns how long that took.
func (b *browser) open(t *testing.T, path string) time.Duration {
	t.Helper()
	start := time.Now()
	err := chromedp.Run(b.ctx,
		chromedp.Navigate("file://"+path),
		chromedp.WaitVisible(`html[data-ready="1"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return time.Since(start)
}

func (b *browser) eval(t *testing.T, js string, out any) {
	t.Helper()
	if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, out)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
}

func (b *browser) noRequests(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) > 0 {
		t.Errorf("the page made requests: %q", b.requests)
	}
}

// writeReport runs tracectl report into dir and returns the file's path.
func writeReport(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	streams, _, _, errOut := render.Test()
	if code := Main(append([]string{"report", "-q", "-o", out}, args...), streams); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	return out
}

func TestBrowserReport(t *testing.T) {
	b := newBrowser(t)
	t.Chdir(repoAbs)
	dir := t.TempDir()

	t.Run("xss", func(t *testing.T) {
		// The fixture's names, attributes, exception and resource hold
		// markup that sets window.__xss if it ever runs.
		b.open(t, writeReport(t, dir, "xss.html", "--title", "<img src=x onerror=window.__xss=1>", "testdata/report/xss.json"))
		var ran bool
		b.eval(t, `window.__xss !== undefined`, &ran)
		if ran {
			t.Fatal("injected script ran")
		}
		var injected int
		b.eval(t, `document.querySelectorAll("img,svg,iframe,[onerror],[onload],[onmouseover],script:not([type])").length`, &injected)
		if injected != 1 { // the page's own script
			t.Errorf("%d injected elements (img, svg, iframe, event handlers, scripts), want only the page's script", injected)
		}
		// The names show as the text they are.
		var names []string
		b.eval(t, `Array.from(document.querySelectorAll("#wf .wrow .nm")).map(e => e.textContent)`, &names)
		want := []string{"<img src=x onerror=window.__xss=1>", "</script><script>window.__xss=1</script>"}
		if fmt.Sprint(names) != fmt.Sprint(want) {
			t.Errorf("span rows %q, want %q", names, want)
		}
		// Click the failing span: its details show the exception's stack
		// trace and message as text.
		var stack, title string
		if err := chromedp.Run(b.ctx,
			chromedp.Click(`#wf .wrow[data-i="1"]`, chromedp.ByQuery),
			chromedp.Text(`#detail pre`, &stack, chromedp.ByQuery),
			chromedp.Text(`header .title`, &title, chromedp.ByQuery),
		); err != nil {
			t.Fatal(err)
		}
		if stack != "Traceback:\n  <script>window.__xss=1</script>" {
			t.Errorf("stack trace shown as %q", stack)
		}
		if title != "<img src=x onerror=window.__xss=1>" {
			t.Errorf("title shown as %q", title)
		}
		b.eval(t, `window.__xss !== undefined`, &ran)
		if ran {
			t.Fatal("injected script ran after a click")
		}
		b.noRequests(t)
	})

	t.Run("samples", func(t *testing.T) {
		// The failing-agent fixture and the real samples of
		// ../shared/samples (skipped without them).
		files := append([]string{"testdata/insight/failing_agent.json"}, goldenTraceSamples(t)...)
		args := append([]string{"--title", "samples", "--forbid", "{ status = error }"}, files...)
		b.open(t, writeReport(t, dir, "samples.html", args...))
		var rows, spanRows int
		b.eval(t, `document.querySelectorAll("#list .trow").length`, &rows)
		b.eval(t, `document.querySelectorAll("#wf .wrow").length`, &spanRows)
		if rows != 5 || spanRows == 0 {
			t.Errorf("%d trace rows (want 5), %d span rows", rows, spanRows)
		}
		// Sorting by state puts the failed agent first; opening it marks
		// its errors and critical path; its failed check is listed.
		var first string
		var errRows, critRows, failedChecks int
		if err := chromedp.Run(b.ctx,
			chromedp.Click(`#list .thead button:nth-child(1)`, chromedp.ByQuery),
			chromedp.Text(`#list .trow:first-child span:nth-child(2)`, &first, chromedp.ByQuery),
			chromedp.Click(`#list .trow:first-child`, chromedp.ByQuery),
		); err != nil {
			t.Fatal(err)
		}
		if first != "weather_agent" {
			t.Errorf("first row by state: %q, want weather_agent", first)
		}
		b.eval(t, `document.querySelectorAll("#wf .wrow.error").length`, &errRows)
		b.eval(t, `document.querySelectorAll("#wf .bar.crit").length`, &critRows)
		b.eval(t, `document.querySelectorAll("#thead .checks li").length`, &failedChecks)
		if errRows != 2 || critRows == 0 || failedChecks != 1 {
			t.Errorf("%d error rows (want 2), %d critical bars, %d check lines (want 1)", errRows, critRows, failedChecks)
		}
		// Keyboard: down moves the selection; left folds the root.
		var sel string
		if err := chromedp.Run(b.ctx,
			chromedp.Focus(`#wf .vscroll`, chromedp.ByQuery),
			chromedp.KeyEvent("j"),
			chromedp.Text(`#detail h3`, &sel, chromedp.ByQuery),
		); err != nil {
			t.Fatal(err)
		}
		if sel != "get_weather" {
			t.Errorf("after j the detail shows %q, want get_weather", sel)
		}
		var visible int
		if err := chromedp.Run(b.ctx, chromedp.KeyEvent("h"), chromedp.KeyEvent("h")); err != nil {
			t.Fatal(err)
		}
		b.eval(t, `document.querySelectorAll("#wf .wrow").length`, &visible)
		if visible != 1 {
			t.Errorf("%d rows after folding the root, want 1", visible)
		}
		// Search filters the list.
		if err := chromedp.Run(b.ctx, chromedp.SendKeys(`#list input`, "predict", chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		b.eval(t, `document.querySelectorAll("#list .trow").length`, &rows)
		if rows != 1 {
			t.Errorf("%d rows for the search predict, want 1", rows)
		}
		b.noRequests(t)
	})

	t.Run("screenshot", func(t *testing.T) {
		// The screenshot of the failing-agent fixture, kept for review
		// (-update).
		b.open(t, writeReport(t, dir, "failing.html", "--title", "failing agent", "--forbid", "{ status = error }", "testdata/insight/failing_agent.json"))
		if err := chromedp.Run(b.ctx, chromedp.Click(`#wf .wrow[data-i="2"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		var png []byte
		if err := chromedp.Run(b.ctx, chromedp.FullScreenshot(&png, 100)); err != nil { // quality 100: PNG
			t.Fatal(err)
		}
		shot := filepath.Join(repoAbs, "testdata/report/screenshot.png")
		if *update {
			if err := os.WriteFile(shot, png, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat(shot); err != nil {
			t.Errorf("%v (go test ./cmd/tracectl -run TestBrowserReport -update with TRACECTL_BROWSER=1 writes it)", err)
		}
	})

	t.Run("big", func(t *testing.T) {
		// A 50 MB input: one trace of 10,000 spans and 48 of 1,000.
		in := filepath.Join(dir, "big.jsonl")
		size := writeBigInput(t, in, 10_000, 48, 1_000)
		t0 := time.Now()
		page := writeReport(t, dir, "big.html", in)
		gen := time.Since(t0)
		fi, _ := os.Stat(page)
		took := b.open(t, page)
		var renderMS string
		b.eval(t, `document.documentElement.dataset.renderMs`, &renderMS)
		t.Logf("input %.1f MB; report %.1f MB written in %v; opened in Chromium in %v (page script %s ms)",
			float64(size)/1e6, float64(fi.Size())/1e6, gen.Round(time.Millisecond), took.Round(time.Millisecond), renderMS)
		if took > 10*time.Second {
			t.Errorf("a 50 MB input took %v to open", took)
		}
		// Open the 10,000-span trace and scroll through it: only the rows
		// in view exist, and each frame is drawn quickly.
		var res struct {
			Rows    int     `json:"rows"`
			Max     int     `json:"max"`
			FrameMS float64 `json:"frame"`
			Last    string  `json:"last"`
		}
		js := `(async () => {
			const list = Array.from(document.querySelectorAll("#list .trow"));
			const big = list.find(r => r.children[3].textContent === "10,000");
			big.click();
			const sc = document.querySelector("#wf .vscroll");
			let max = 0, t = performance.now();
			const steps = 100;
			for (let k = 1; k <= steps; k++) {
				sc.scrollTop = sc.scrollHeight * k / steps;
				await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
				max = Math.max(max, document.querySelectorAll("#wf .wrow").length);
			}
			const frame = (performance.now() - t) / steps / 2;
			const rows = document.querySelectorAll("#wf .wrow");
			return {rows: 10000, max, frame, last: rows[rows.length - 1].querySelector(".nm").textContent};
		})()`
		if err := chromedp.Run(b.ctx, chromedp.Evaluate(js, &res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			t.Fatal(err)
		}
		t.Logf("scrolling 10,000 spans: %d rows in the DOM at most, %.1f ms a frame", res.Max, res.FrameMS)
		if res.Max > 200 {
			t.Errorf("%d span rows in the DOM: not virtualized", res.Max)
		}
		// Eight children a span: the last in tree order is 0 > 8 > 72 > 584 > 4680.
		if res.Last != "span 4680" {
			t.Errorf("last row at the bottom: %q, want span 4680", res.Last)
		}
		if res.FrameMS > 50 {
			t.Errorf("%.1f ms a frame while scrolling", res.FrameMS)
		}
		b.noRequests(t)
	})
}

// writeBigInput writes OTLP JSON Lines: one trace of bigSpans spans, then
// n traces of spans spans each; every span has inputs, outputs and a few
// attributes. It returns the file's size.
func writeBigInput(t *testing.T, path string, bigSpans, n, spans int) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	pad := strings.Repeat("lorem ipsum dolor sit amet ", 8)
	trace := func(tr, count int) {
		w.WriteString(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"big"}}]},"scopeSpans":[{"spans":[`)
		base := int64(1_700_000_000_000_000_000)
		for i := 0; i < count; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			parent := ""
			if i > 0 {
				parent = fmt.Sprintf(`"parentSpanId":"%016x",`, (i-1)/8+1)
			}
			start := base + int64(i)*1_000_000
			fmt.Fprintf(w, `{"traceId":"%032x","spanId":"%016x",%s"name":"span %d","startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{"code":%d},"attributes":[`+
				`{"key":"mlflow.spanType","value":{"stringValue":"%s"}},{"key":"mlflow.spanInputs","value":{"stringValue":"{\"q\":\"%s %d\"}"}},`+
				`{"key":"mlflow.spanOutputs","value":{"stringValue":"{\"a\":\"%s\"}"}},{"key":"llm.model","value":{"stringValue":"gpt-4o"}},{"key":"n","value":{"intValue":"%d"}}]}`,
				tr+1, i+1, parent, i, start, start+int64(count-i)*1_000_000, 1+btoi(i%97 == 5), []string{"CHAIN", "LLM", "TOOL", "RETRIEVER"}[i%4], pad, i, pad, i)
		}
		w.WriteString("]}]}]}\n")
	}
	trace(0, bigSpans)
	for k := 1; k <= n; k++ {
		trace(k, spans)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	return fi.Size()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
