package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0ns"},
		{850, "850ns"},
		{12_345, "12.3µs"},
		{4_561_000, "4.56ms"},
		{123_400_000, "123ms"},
		{5_098_000_000, "5.10s"},
		{999_999, "1.00ms"},
		{999_499, "999µs"},
		{999_999_999, "1.00s"},
		{59_940_000_000, "59.9s"},
		{59_994_000_000, "1m00s"},
		{59_999_000_000, "1m00s"},
		{119_600 * time.Millisecond, "2m00s"},
		{125 * time.Second, "2m05s"},
		{3*time.Hour + 4*time.Minute, "3h04m"},
		{-1500, "-1.50µs"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSelfTimeMergesOverlappingChildren(t *testing.T) {
	v := viewOf(t, spanjson.TraceInfo{},
		sp{n: 1, name: "root", start: 0, end: 100},
		sp{n: 2, p: 1, name: "a", start: 10, end: 30},
		sp{n: 3, p: 1, name: "b", start: 20, end: 50}, // overlaps a
		sp{n: 4, p: 1, name: "c", start: 60, end: 70},
		sp{n: 5, p: 1, name: "d", start: 95, end: 130}, // runs past its parent: clipped
		sp{n: 6, p: 2, name: "a1", start: 10, end: 15},
	)
	got := []time.Duration{v.SelfTime(0), v.SelfTime(1), v.SelfTime(2), v.SelfTime(5)}
	want := []time.Duration{ms(100 - 40 - 10 - 5), ms(15), ms(30), ms(5)}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("self times (-want +got):\n%s", diff)
	}
	if got := v.SubtreeSize(0); got != 6 {
		t.Errorf("SubtreeSize(root) = %d, want 6", got)
	}
}

// agentTrace is a small agent run: a plan, five similar tool calls, and an
// answer that failed after a retry.
func agentTrace(t testing.TB) *TraceView {
	chatIn := spanjson.Attribute{Key: spanjson.AttrInputs, Value: `{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is 2+2?"}]}`}
	chatOut := spanjson.Attribute{Key: spanjson.AttrOutputs, Value: `{"choices":[{"message":{"role":"assistant","content":"4"}}]}`}
	spans := []sp{
		{n: 1, name: "agent", typ: "AGENT", start: 0, end: 100, status: spanjson.StatusError, attrs: []spanjson.Attribute{chatIn, chatOut}},
		{n: 2, p: 1, name: "plan", typ: "CHAT_MODEL", start: 2, end: 20, status: spanjson.StatusOK},
	}
	for k := 0; k < 5; k++ {
		spans = append(spans, sp{n: 3 + k, p: 1, name: "search", typ: "TOOL", start: 20 + 10*float64(k), end: 30 + 10*float64(k), status: spanjson.StatusOK})
	}
	spans = append(spans,
		sp{n: 8, p: 1, name: "answer", typ: "CHAT_MODEL", start: 70, end: 95, status: spanjson.StatusError, exc: [2]string{"RateLimitError", "too many requests"}},
		sp{n: 9, p: 8, name: "retry", start: 80, end: 90},
	)
	return viewOf(t, spanjson.TraceInfo{TraceID: "tr-abcd", State: spanjson.StateError, Tags: map[string]string{spanjson.TagTraceName: "qa-agent"}}, spans...)
}

// renderShow is Show's text on a pipe, or on a 120-column terminal with
// colors.
func renderShow(t *testing.T, v *TraceView, o ShowOptions, tty bool) string {
	t.Helper()
	mode := "never"
	if tty {
		mode = "always"
	}
	return renderShowIn(t, v, o, tty, mode, 120)
}

// renderShowIn is Show's text on a terminal (tty) or pipe of width
// columns, with the color mode given.
func renderShowIn(t *testing.T, v *TraceView, o ShowOptions, tty bool, colorMode string, width int) string {
	t.Helper()
	streams, _, out, _ := Test()
	streams.OutTTY = tty
	streams.Width = width
	if err := streams.SetColorMode(colorMode); err != nil {
		t.Fatal(err)
	}
	p := NewPrinter(streams)
	p.Show(v, o)
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestShowGolden(t *testing.T) {
	tests := []struct {
		name string
		o    ShowOptions
	}{
		{"default", ShowOptions{}},
		{"no-fold", ShowOptions{NoFold: true}},
		{"errors-only", ShowOptions{ErrorsOnly: true}},
		{"depth-1", ShowOptions{Depth: 1}},
		{"attributes-events", ShowOptions{Attributes: true, Events: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, "show-"+tt.name+".txt", []byte(renderShow(t, agentTrace(t), tt.o, false)))
		})
	}
}

func TestShowFoldsSimilarSiblings(t *testing.T) {
	out := renderShow(t, agentTrace(t), ShowOptions{}, false)
	if !strings.Contains(out, "search ×5") {
		t.Errorf("five similar tool calls are not folded:\n%s", out)
	}
	if strings.Count(out, "search") != 1 {
		t.Errorf("folded run printed more than once:\n%s", out)
	}
	out = renderShow(t, agentTrace(t), ShowOptions{NoFold: true}, false)
	if n := strings.Count(out, "search"); n != 5 {
		t.Errorf("--no-fold printed %d search lines, want 5:\n%s", n, out)
	}
}

func TestShowErrorsOnlyKeepsPathsToFailures(t *testing.T) {
	out := renderShow(t, agentTrace(t), ShowOptions{ErrorsOnly: true}, false)
	for _, want := range []string{"agent", "answer", "! RateLimitError: too many requests"} {
		if !strings.Contains(out, want) {
			t.Errorf("errors-only output lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"plan", "search", "retry"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("errors-only output has the healthy span %q:\n%s", unwanted, out)
		}
	}
}

func TestShowTerminalHasColorAndWaterfall(t *testing.T) {
	tty := renderShow(t, agentTrace(t), ShowOptions{}, true)
	if !strings.Contains(tty, "\x1b[") {
		t.Errorf("no ANSI color on a terminal:\n%s", tty)
	}
	if !strings.Contains(tty, "█") || !strings.Contains(tty, "╷0 ") {
		t.Errorf("no waterfall on a terminal:\n%s", tty)
	}
	if !strings.Contains(tty, "✗") {
		t.Errorf("no error symbol on a terminal:\n%s", tty)
	}
	pipe := renderShow(t, agentTrace(t), ShowOptions{}, false)
	for _, bad := range []string{"\x1b[", "█", "╷0", "✗", "✓"} {
		if strings.Contains(pipe, bad) {
			t.Errorf("pipe output contains %q:\n%s", bad, pipe)
		}
	}
}

func TestWaterfallPlacesSpansOnTheTraceAxis(t *testing.T) {
	v := viewOf(t, spanjson.TraceInfo{},
		sp{n: 1, name: "root", start: 0, end: 100},
		sp{n: 2, p: 1, name: "first-half", start: 0, end: 50},
		sp{n: 3, p: 1, name: "last-tenth", start: 90, end: 100},
	)
	out := renderShow(t, v, ShowOptions{}, true)
	bars := map[string]string{}
	col := -1
	for _, line := range strings.Split(stripANSI(out), "\n") {
		runes := []rune(line)
		if i := strings.Index(line, "╷0 "); i >= 0 {
			col = len([]rune(line[:i]))
			continue
		}
		for _, name := range []string{"root", "first-half", "last-tenth"} {
			if col >= 0 && strings.Contains(line, name+" ") && len(runes) > col {
				bars[name] = string(runes[col:])
			}
		}
	}
	if col < 0 || len(bars) != 3 {
		t.Fatalf("no time axis or bars in:\n%s", out)
	}
	full := len([]rune(bars["root"]))
	if full < 10 || strings.Trim(bars["root"], "█") != "" {
		t.Fatalf("root bar %q should fill the axis", bars["root"])
	}
	if got := strings.Count(bars["first-half"], "█"); got != full/2 {
		t.Errorf("first-half covers %d of %d cells, want %d", got, full, full/2)
	}
	lt := []rune(bars["last-tenth"])
	if len(lt) != full || lt[0] != ' ' || lt[len(lt)-1] != '█' {
		t.Errorf("last-tenth bar %q should end at the axis end", bars["last-tenth"])
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestDeepChainPrintsInBoundedWidth(t *testing.T) {
	const n = 100_000
	spans := make([]sp, n)
	for i := range spans {
		spans[i] = sp{n: i + 1, p: i, name: fmt.Sprint("s", i), start: float64(i) * 1e-3, end: 1000}
	}
	spans[0].p = 0
	list := make([]spanjson.Span, n)
	for i, s := range spans {
		d := s.span().Data()
		d.SpanID = spanjson.SpanID{0, 0, 0, 0, byte(s.n >> 24), byte(s.n >> 16), byte(s.n >> 8), byte(s.n)}
		if s.p != 0 {
			d.ParentID = spanjson.SpanID{0, 0, 0, 0, byte(s.p >> 24), byte(s.p >> 16), byte(s.p >> 8), byte(s.p)}
		}
		list[i] = spanjson.NewSpan(d)
	}
	v := NewTraceView("deep", spanjson.SchemaMLflowV3, "", &spanjson.Trace{Spans: list}, testTree(t, list))
	out := renderShow(t, v, ShowOptions{}, false)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	treeLines := 0
	maxW := 0
	for _, l := range lines {
		if strings.Contains(l, " s") || strings.HasPrefix(l, "s0") {
			treeLines++
		}
		maxW = max(maxW, width(l))
	}
	if treeLines < n {
		t.Errorf("printed %d span lines, want %d", treeLines, n)
	}
	if maxW > 200 {
		t.Errorf("widest line is %d cells: the indent grows with depth", maxW)
	}
	deepest := regexp.MustCompile(`(?m)^⋯99999 [ │]*└─ s99999 `)
	if !deepest.MatchString(out) {
		t.Errorf("the deepest span does not show its depth")
	}
}

func TestPreviews(t *testing.T) {
	tests := []struct {
		name           string
		info           spanjson.TraceInfo
		in, out        string // root inputs / outputs JSON, "" for none
		wantReq, wantR string
	}{
		{
			name:    "chat messages: last user message and first choice",
			in:      `{"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"x"},{"role":"user","content":"second"},{"role":"tool","content":"t"}]}`,
			out:     `{"choices":[{"message":{"content":"answer"}},{"message":{"content":"other"}}]}`,
			wantReq: "second", wantR: "answer",
		},
		{
			name:    "responses api, wrapped in request, content parts",
			in:      `{"request":{"input":[{"role":"system","content":"sys"},{"role":"user","content":[{"type":"input_text","text":"hello"},{"type":"input_text","text":"there"}]}]}}`,
			out:     `{"object":"response","output":[{"type":"message","content":[{"type":"output_text","text":"hi"}]},{"type":"message","content":[{"type":"output_text","text":"again"}]}]}`,
			wantReq: "hello there", wantR: "hi again",
		},
		{
			name:    "responses api string input",
			in:      `{"input":"plain question"}`,
			wantReq: "plain question",
		},
		{
			name:    "plain-text info previews are kept",
			info:    spanjson.TraceInfo{RequestPreview: "What is a pie", ResponsePreview: "A dessert"},
			in:      `{"messages":[{"role":"user","content":"ignored"}]}`,
			wantReq: "What is a pie", wantR: "A dessert",
		},
		{
			name:    "JSON info preview without root span data is made readable",
			info:    spanjson.TraceInfo{RequestPreview: `{"messages":[{"role":"user","content":"from info"}]}`, ResponsePreview: `{"x":1}`},
			wantReq: "from info", wantR: `{"x":1}`,
		},
		{
			name:    "other payloads show compact JSON",
			in:      `{"query": "q",  "k": 3}`,
			out:     `[1, 2]`,
			wantReq: `{"k":3,"query":"q"}`, wantR: `[1,2]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := sp{n: 1, name: "root", start: 0, end: 1}
			if tt.in != "" {
				root.attrs = append(root.attrs, spanjson.Attribute{Key: spanjson.AttrInputs, Value: tt.in})
			}
			if tt.out != "" {
				root.attrs = append(root.attrs, spanjson.Attribute{Key: spanjson.AttrOutputs, Value: tt.out})
			}
			req, resp := viewOf(t, tt.info, root).Previews()
			if diff := gocmp.Diff([2]string{tt.wantReq, tt.wantR}, [2]string{req, resp}); diff != "" {
				t.Errorf("previews (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowJSONShape(t *testing.T) {
	j := agentTrace(t).ShowJSON(ShowOptions{ErrorsOnly: true})
	var names []string
	for _, s := range j.Spans {
		names = append(names, s.Name)
	}
	if diff := gocmp.Diff([]string{"agent", "answer"}, names); diff != "" {
		t.Errorf("errors-only spans (-want +got):\n%s", diff)
	}
	if j.Spans[1].Exception == nil || j.Spans[1].Exception.Type != "RateLimitError" {
		t.Errorf("exception missing: %+v", j.Spans[1])
	}
	// plan and five searches OK; agent and answer ERROR; retry UNSET.
	if want := (StatusCounts{OK: 6, Error: 2, Unset: 1}); j.StatusCounts != want {
		t.Errorf("status counts = %+v, want %+v", j.StatusCounts, want)
	}
	var buf bytes.Buffer
	jw := NewJSONWriter(&buf, false)
	if err := jw.Write(j); err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, buf.String())
	}
	if back[0]["start_time_unix_nano"] != fmt.Sprint(t0) {
		t.Errorf("start_time_unix_nano = %v, want the exact string %d", back[0]["start_time_unix_nano"], t0)
	}
}

func TestNameWidthMatchesNameCell(t *testing.T) {
	v := agentTrace(t)
	lines := []treeLine{
		{members: []int{0}},
		{members: []int{2, 3, 4}, hidden: 12, depth: 1},
		{members: []int{1}, depth: maxIndent + 7, hidden: 1, critical: true},
	}
	for _, l := range lines {
		if got, want := nameWidth(v, &l), width(nameCell(v, &l)); got != want {
			t.Errorf("nameWidth = %d, width(nameCell) = %d for %q", got, want, nameCell(v, &l))
		}
	}
}

func TestLongNameDoesNotWidenEveryLine(t *testing.T) {
	long := strings.Repeat("x", 300)
	v := viewOf(t, spanjson.TraceInfo{},
		sp{n: 1, name: "root", start: 0, end: 10},
		sp{n: 2, p: 1, name: long, start: 1, end: 2},
		sp{n: 3, p: 1, name: "short", start: 3, end: 4},
	)
	out := renderShow(t, v, ShowOptions{}, false)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "root ") && len(line) > 140 {
			t.Errorf("the root line is padded to the long name: %d bytes", len(line))
		}
		if strings.Contains(line, long) && !strings.Contains(line, long+"  UNKNOWN") {
			t.Errorf("the long name is clipped or misaligned in a pipe: %q", line)
		}
	}
}

// TestFormatDurationMatchesFloatRounding checks the integer formatter
// against the float formula it replaces, over many magnitudes.
func TestFormatDurationMatchesFloatRounding(t *testing.T) {
	float := func(x float64) string {
		switch {
		case x >= 99.95:
			return fmt.Sprintf("%.0f", x)
		case x >= 9.995:
			return fmt.Sprintf("%.1f", x)
		}
		return fmt.Sprintf("%.2f", x)
	}
	for d := time.Duration(1000); d < 59*time.Second; d = d*7/5 + 13 {
		var want string
		switch {
		case d < 999_500:
			want = float(float64(d)/1e3) + "µs"
		case d < 999_500_000:
			want = float(float64(d)/1e6) + "ms"
		default:
			want = float(float64(d)/1e9) + "s"
		}
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%d) = %q, want %q", d, got, want)
		}
	}
}

func TestDurationColumnsAlignWithMicroseconds(t *testing.T) {
	v := viewOf(t, spanjson.TraceInfo{},
		sp{n: 1, name: "root", start: 0, end: 100},
		sp{n: 2, p: 1, name: "fast", start: 1, end: 1.5}, // 500µs: "µ" is two bytes, one cell
		sp{n: 3, p: 1, name: "slow", start: 2, end: 50},
	)
	out := renderShow(t, v, ShowOptions{}, false)
	ends := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "UNSET") {
			ends[width(line)] = true
		}
	}
	if len(ends) != 1 {
		t.Errorf("span lines end at different columns %v:\n%s", ends, out)
	}
}

// TestWriteShowStreamsTheSameJSON checks the span-at-a-time writer against
// encoding the whole ShowJSON value, in both output modes.
func TestWriteShowStreamsTheSameJSON(t *testing.T) {
	healthy := viewOf(t, spanjson.TraceInfo{TraceID: "tr-ok"}, sp{n: 1, name: "only", start: 0, end: 1, status: spanjson.StatusOK})
	for _, lines := range []bool{false, true} {
		for _, o := range []ShowOptions{{}, {ErrorsOnly: true}, {Attributes: true, Events: true, Depth: 2}} {
			var want, got bytes.Buffer
			wj, gj := NewJSONWriter(&want, lines), NewJSONWriter(&got, lines)
			for _, v := range []*TraceView{agentTrace(t), healthy, agentTrace(t)} {
				if err := wj.Write(v.ShowJSON(o)); err != nil {
					t.Fatal(err)
				}
				if err := gj.WriteShow(v, o); err != nil {
					t.Fatal(err)
				}
			}
			if err := wj.Close(); err != nil {
				t.Fatal(err)
			}
			if err := gj.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("lines=%v %+v: streamed JSON differs (-want +got):\n%s", lines, o, diff)
			}
		}
	}
}

// prefixCells counts what utf8.RuneCount counts, one cell per character,
// on the prefixes a tree draws: ASCII, box drawing, the depth mark, and
// prefixes longer than the 32 bytes from which RuneCount allocates.
func TestPrefixCells(t *testing.T) {
	for _, p := range []string{
		"", "  ", "│ ", "├─ ", "└─ ", "│  │  ├─ ",
		strings.Repeat("│  ", 40) + "└─ ",
		strings.Repeat(" ", 70) + "[+12] ├─ ",
		"⋮ " + strings.Repeat("│ ", 20),
	} {
		if got, want := prefixCells([]byte(p)), utf8.RuneCountInString(p); got != want {
			t.Errorf("prefixCells(%q) = %d, want %d", p, got, want)
		}
	}
}
