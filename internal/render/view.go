package render

import (
	"sync"
	"time"

	"tracectl/internal/spanjson"
)

// TraceView is one loaded trace ready to render: the trace, its span tree,
// where it came from, and per-span figures computed once (self time, subtree
// size) so that every renderer stays linear in the number of spans.
type TraceView struct {
	Source  string // input name ("<stdin>" for standard input)
	Schema  spanjson.Schema
	Shape   string // what the input document looked like, e.g. "MLflow 3 trace"
	Trace   *spanjson.Trace
	Tree    *spanjson.Tree
	Prompts []spanjson.PromptVersion

	start, end int64           // time axis: earliest start, latest end (unix ns)
	self       []time.Duration // self time per span index
	size       []int32         // number of spans in the subtree of each index, itself included
	order      []int           // span indices in tree pre-order
	depth      []int32         // depth per span index (roots are 0)
	maxDepth   int
	typeOf     []uint32  // span type per span index, as an index into typeNames
	typeNames  []string  // the distinct span types
	typesOnce  sync.Once // typeOf and typeNames are made on first use: reading every span's attributes is most of what status and roots would spend
	genai      *spanjson.TraceGenAI
	critical   []spanjson.PathSegment // computed on first use
	onPath     []bool                 // span index -> on the critical path
	otelID     string                 // OTelTraceID, computed once: every span row shares it
}

// NewTraceView prepares t, arranged as tree, for rendering.
func NewTraceView(source string, schema spanjson.Schema, shape string, t *spanjson.Trace, tree *spanjson.Tree) *TraceView {
	return newTraceView(source, schema, shape, t, tree, false)
}

// NewTraceViewWithTypes is NewTraceView for a reader of every span's type
// (show's tree): in a big trace they are read on another goroutine while
// the view is made, as the tree's walk needs them from its first line.
// (Not for every reader: status and roots keep attributes as text, and
// reading every span's type would decode them all.)
func NewTraceViewWithTypes(source string, schema spanjson.Schema, shape string, t *spanjson.Trace, tree *spanjson.Tree) *TraceView {
	return newTraceView(source, schema, shape, t, tree, true)
}

func newTraceView(source string, schema spanjson.Schema, shape string, t *spanjson.Trace, tree *spanjson.Tree, types bool) *TraceView {
	v := &TraceView{Source: source, Schema: schema, Shape: shape, Trace: t, Tree: tree}
	if types && len(tree.Spans) >= concurrentSpans {
		go v.types()
	}
	v.analyse()
	v.otelID = otelTraceIDText(t, tree)
	return v
}

// Spans returns the tree's spans (normalised: duplicate ids repaired).
func (v *TraceView) Spans() []spanjson.Span { return v.Tree.Spans }

func (v *TraceView) analyse() {
	spans := v.Tree.Spans
	n := len(spans)
	// Per-span figures in compact arrays: a million-span trace keeps them
	// all alive while it prints.
	v.self = make([]time.Duration, n)
	v.size = make([]int32, n)
	v.depth = make([]int32, n)
	v.order = make([]int, 0, n)
	for _, s := range spans {
		if st := s.StartTime(); st != 0 && (v.start == 0 || st < v.start) {
			v.start = st
		}
		if e := s.EndTime(); e > v.end {
			v.end = e
		}
	}
	// Pre-order without recursion: any depth works.
	stack := make([]int, 0, 64)
	for r := len(v.Tree.Roots) - 1; r >= 0; r-- {
		stack = append(stack, v.Tree.Roots[r])
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v.order = append(v.order, i)
		kids := v.childrenOf(i)
		for c := len(kids) - 1; c >= 0; c-- {
			v.depth[kids[c]] = v.depth[i] + 1
			v.maxDepth = max(v.maxDepth, int(v.depth[i])+1)
			stack = append(stack, kids[c])
		}
	}
	// Subtree sizes and self times bottom-up: reverse pre-order visits every
	// child before its parent.
	for k := len(v.order) - 1; k >= 0; k-- {
		i := v.order[k]
		v.size[i] = 1
		kids := v.childrenOf(i)
		for _, c := range kids {
			v.size[i] += v.size[c]
		}
		v.self[i] = selfTime(spans, i, kids)
	}
}

// typeAt returns span i's span type.
func (v *TraceView) typeAt(i int) string {
	v.types()
	return v.typeNames[v.typeOf[i]]
}

// types makes typeOf and typeNames once. Span types are few: each span
// holds an index into typeNames.
func (v *TraceView) types() []uint32 {
	v.typesOnce.Do(func() {
		spans := v.Tree.Spans
		v.typeOf = make([]uint32, len(spans))
		typeIndex := map[string]uint32{}
		last, lastIdx := "", uint32(0)
		for i, s := range spans {
			t := spanjson.GenAITypeOf(s)
			if t != last || len(v.typeNames) == 0 {
				k, ok := typeIndex[t]
				if !ok {
					k = uint32(len(v.typeNames))
					typeIndex[t] = k
					v.typeNames = append(v.typeNames, t)
				}
				last, lastIdx = t, k
			}
			v.typeOf[i] = lastIdx
		}
	})
	return v.typeOf
}

func (v *TraceView) childrenOf(i int) []int {
	if i < len(v.Tree.Children) {
		return v.Tree.Children[i]
	}
	return nil
}

// selfTime is the span's duration minus the union of its children's
// intervals clipped to the span; children come ordered by start time, so
// one sweep merges them.
func selfTime(spans []spanjson.Span, i int, kids []int) time.Duration {
	p := spans[i]
	dur := p.Duration()
	if dur == 0 || len(kids) == 0 {
		return dur
	}
	ps, pe := p.StartTime(), p.EndTime()
	var covered int64
	curS, curE := int64(0), int64(0)
	open := false
	for _, c := range kids {
		cs, ce := spans[c].StartTime(), spans[c].EndTime()
		if ce == 0 {
			ce = pe // a child still running covers the rest of its parent
		}
		cs, ce = max(cs, ps), min(ce, pe)
		if ce <= cs {
			continue
		}
		switch {
		case !open:
			curS, curE, open = cs, ce, true
		case cs <= curE:
			curE = max(curE, ce)
		default:
			covered += curE - curS
			curS, curE = cs, ce
		}
	}
	if open {
		covered += curE - curS
	}
	return max(dur-time.Duration(covered), 0)
}

// SpanTypeAt returns span i's span type through the GenAI view
// (spanjson.GenAITypeOf; UNKNOWN when no key says).
func (v *TraceView) SpanTypeAt(i int) string { return v.typeAt(i) }

// SelfTime returns span i's time not covered by its children.
func (v *TraceView) SelfTime(i int) time.Duration { return v.self[i] }

// SubtreeSize returns the number of spans under span i, itself included.
func (v *TraceView) SubtreeSize(i int) int { return int(v.size[i]) }

// Depth returns span i's depth in the tree (roots are 0).
func (v *TraceView) Depth(i int) int { return int(v.depth[i]) }

// Order returns the span indices in tree pre-order (a parent before its
// children, siblings by start time).
func (v *TraceView) Order() []int { return v.order }

// Bounds returns the trace's time axis: the earliest span start and the
// latest span end, in unix nanoseconds.
func (v *TraceView) Bounds() (start, end int64) { return v.start, v.end }

// StartTime is when the trace started (unix nanoseconds): its first
// span's start, else the info's request time; 0 when neither is known.
func (v *TraceView) StartTime() int64 {
	if v.start != 0 {
		return v.start
	}
	if rt := v.Trace.Info.RequestTime; !rt.IsZero() {
		return rt.UnixNano()
	}
	return 0
}

// TraceID returns the MLflow trace id of the trace: the info's, else derived
// from the spans' OpenTelemetry trace id.
func (v *TraceView) TraceID() string { return v.Trace.ID() }

// OTelTraceID returns the OpenTelemetry trace id in hex: the spans', else
// the one the MLflow trace id names (a Unity Catalog "trace:/<location>/<id>"
// by its last segment, spanjson.OTelIDOfMLflowID); "" when neither says.
func (v *TraceView) OTelTraceID() string { return v.otelID }

func otelTraceIDText(t *spanjson.Trace, tree *spanjson.Tree) string {
	if len(tree.Spans) > 0 {
		return tree.Spans[0].TraceID().String()
	}
	if id, ok := spanjson.OTelIDOfMLflowID(t.Info.TraceID); ok {
		return id.String()
	}
	return ""
}

// Name returns the trace name tag, else the first root span's name.
func (v *TraceView) Name() string {
	if n := v.Trace.Info.Tags[spanjson.TagTraceName]; n != "" {
		return n
	}
	if len(v.Tree.Roots) > 0 {
		return v.Tree.Spans[v.Tree.Roots[0]].Name()
	}
	return v.Trace.Name()
}

// Root returns the index of the first root span, -1 when there is none.
func (v *TraceView) Root() int {
	if len(v.Tree.Roots) == 0 {
		return -1
	}
	return v.Tree.Roots[0]
}

// State returns the trace state (spanjson's rule: the info's, else the
// one the root spans imply).
func (v *TraceView) State() spanjson.TraceState { return v.Trace.State() }

// Duration returns the trace's execution duration (spanjson's rule: the
// info's, else from the root spans); 0 while it runs.
func (v *TraceView) Duration() time.Duration {
	d, _ := v.Trace.Duration()
	return d
}

// GenAI returns the trace's GenAI summary (spanjson's rule: models,
// tokens that never double count, cost, session, user), computed once.
func (v *TraceView) GenAI() spanjson.TraceGenAI {
	if v.genai == nil {
		g := spanjson.TraceGenAIOf(v.Trace.Info, v.Tree.Spans)
		v.genai = &g
	}
	return *v.genai
}

// TokenCounts returns the trace's input, output and total token counts:
// GenAI's, made without the GenAI view of every span when the trace
// metadata gives them (spanjson.TokenCountsOf).
func (v *TraceView) TokenCounts() (in, out, total spanjson.Count) {
	if v.genai != nil {
		return v.genai.InputTokens, v.genai.OutputTokens, v.genai.TotalTokens
	}
	return spanjson.TokenCountsOf(v.Trace.Info, v.Tree.Spans)
}

// StatusCounts counts the trace's spans by status.
type StatusCounts struct {
	OK    int `json:"ok"`
	Error int `json:"error"`
	Unset int `json:"unset"`
}

// Total is the number of spans counted.
func (c StatusCounts) Total() int { return c.OK + c.Error + c.Unset }

// Counts counts the trace's spans by status.
func (v *TraceView) Counts() StatusCounts {
	var c StatusCounts
	for _, s := range v.Tree.Spans {
		switch s.Status().Code {
		case spanjson.StatusOK:
			c.OK++
		case spanjson.StatusError:
			c.Error++
		default:
			c.Unset++
		}
	}
	return c
}

// Failed reports whether the trace or any of its spans failed.
func (v *TraceView) Failed() bool {
	if v.State() == spanjson.StateError {
		return true
	}
	for _, s := range v.Tree.Spans {
		if s.Status().Code == spanjson.StatusError {
			return true
		}
	}
	return false
}
