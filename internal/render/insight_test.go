package render

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	gocmp "github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
)

func TestPrettyJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"temp":"14\u00b0C"}`, "{\n  \"temp\": \"14°C\"\n}"},
		// member order and digits kept
		{`{"z":1,"a":12345678901234567890.5}`, "{\n  \"z\": 1,\n  \"a\": 12345678901234567890.5\n}"},
		// control characters stay escaped, in their shortest form
		{`"a\u000ab\u001bc"`, `"a\nb\u001bc"`},
		// quotes and backslashes inside strings
		{`["say \"hi\"", "c:\\dir"]`, "[\n  \"say \\\"hi\\\"\",\n  \"c:\\\\dir\"\n]"},
		{`"<b>&"`, `"<b>&"`},
	}
	for _, tt := range tests {
		got, ok := PrettyJSON(tt.in)
		if !ok || got != tt.want {
			t.Errorf("PrettyJSON(%s) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "not json", `{"a":`, `1 2`} {
		if _, ok := PrettyJSON(bad); ok {
			t.Errorf("PrettyJSON(%q) took it for JSON", bad)
		}
	}
}

// FuzzPrettyJSON checks that PrettyJSON's text is the same JSON value as
// its input (numbers compared as text) and that no string escape it
// undid was a control character.
func FuzzPrettyJSON(f *testing.F) {
	for _, s := range []string{`{"temp":"14\u00b0C"}`, `[1,2.50,{"a":"\u001b[31m"}]`, `"\ud83d\ude00"`, `{"k":"\u2028\u0085"}`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := PrettyJSON(in)
		if ok != json.Valid([]byte(in)) {
			t.Fatalf("ok = %v for %q", ok, in)
		}
		if !ok {
			return
		}
		decode := func(s string) any {
			d := json.NewDecoder(strings.NewReader(s))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatalf("%q does not decode: %v", s, err)
			}
			return v
		}
		if a, b := decode(in), decode(out); !reflect.DeepEqual(a, b) {
			t.Fatalf("PrettyJSON changed the value:\n in: %q\nout: %q", in, out)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' {
				t.Fatalf("raw control character %U in %q", r, out)
			}
		}
	})
}

// detailView is a span with unicode escaped in its JSON, a terminal escape
// in a value, a stack trace and a link.
func detailView(t *testing.T) *TraceView {
	stack := "Traceback (most recent call last):\n  File \"x.py\", line 1\n\tboom()\nValueError: bad"
	d := sp{n: 2, p: 1, name: "tool", typ: "TOOL", start: 10, end: 30, status: spanjson.StatusError, exc: [2]string{"ValueError", "bad"}, attrs: []spanjson.Attribute{
		{Key: spanjson.AttrOutputs, Value: `{"temp": "14\u00b0C"}`},
		{Key: "evil", Value: "\x1b]0;pwned\x07\u009b"},
	}}.span().Data()
	d.Events[0].Attributes = spanjson.NewAttributes(append(d.Events[0].Attributes.List(), spanjson.Attribute{Key: "exception.stacktrace", Value: quoteJSON(stack)}))
	d.Links = []spanjson.Link{{TraceID: spanjson.TraceID{1}, SpanID: spanjson.SpanID{2}}}
	root := sp{n: 1, name: "root", start: 0, end: 100}.span()
	spans := []spanjson.Span{root, spanjson.NewSpan(d)}
	return NewTraceView("test.json", spanjson.SchemaMLflowV3, "", &spanjson.Trace{Spans: spans}, testTree(t, spans))
}

func TestSpanDetailUnicodeAsIsEscapesKept(t *testing.T) {
	v := detailView(t)
	for _, tty := range []bool{false, true} {
		streams, _, out, _ := Test()
		streams.OutTTY = tty
		p := NewPrinter(streams)
		p.SpanDetail(v, 1, true)
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		plain := ansi.Strip(text)
		for _, want := range []string{
			`"temp": "14°C"`,
			"path      root › tool\n",
			"  Traceback (most recent call last):\n",
			"      boom()\n", // the tab is indentation
			"  ValueError: bad\n",
			"start     2023-11-14T22:13:20.010000000Z\n",
			`evil: "\u001b]0;pwned\u0007\u009b"`,
			"  trace 01000000000000000000000000000000  span 0200000000000000\n",
		} {
			if !strings.Contains(plain, want) {
				t.Errorf("tty=%v: span view lacks %q:\n%s", tty, want, text)
			}
		}
		if !tty && strings.ContainsAny(text, "\x1b\x07\u009b") {
			t.Errorf("tty=%v: a control character reached the output:\n%q", tty, text)
		}
	}
	j := v.SpanDetailJSONOf(1)
	if j.Exception == nil || !strings.HasSuffix(j.Exception.Stacktrace, "ValueError: bad") {
		t.Errorf("JSON exception lacks the stack trace: %+v", j.Exception)
	}
	if got := []PathStepJSON{{SpanID: "0000000000000001", Name: "root"}, {SpanID: "0000000000000002", Name: "tool"}}; !reflect.DeepEqual(j.Path, got) {
		t.Errorf("path = %+v", j.Path)
	}
}

func TestCriticalPathMarkedAndListed(t *testing.T) {
	// root 0-100: a 10-60 and b 20-80 overlap; b finishes last, a is not
	// on the path (spanjson.CriticalPath's rule).
	v := viewOf(t, spanjson.TraceInfo{},
		sp{n: 1, name: "root", start: 0, end: 100},
		sp{n: 2, p: 1, name: "a", start: 10, end: 60},
		sp{n: 3, p: 1, name: "b", start: 20, end: 80},
	)
	out := renderShow(t, v, ShowOptions{CriticalPath: true}, false)
	for _, want := range []string{"root ◆ ", "├─ a  ", "└─ b ◆ ", "critical path  100ms in 3 segments\n",
		"   +0ns  20.0ms  20.0%  UNKNOWN  root\n", "+20.0ms  60.0ms  60.0%  UNKNOWN    b\n", "+80.0ms  20.0ms  20.0%  UNKNOWN  root\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	j := v.ShowJSON(ShowOptions{CriticalPath: true})
	if j.CriticalPath == nil || j.CriticalPath.SegmentCount != 3 || j.CriticalPath.DurationNS != int64(ms(100)) {
		t.Fatalf("critical_path = %+v", j.CriticalPath)
	}
	var names []string
	for _, s := range j.CriticalPath.Segments {
		names = append(names, s.Name)
	}
	if diff := gocmp.Diff([]string{"root", "b", "root"}, names); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	if j := v.ShowJSON(ShowOptions{}); j.CriticalPath != nil {
		t.Errorf("critical_path without the flag")
	}
}

func TestCriticalPathJSONIsCapped(t *testing.T) {
	// A root with many sequential children: 2n+1 segments.
	spans := []sp{{n: 1, name: "root", start: 0, end: 1000}}
	for k := 0; k < CriticalPathCap; k++ {
		spans = append(spans, sp{n: 2 + k, p: 1, name: "step", start: float64(k*9 + 1), end: float64(k*9 + 5)})
	}
	v := viewOf(t, spanjson.TraceInfo{}, spans...)
	j := v.CriticalPathJSON()
	if j.SegmentCount != 2*CriticalPathCap+1 || len(j.Segments) != CriticalPathCap || !j.Truncated {
		t.Errorf("count %d, %d segments, truncated %v", j.SegmentCount, len(j.Segments), j.Truncated)
	}
	out := renderShow(t, v, ShowOptions{CriticalPath: true, NoFold: true}, false)
	if !strings.Contains(out, "… 101 more segments\n") {
		t.Errorf("the listing does not say how many it left out:\n%s", out[len(out)-300:])
	}
}

func TestFailuresListTheDeepestFailingSpans(t *testing.T) {
	out := renderShow(t, agentTrace(t), ShowOptions{ErrorsOnly: true}, false)
	want := "failures  1 span where a failure began\n  agent › answer  0000000000000008\n    ! RateLimitError: too many requests\n"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks\n%s\nin:\n%s", want, out)
	}
	j := agentTrace(t).ShowJSON(ShowOptions{ErrorsOnly: true})
	if len(j.Failures) != 1 || j.Failures[0].Name != "answer" || len(j.Failures[0].Path) != 2 || j.Failures[0].Exception.Type != "RateLimitError" {
		t.Errorf("failures = %+v", j.Failures)
	}
}

func TestTimeAxis(t *testing.T) {
	tests := []struct {
		total int64
		n     int
		want  string
	}{
		{int64(ms(100)), 60, "╷0          ╷20ms       ╷40ms       ╷60ms       ╷80ms"},
		{int64(ms(5100)), 40, "╷0     ╷1s     ╷2s     ╷3s     ╷4s"}, // 5s would not fit
		{2500, 20, "╷0      ╷1µs    ╷2µs"},
		{int64(ms(100)), 8, "╷0"},
	}
	for _, tt := range tests {
		if got := timeAxis(tt.total, tt.n); got != tt.want {
			t.Errorf("timeAxis(%d, %d) =\n%q, want\n%q", tt.total, tt.n, got, tt.want)
		}
	}
	// Each tick sits over the cell where a bar starting at its time starts.
	axis := []rune(timeAxis(int64(ms(100)), 60))
	if axis[24] != '╷' || string(axis[25:29]) != "40ms" {
		t.Errorf("the 40ms tick is not at 40%% of the axis: %q", string(axis))
	}
}

func TestNarrowTerminalKeepsFoldCount(t *testing.T) {
	v := agentTrace(t)
	for _, w := range []int{50, 60} {
		streams, _, out, _ := Test()
		streams.OutTTY, streams.Width = true, w
		p := NewPrinter(streams)
		p.Show(v, ShowOptions{})
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), " ×5") {
			t.Errorf("width %d: the fold count is cut:\n%s", w, out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if width(line) > w && (strings.Contains(line, "OK") || strings.Contains(line, "ERROR")) {
				t.Errorf("width %d: a tree row is %d cells: %q", w, width(line), line)
			}
		}
	}
}

func TestHeaderTagsAndMetadata(t *testing.T) {
	info := spanjson.TraceInfo{TraceID: "tr-x", Tags: map[string]string{"team": "search", spanjson.TagTraceName: "qa"},
		Metadata: map[string]string{"mlflow.user": "ana", "app": "v2"}}
	v := viewOf(t, info, sp{n: 1, name: "qa", start: 0, end: 1})
	out := renderShow(t, v, ShowOptions{}, false)
	if !strings.Contains(out, "tags      team=search\nmetadata  app=v2\n") || strings.Contains(out, "mlflow.user") {
		t.Errorf("header tags/metadata:\n%s", out)
	}
	out = renderShow(t, v, ShowOptions{Metadata: true}, false)
	if !strings.Contains(out, "metadata  app=v2\n          mlflow.user=ana\n") {
		t.Errorf("--metadata does not list every key:\n%s", out)
	}
	var buf bytes.Buffer
	jw := NewJSONWriter(&buf, true)
	if err := jw.WriteShow(v, ShowOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"tags":{"mlflow.traceName":"qa","team":"search"},"metadata":{"app":"v2","mlflow.user":"ana"}`) {
		t.Errorf("JSON lacks the tags and metadata in full: %s", buf.String())
	}
}
