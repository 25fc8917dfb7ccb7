package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

const t0 = int64(1_700_000_000_000_000_000)

var traceID = spanjson.TraceID{0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}

// hostile is what a trace may hold to break out of the data block or
// into the DOM.
var hostile = []string{
	`<img src=x onerror=alert(1)>`,
	`</script><script>window.__xss=1</script>`,
	`</SCRIPT >`,
	`<!-- <script>`,
	"line\u2028sep\u2029para",
	`"quoted" & 'apos' ]]>`,
}

// testView is a root and a child whose name, attributes, events and
// status carry text.
func testView(t testing.TB, text string) *render.TraceView {
	t.Helper()
	attrJSON, _ := json.Marshal(text)
	root := spanjson.NewSpan(spanjson.SpanData{
		TraceID: traceID, SpanID: spanjson.SpanID{0, 0, 0, 0, 0, 0, 0, 1}, Name: text,
		StartTime: t0, EndTime: t0 + 2e9, Status: spanjson.Status{Code: spanjson.StatusOK},
		Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: spanjson.AttrSpanType, Value: `"AGENT"`},
			{Key: spanjson.AttrInputs, Value: string(attrJSON)},
			{Key: text, Value: string(attrJSON)},
		}),
	})
	child := spanjson.NewSpan(spanjson.SpanData{
		TraceID: traceID, SpanID: spanjson.SpanID{0, 0, 0, 0, 0, 0, 0, 2}, ParentID: spanjson.SpanID{0, 0, 0, 0, 0, 0, 0, 1},
		Name: "tool", StartTime: t0 + 5e8, EndTime: t0 + 15e8,
		Status: spanjson.Status{Code: spanjson.StatusError, Message: text},
		Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: spanjson.AttrSpanType, Value: `"TOOL"`},
		}),
		Events: []spanjson.Event{{Name: "exception", Time: t0 + 15e8, Attributes: spanjson.NewAttributes([]spanjson.Attribute{
			{Key: "exception.type", Value: `"ValueError"`},
			{Key: "exception.message", Value: string(attrJSON)},
			{Key: "exception.stacktrace", Value: string(attrJSON)},
		})}},
	})
	tree, _ := spanjson.BuildTree([]spanjson.Span{root, child})
	tr := &spanjson.Trace{Spans: tree.Spans}
	return render.NewTraceView("in.json", spanjson.SchemaMLflowV3, "test", tr, tree)
}

func page(t testing.TB, title string, views ...*render.TraceView) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, Meta{Title: title, Checks: []Check{{Name: title, Kind: "forbid", Expression: "{ status = error }"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		tr := TraceOf(v, []CheckResult{{Check: 0, Passed: false, Detail: title, Spans: []string{title}}})
		if err := w.Add(&tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Tail{Errors: []string{title}}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var blockRE = regexp.MustCompile(`(?s)<script type="application/json" id="tracectl-data">(.*?)</script>`)

// dataOf is the data block of a page, decoded.
func dataOf(t testing.TB, p string) map[string]any {
	t.Helper()
	m := blockRE.FindStringSubmatch(p)
	if m == nil {
		t.Fatal("no data block")
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(m[1]), &out); err != nil {
		t.Fatalf("data block is not JSON: %v", err)
	}
	return out
}

// checkContained fails when trace text could end a script block, open an
// HTML comment or a line terminator JavaScript dislikes: the page's
// markup has exactly its three script ends and no comment.
func checkContained(t testing.TB, p string) {
	t.Helper()
	if n := strings.Count(strings.ToLower(p), "</script"); n != 3 {
		t.Errorf("%d </script in the page, want the template's 3", n)
	}
	if strings.Contains(p, "<!--") {
		t.Error("<!-- in the page")
	}
	if strings.ContainsAny(p, "\u2028\u2029") {
		t.Error("raw U+2028/U+2029 in the page")
	}
}

func TestHostileTextStaysData(t *testing.T) {
	for _, text := range hostile {
		t.Run(text, func(t *testing.T) {
			p := page(t, text, testView(t, text))
			checkContained(t, p)
			d := dataOf(t, p)
			if d["title"] != text {
				t.Errorf("title = %q, want %q", d["title"], text)
			}
			tr := d["traces"].([]any)[0].(map[string]any)
			spans := tr["spans"].([]any)
			root, child := spans[0].(map[string]any), spans[1].(map[string]any)
			if root["name"] != text {
				t.Errorf("name = %q, want %q", root["name"], text)
			}
			if root["inputs"] != text {
				t.Errorf("inputs = %q, want %q", root["inputs"], text)
			}
			if got := root["attributes"].(map[string]any)[text]; got != text {
				t.Errorf("attribute %q = %q", text, got)
			}
			if got := child["exception"].(map[string]any)["stacktrace"]; got != text {
				t.Errorf("stacktrace = %q, want %q", got, text)
			}
		})
	}
}

func TestSpansInTreeOrderWithParentsAndOffsets(t *testing.T) {
	tr := TraceOf(testView(t, "agent"), nil)
	if len(tr.Spans) != 2 {
		t.Fatalf("%d spans", len(tr.Spans))
	}
	root, child := tr.Spans[0], tr.Spans[1]
	if root.Parent != -1 || child.Parent != 0 {
		t.Errorf("parents %d, %d; want -1, 0", root.Parent, child.Parent)
	}
	if root.AtNS != 0 || child.AtNS != 5e8 {
		t.Errorf("offsets %d, %d; want 0, 5e8", root.AtNS, child.AtNS)
	}
	if !root.Critical || !child.Critical {
		t.Errorf("critical %v, %v; the child decides the root's middle", root.Critical, child.Critical)
	}
	if root.Inputs != "agent" {
		t.Errorf("inputs %v", root.Inputs)
	}
	if _, dup := root.Attributes[spanjson.AttrInputs]; dup {
		t.Error("inputs kept in the attributes too")
	}
	if root.Attributes[spanjson.AttrSpanType] != "AGENT" {
		t.Errorf("other attributes lost: %v", root.Attributes)
	}
	if child.Exception == nil || child.Exception.Stacktrace != "agent" {
		t.Errorf("exception %+v", child.Exception)
	}
}

func TestFailedChecksCounted(t *testing.T) {
	tr := TraceOf(testView(t, "x"), []CheckResult{{Check: 0, Passed: true}, {Check: 1}, {Check: 2}})
	if tr.FailedChecks != 2 {
		t.Errorf("FailedChecks = %d, want 2", tr.FailedChecks)
	}
}

// The CSP allows the page's own script and style by hash and nothing
// else: a change to either that forgot the hash would leave a blank page.
func TestCSPHashesThePageCode(t *testing.T) {
	p := page(t, "t", testView(t, "x"))
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(p)
	if csp == nil {
		t.Fatal("no CSP meta tag")
	}
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(p)
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(p)
	if style == nil || script == nil {
		t.Fatal("no inline style or script")
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	for _, want := range []string{"default-src 'none'", "script-src " + hash(script[1]), "style-src " + hash(style[1]), "connect-src 'none'", "img-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp[1], want) {
			t.Errorf("CSP %q lacks %q", csp[1], want)
		}
	}
	if strings.Contains(csp[1], "unsafe") || strings.Contains(csp[1], "http") {
		t.Errorf("CSP %q allows more than the page's own code", csp[1])
	}
	// The CSP must come before anything it governs.
	if strings.Index(p, "Content-Security-Policy") > strings.Index(p, "<style>") {
		t.Error("CSP meta tag after the style")
	}
}

// The page code inserts trace data as text only; this guards the sinks
// that would parse it as HTML or code.
func TestPageCodeHasNoHTMLSinks(t *testing.T) {
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"on", "src=", "href=", "http:", "https:", "@import", "url("} {
		if strings.Contains(pageJS, sink) || strings.Contains(pageCSS, sink) {
			t.Errorf("page code uses %s", sink)
		}
	}
	if strings.Contains(strings.ToLower(pageJS), "</script") || strings.Contains(pageJS, "<!--") {
		t.Error("page.js holds </script or <!--: it would end its own block")
	}
}

func TestPageCodeIsSmall(t *testing.T) {
	if n := PageCodeSize(); n > 150<<10 {
		t.Errorf("page code is %d bytes, budget 150 KB", n)
	}
	t.Logf("page code: %d bytes", PageCodeSize())
}

func TestEmptyReportIsValid(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, Meta{Title: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Tail{}); err != nil {
		t.Fatal(err)
	}
	d := dataOf(t, b.String())
	if tr, ok := d["traces"].([]any); !ok || len(tr) != 0 {
		t.Errorf("traces = %v, want []", d["traces"])
	}
	if c, ok := d["checks"].([]any); !ok || len(c) != 0 {
		t.Errorf("checks = %v, want []", d["checks"])
	}
}

// FuzzDataBlock: whatever text a trace holds, the page keeps it inside the
// data block and gives it back unchanged.
func FuzzDataBlock(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := page(t, text, testView(t, text))
		checkContained(t, p)
		d := dataOf(t, p)
		// Invalid UTF-8 becomes U+FFFD, one per bad byte, as encoding/json does.
		var want string
		if err := json.Unmarshal(mustJSON(text), &want); err != nil {
			t.Fatal(err)
		}
		if d["title"] != want {
			t.Fatalf("title = %q, want %q", d["title"], want)
		}
	})
}

func mustJSON(s string) []byte { b, _ := json.Marshal(s); return b }
