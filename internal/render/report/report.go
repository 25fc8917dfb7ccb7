// Package report writes `tracectl report`: one self-contained HTML page
// (CSS, JavaScript and the trace data inline, no network request of any
// kind) that lists traces and shows each as a waterfall with span details.
//
// The data goes into a <script type="application/json"> block written with
// encoding/json's HTML escaping, so no "</script" or "<!--" from a trace
// can end the block; the page inserts every value as text (textContent),
// and its Content-Security-Policy allows only its own inline script and
// style, by hash.
package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// Check is one check of `--spec`, as the page lists it.
type Check struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"` // expect or forbid
	Expression string `json:"expression"`
	Traces     string `json:"traces,omitempty"` // the scope's expression
}

// CheckResult is one check on one trace in its scope.
type CheckResult struct {
	Check     int      `json:"check"` // index into the document's checks
	Passed    bool     `json:"passed"`
	Detail    string   `json:"detail,omitempty"`
	SpanCount int      `json:"span_count,omitempty"` // spans that broke a forbid
	Spans     []string `json:"spans,omitempty"`      // the ids of the first of them
}

// Trace is one trace of the page: the head of `show -o json`, its check
// results and its spans in tree pre-order.
type Trace struct {
	render.TraceHeadJSON
	FailedChecks int           `json:"failed_checks"`
	Checks       []CheckResult `json:"checks,omitempty"`
	Spans        []Span        `json:"spans"`
}

// Span is one span of the page: the span as in `show -o json --attributes
// --events` with its parent's index in the trace's span list (-1 for a
// root), its start as an offset from the trace's first span (a JavaScript
// number holds it exactly, an absolute unix-nanosecond time does not),
// whether it is on the critical path, its inputs and outputs (moved out of
// the attributes), its links and the exception's stack trace.
type Span struct {
	render.SpanJSON
	Parent   int               `json:"parent"`
	AtNS     int64             `json:"at_ns"`
	Critical bool              `json:"critical,omitempty"`
	Inputs   any               `json:"inputs,omitempty"`
	Outputs  any               `json:"outputs,omitempty"`
	Links    []render.LinkJSON `json:"links,omitempty"`
}

// TraceOf describes v for the page; checks are its check results.
func TraceOf(v *render.TraceView, checks []CheckResult) Trace {
	t := Trace{TraceHeadJSON: v.HeadJSON(), Checks: checks, Spans: make([]Span, 0, len(v.Tree.Spans))}
	for _, c := range checks {
		if !c.Passed {
			t.FailedChecks++
		}
	}
	onPath := make([]bool, len(v.Tree.Spans))
	for _, seg := range v.CriticalPath() {
		onPath[seg.Span] = true
	}
	t0, _ := v.Bounds()
	pos := make([]int, len(v.Tree.Spans)) // span index -> position in the list
	for k, i := range v.Order() {
		pos[i] = k
		s := v.Tree.Spans[i]
		j := Span{SpanJSON: v.SpanJSONOf(i, true, true), Parent: -1, Critical: onPath[i], Links: render.LinksJSON(s)}
		if p := v.Tree.Parent[i]; p >= 0 {
			j.Parent = pos[p] // pre-order: the parent came first
		}
		if st := s.StartTime(); st != 0 && t0 != 0 {
			j.AtNS = st - t0
		}
		if j.Exception != nil {
			j.Exception.Stacktrace = render.StacktraceOf(s)
		}
		g := spanjson.GenAIOf(s)
		inKey, outKey := g.IOKeys()
		j.Inputs, _ = g.Inputs()
		j.Outputs, _ = g.Outputs()
		// The inputs and outputs are shown once, on their own.
		delete(j.Attributes, inKey)
		delete(j.Attributes, outKey)
		if len(j.Attributes) == 0 {
			j.Attributes = nil
		}
		if j.GenAI != nil {
			j.GenAI.Inputs, j.GenAI.Outputs = nil, nil
		}
		t.Spans = append(t.Spans, j)
	}
	return t
}

// Meta is what the page says about the run besides the traces.
type Meta struct {
	Title  string  `json:"title"`
	Checks []Check `json:"checks"`
}

// Tail is what is known once the input ends.
type Tail struct {
	Errors   []string `json:"errors"`   // inputs that could not be read
	Warnings int      `json:"warnings"` // how many warnings the run printed
}

// Writer writes the page, one trace at a time, so a big input is never
// held whole.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
	n   int
	err error
}

// The page's parts around the data; see page.html.
const (
	markCSP  = "{{CSP}}"
	markCSS  = "{{CSS}}"
	markData = "{{DATA}}"
	markTail = "{{TAIL}}"
	markJS   = "{{JS}}"
)

// CSP is the page's Content-Security-Policy: nothing may load, only the
// page's own inline script and style run, each allowed by its hash.
func CSP() string {
	return "default-src 'none'; script-src '" + hashOf(pageJS) + "'; style-src '" + hashOf(pageCSS) +
		"'; img-src 'none'; connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'"
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// NewWriter starts the page on w: everything up to the first trace.
func NewWriter(w io.Writer, meta Meta) (*Writer, error) {
	if meta.Checks == nil {
		meta.Checks = []Check{}
	}
	rw := &Writer{w: bufio.NewWriterSize(w, 256<<10)}
	// HTML escaping on: <, > and & become \u003c, \u003e, \u0026, so
	// nothing in the data can close the script block or open a comment.
	rw.enc = json.NewEncoder(rw.w)
	head, _, _ := strings.Cut(pageHTML, markData)
	head = strings.Replace(head, markCSP, CSP(), 1)
	head = strings.Replace(head, markCSS, pageCSS, 1)
	rw.write(head)
	m, err := rw.marshal(meta)
	if err != nil {
		return nil, err
	}
	// The meta object, left open for the traces member.
	rw.write(string(m[:len(m)-1]) + `,"traces":[`)
	return rw, rw.err
}

func (w *Writer) write(s string) {
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
	}
}

func (w *Writer) marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Add writes one trace.
func (w *Writer) Add(t *Trace) error {
	if w.n > 0 {
		w.write(",\n")
	}
	w.n++
	if w.err == nil {
		w.err = w.enc.Encode(t) // ends with a newline, harmless in JSON
	}
	return w.err
}

// Close writes the rest of the page: the end of the data, the tail and the
// script.
func (w *Writer) Close(tail Tail) error {
	if tail.Errors == nil {
		tail.Errors = []string{}
	}
	_, rest, _ := strings.Cut(pageHTML, markData)
	between, after, _ := strings.Cut(rest, markTail)
	w.write("]}")
	w.write(between)
	if w.err == nil {
		w.err = w.enc.Encode(tail)
	}
	w.write(strings.Replace(after, markJS, pageJS, 1))
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// PageCodeSize is the size of the page without data: markup, CSS and
// JavaScript.
func PageCodeSize() int { return len(pageHTML) + len(pageCSS) + len(pageJS) }
