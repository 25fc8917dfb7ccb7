package tracediff

import (
	"encoding/json"
	"math"
	"time"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// Options tune what counts as a change.
type Options struct {
	// A duration change counts when it is at least MinChangeTime and at
	// least MinChange (a share, 0.10 for 10%) of the base: reruns never
	// take exactly the same time.
	MinChange     float64
	MinChangeTime time.Duration
	// IO compares each aligned span's inputs and outputs.
	IO bool
}

// DefaultOptions: 10% and 1ms.
var DefaultOptions = Options{MinChange: 0.10, MinChangeTime: time.Millisecond}

// Significant is the one rule of a duration change that counts: at least
// MinChangeTime and at least MinChange of the base (any growth of a base
// of 0 that reaches MinChangeTime).
func (o Options) Significant(base, cand time.Duration) bool {
	delta := cand - base
	if delta < 0 {
		delta = -delta
	}
	if delta == 0 || delta < o.MinChangeTime {
		return false
	}
	if base <= 0 {
		return true
	}
	return float64(delta) >= o.MinChange*float64(base)
}

// Kinds of Change.
const (
	KindAdded    = "added"    // a span (and its subtree) only the candidate has
	KindRemoved  = "removed"  // a span (and its subtree) only the base has
	KindType     = "type"     // the span type changed
	KindStatus   = "status"   // the span started or stopped failing
	KindDuration = "duration" // the span's own time (self time) changed
	KindTokens   = "tokens"   // a model call's token counts changed
	KindCost     = "cost"     // a model call's cost changed
	KindInput    = "input"    // --io: the inputs changed
	KindOutput   = "output"   // --io: the outputs changed
)

// PathStep is one step of a span's path from the root: a name and the
// rank among the siblings of that name (0 for the first).
type PathStep struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// Change is one change of one span, as the -o json document lists it.
// Which fields are set depends on Kind.
type Change struct {
	Kind       string     `json:"kind"`
	Path       []PathStep `json:"path"`
	BaseSpanID string     `json:"base_span_id,omitempty"`
	CandSpanID string     `json:"candidate_span_id,omitempty"`
	// added, removed: the span's type, status, duration and the number of
	// spans in its subtree, itself included.
	SpanType    string `json:"span_type,omitempty"`
	Status      string `json:"status,omitempty"`
	DurationNS  *int64 `json:"duration_ns,omitempty"`
	SubtreeSize int    `json:"subtree_size,omitempty"`
	// type, status: before and after.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// status: the failing side's exception (the new one, or the one that
	// went away); added and removed failing spans: theirs.
	Exception string `json:"exception,omitempty"`
	// duration: the span's duration and its self time (what its children
	// do not cover), which is what changed.
	Duration *DurationDelta `json:"duration,omitempty"`
	Self     *DurationDelta `json:"self,omitempty"`
	Tokens   *TokensDelta   `json:"tokens,omitempty"`
	Cost     *CostDelta     `json:"cost,omitempty"`
	// input, output: the short text diff ("- …", "+ …").
	Lines []string `json:"diff,omitempty"`

	node int
}

// DurationDelta is a duration before and after.
type DurationDelta struct {
	Base  int64    `json:"base_ns"`
	Cand  int64    `json:"candidate_ns"`
	Delta int64    `json:"delta_ns"`
	Pct   *float64 `json:"delta_pct,omitempty"`
}

func durationDelta(base, cand time.Duration) *DurationDelta {
	return &DurationDelta{Base: int64(base), Cand: int64(cand), Delta: int64(cand - base), Pct: pct(float64(base), float64(cand))}
}

// Tokens are token counts, each when known.
type Tokens struct {
	Input  *int64 `json:"input,omitempty"`
	Output *int64 `json:"output,omitempty"`
	Total  *int64 `json:"total,omitempty"`
}

func countPtr(c spanjson.Count) *int64 {
	if !c.Known {
		return nil
	}
	n := c.N
	return &n
}

// TokensDelta is token counts before and after, and the change of the
// total when both sides know it.
type TokensDelta struct {
	Base  Tokens   `json:"base"`
	Cand  Tokens   `json:"candidate"`
	Delta *int64   `json:"delta,omitempty"`
	Pct   *float64 `json:"delta_pct,omitempty"`
}

func tokensDelta(bin, bout, btot, cin, cout, ctot spanjson.Count) *TokensDelta {
	d := &TokensDelta{
		Base: Tokens{countPtr(bin), countPtr(bout), countPtr(btot)},
		Cand: Tokens{countPtr(cin), countPtr(cout), countPtr(ctot)},
	}
	if btot.Known && ctot.Known {
		n := ctot.N - btot.N
		d.Delta = &n
		d.Pct = pct(float64(btot.N), float64(ctot.N))
	}
	return d
}

// CostDelta is a cost in US dollars before and after.
type CostDelta struct {
	Base  *float64 `json:"base_usd,omitempty"`
	Cand  *float64 `json:"candidate_usd,omitempty"`
	Delta *float64 `json:"delta_usd,omitempty"`
	Pct   *float64 `json:"delta_pct,omitempty"`
}

func costDelta(b, c spanjson.Cost) *CostDelta {
	d := &CostDelta{}
	if b.Known {
		d.Base = &b.USD
	}
	if c.Known {
		d.Cand = &c.USD
	}
	if b.Known && c.Known {
		x := roundUSD(c.USD - b.USD)
		d.Delta = &x
		d.Pct = pct(b.USD, c.USD)
	}
	return d
}

// roundUSD drops float noise from a difference (12 significant digits).
func roundUSD(f float64) float64 {
	if f == 0 {
		return 0
	}
	scale := math.Pow(10, 11-math.Floor(math.Log10(math.Abs(f))))
	return math.Round(f*scale) / scale
}

// Diff is what changed from a base trace to a candidate.
type Diff struct {
	Base, Cand *render.TraceView
	Nodes      []Node   // the merged tree in pre-order
	Changes    []Change // in node order; a node's changes in Kind order
	Trace      TraceDelta
	Summary    Summary
	Opts       Options

	own   [][]int // per node: its changes (indexes into Changes)
	dirty []bool  // per node: a change in its subtree
}

// TraceDelta is the change of the whole trace.
type TraceDelta struct {
	Duration DurationDelta `json:"duration"`
	State    *FromTo       `json:"state,omitempty"`
	Tokens   *TokensDelta  `json:"tokens,omitempty"`
	Cost     *CostDelta    `json:"cost,omitempty"`

	durationChanged bool
}

// FromTo is a value before and after.
type FromTo struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Summary counts the changes.
type Summary struct {
	Changed      bool `json:"changed"` // any change, the trace's included
	Added        int  `json:"added"`   // added subtrees
	AddedSpans   int  `json:"added_spans"`
	Removed      int  `json:"removed"`
	RemovedSpans int  `json:"removed_spans"`
	TypeChanges  int  `json:"type_changes"`
	NewErrors    int  `json:"new_errors"` // spans that started failing, added failing spans
	FixedErrors  int  `json:"fixed_errors"`
	Slower       int  `json:"slower"`
	Faster       int  `json:"faster"`
	Tokens       int  `json:"token_changes"`
	Cost         int  `json:"cost_changes"`
	IO           int  `json:"io_changes"`
}

// Compare diffs base against cand.
func Compare(base, cand *render.TraceView, o Options) *Diff {
	d := &Diff{Base: base, Cand: cand, Opts: o}
	d.Nodes = align(base, cand)
	d.own = make([][]int, len(d.Nodes))
	bTok, _, bCost := spanjson.UsageSpans(base.Tree.Spans)
	cTok, _, cCost := spanjson.UsageSpans(cand.Tree.Spans)
	usage := usageSets{
		bTok: indexSet(bTok, len(base.Tree.Spans)), bCost: indexSet(bCost, len(base.Tree.Spans)),
		cTok: indexSet(cTok, len(cand.Tree.Spans)), cCost: indexSet(cCost, len(cand.Tree.Spans)),
	}
	for i := range d.Nodes {
		d.compareNode(i, usage)
	}
	d.compareTrace()
	d.dirty = make([]bool, len(d.Nodes))
	for i := len(d.Nodes) - 1; i >= 0; i-- { // children come after their parent
		if len(d.own[i]) > 0 {
			d.dirty[i] = true
		}
		if d.dirty[i] && d.Nodes[i].Parent >= 0 {
			d.dirty[d.Nodes[i].Parent] = true
		}
	}
	return d
}

type usageSets struct{ bTok, bCost, cTok, cCost []bool }

func indexSet(idx []int, n int) []bool {
	s := make([]bool, n)
	for _, i := range idx {
		s[i] = true
	}
	return s
}

// Path is node i's path from the root.
func (d *Diff) Path(i int) []PathStep {
	var rev []PathStep
	for ; i >= 0; i = d.Nodes[i].Parent {
		rev = append(rev, PathStep{Name: d.Nodes[i].Name, Index: d.Nodes[i].Index})
	}
	for l, r := 0, len(rev)-1; l < r; l, r = l+1, r-1 {
		rev[l], rev[r] = rev[r], rev[l]
	}
	return rev
}

func (d *Diff) add(i int, c Change) {
	c.node = i
	c.Path = d.Path(i)
	n := &d.Nodes[i]
	if n.Base >= 0 {
		c.BaseSpanID = render.SpanIDText(d.Base.Tree.Spans[n.Base])
	}
	if n.Cand >= 0 {
		c.CandSpanID = render.SpanIDText(d.Cand.Tree.Spans[n.Cand])
	}
	d.own[i] = append(d.own[i], len(d.Changes))
	d.Changes = append(d.Changes, c)
	d.Summary.Changed = true
}

func isError(s spanjson.Span) bool { return s.Status().Code == spanjson.StatusError }

func (d *Diff) compareNode(i int, u usageSets) {
	n := &d.Nodes[i]
	switch {
	case n.Added(), n.Removed():
		v, k, kind := d.Cand, n.Cand, KindAdded
		if n.Removed() {
			v, k, kind = d.Base, n.Base, KindRemoved
		}
		s := v.Tree.Spans[k]
		dur := int64(s.Duration())
		c := Change{Kind: kind, SpanType: v.SpanTypeAt(k), Status: s.Status().Code.String(), DurationNS: &dur, SubtreeSize: v.SubtreeSize(k)}
		if isError(s) {
			c.Exception = s.ErrorText()
		}
		if kind == KindAdded {
			d.Summary.Added++
			d.Summary.AddedSpans += c.SubtreeSize
			d.Summary.NewErrors += countErrors(v, k)
		} else {
			d.Summary.Removed++
			d.Summary.RemovedSpans += c.SubtreeSize
		}
		d.add(i, c)
		return
	}
	bs, cs := d.Base.Tree.Spans[n.Base], d.Cand.Tree.Spans[n.Cand]
	if bt, ct := d.Base.SpanTypeAt(n.Base), d.Cand.SpanTypeAt(n.Cand); bt != ct {
		d.Summary.TypeChanges++
		d.add(i, Change{Kind: KindType, From: bt, To: ct})
	}
	if be, ce := isError(bs), isError(cs); be != ce {
		c := Change{Kind: KindStatus, From: bs.Status().Code.String(), To: cs.Status().Code.String()}
		if ce {
			c.Exception = cs.ErrorText()
			d.Summary.NewErrors++
		} else {
			c.Exception = bs.ErrorText()
			d.Summary.FixedErrors++
		}
		d.add(i, c)
	}
	if bself, cself := d.Base.SelfTime(n.Base), d.Cand.SelfTime(n.Cand); d.Opts.Significant(bself, cself) {
		if cself > bself {
			d.Summary.Slower++
		} else {
			d.Summary.Faster++
		}
		d.add(i, Change{Kind: KindDuration, Duration: durationDelta(bs.Duration(), cs.Duration()), Self: durationDelta(bself, cself)})
	}
	var bg, cg spanjson.GenAI
	if u.bTok[n.Base] || u.cTok[n.Cand] || u.bCost[n.Base] || u.cCost[n.Cand] {
		bg, cg = spanjson.GenAIOf(bs), spanjson.GenAIOf(cs)
	}
	if (u.bTok[n.Base] || u.cTok[n.Cand]) && (bg.InputTokens != cg.InputTokens || bg.OutputTokens != cg.OutputTokens || bg.TotalTokens != cg.TotalTokens) {
		d.Summary.Tokens++
		d.add(i, Change{Kind: KindTokens, Tokens: tokensDelta(bg.InputTokens, bg.OutputTokens, bg.TotalTokens, cg.InputTokens, cg.OutputTokens, cg.TotalTokens)})
	}
	if (u.bCost[n.Base] || u.cCost[n.Cand]) && bg.Cost != cg.Cost {
		d.Summary.Cost++
		d.add(i, Change{Kind: KindCost, Cost: costDelta(bg.Cost, cg.Cost)})
	}
	if d.Opts.IO {
		bg, cg = spanjson.GenAIOf(bs), spanjson.GenAIOf(cs)
		for _, side := range []struct {
			kind string
			b, c func() (any, bool)
		}{{KindInput, bg.Inputs, cg.Inputs}, {KindOutput, bg.Outputs, cg.Outputs}} {
			if lines := shortDiff(ioText(side.b()), ioText(side.c()), ioMaxLines, ioLineRunes); lines != nil {
				d.Summary.IO++
				d.add(i, Change{Kind: side.kind, Lines: lines})
			}
		}
	}
}

// How short the --io text diff is.
const (
	ioMaxLines  = 8
	ioLineRunes = 160
)

// ioText is an input or output as text to diff: a string as it is, other
// values as indented JSON (object keys sorted), so that one changed
// member is one changed line.
func ioText(v any, ok bool) string {
	if !ok || v == nil {
		return ""
	}
	if s, isString := v.(string); isString {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// countErrors counts the failing spans of span k's subtree.
func countErrors(v *render.TraceView, k int) int {
	n := 0
	stack := []int{k}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if isError(v.Tree.Spans[i]) {
			n++
		}
		stack = append(stack, v.Tree.Children[i]...)
	}
	return n
}

func (d *Diff) compareTrace() {
	b, c := d.Base, d.Cand
	bd, cd := b.Duration(), c.Duration()
	d.Trace.Duration = *durationDelta(bd, cd)
	if d.Opts.Significant(bd, cd) {
		d.Trace.durationChanged = true
		d.Summary.Changed = true
	}
	if bs, cs := b.State(), c.State(); bs != cs {
		d.Trace.State = &FromTo{From: string(bs), To: string(cs)}
		d.Summary.Changed = true
	}
	bg, cg := b.GenAI(), c.GenAI()
	if bg.TotalTokens.Known || cg.TotalTokens.Known || bg.InputTokens.Known || cg.InputTokens.Known {
		d.Trace.Tokens = tokensDelta(bg.InputTokens, bg.OutputTokens, bg.TotalTokens, cg.InputTokens, cg.OutputTokens, cg.TotalTokens)
		if bg.InputTokens != cg.InputTokens || bg.OutputTokens != cg.OutputTokens || bg.TotalTokens != cg.TotalTokens {
			d.Summary.Changed = true
		}
	}
	if bg.Cost.Known || cg.Cost.Known {
		d.Trace.Cost = costDelta(bg.Cost, cg.Cost)
		if bg.Cost != cg.Cost {
			d.Summary.Changed = true
		}
	}
}

// NewError reports whether the candidate fails where the base did not: a
// span that started failing, an added failing span, or the trace's state
// going to ERROR.
func (d *Diff) NewError() bool {
	return d.Summary.NewErrors > 0 || (d.Trace.State != nil && d.Trace.State.To == string(spanjson.StateError))
}
