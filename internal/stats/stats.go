// Package stats adds up many traces into per-group figures for `tracectl
// stats`: counts, error rates, duration quantiles (a DDSketch of stated
// relative accuracy), tokens and cost. It holds one small record per group,
// never the traces.
package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/DataDog/sketches-go/ddsketch"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// Groupings of --by.
const (
	ByName    = "name"
	ByType    = "type"
	ByModel   = "model"
	ByTrace   = "trace"
	BySession = "session"
	ByFile    = "file"
)

// Groupings lists the values of --by.
var Groupings = []string{ByName, ByType, ByModel, ByTrace, BySession, ByFile}

// SpanLevel reports whether by groups spans (name, type, model) rather than
// whole traces (trace, session, file).
func SpanLevel(by string) bool { return by == ByName || by == ByType || by == ByModel }

// RelativeAccuracy is the sketch's bound: a quantile it gives is within 1%
// of the exact one (the value at rank floor(q·(n-1)) of the sorted values).
// A group of up to exactLimit values keeps them and gives exact quantiles.
const RelativeAccuracy = 0.01

// exactLimit is how many durations a group keeps before it switches to a
// sketch: small groups (a trace, a rare span name) print exact figures and
// cost no sketch.
const exactLimit = 64

// NoGroup is the group of traces with no session (--by session).
const NoGroup = "-"

// Aggregator adds up traces into groups. It is not safe for concurrent use:
// give each worker its own and Merge them.
type Aggregator struct {
	by     string
	groups map[string]*group
	seen   map[*group]struct{} // per trace: the groups it has touched
}

// New makes an aggregator grouping by by (one of Groupings).
func New(by string) (*Aggregator, error) {
	if !slices.Contains(Groupings, by) {
		return nil, fmt.Errorf("invalid --by %q: want %s", by, strings.Join(Groupings, ", "))
	}
	return &Aggregator{by: by, groups: map[string]*group{}, seen: map[*group]struct{}{}}, nil
}

// group is the running figures of one group.
type group struct {
	key    string
	traces int64 // traces with a member in the group
	count  int64 // members: spans or traces
	errors int64
	dur    durations
	tokens tokens
	cost   float64
	costOK bool
}

type tokens struct {
	in, out, total, cached int64
	inOK, outOK, totalOK   bool
	cachedOK               bool
}

func (t *tokens) add(in, out, total, cached spanjson.Count) {
	if in.Known {
		t.in, t.inOK = t.in+in.N, true
	}
	if out.Known {
		t.out, t.outOK = t.out+out.N, true
	}
	if total.Known {
		t.total, t.totalOK = t.total+total.N, true
	}
	if cached.Known {
		t.cached, t.cachedOK = t.cached+cached.N, true
	}
}

func (t *tokens) merge(o tokens) {
	t.add(spanjson.Count{N: o.in, Known: o.inOK}, spanjson.Count{N: o.out, Known: o.outOK},
		spanjson.Count{N: o.total, Known: o.totalOK}, spanjson.Count{N: o.cached, Known: o.cachedOK})
}

func (a *Aggregator) groupOf(key string) *group {
	g := a.groups[key]
	if g == nil {
		// The key is cut from the trace's text: a copy, so that the group
		// does not keep the trace's strings alive.
		key = strings.Clone(key)
		g = &group{key: key}
		a.groups[key] = g
	}
	if _, ok := a.seen[g]; !ok {
		a.seen[g] = struct{}{}
		g.traces++
	}
	return g
}

// Add adds one trace.
func (a *Aggregator) Add(v *render.TraceView) {
	clear(a.seen)
	if SpanLevel(a.by) {
		a.addSpans(v)
		return
	}
	var key string
	switch a.by {
	case ByTrace:
		key = v.TraceID()
	case ByFile:
		key = v.Source
	case BySession:
		key = cmp.Or(v.GenAI().Session, NoGroup)
	}
	g := a.groupOf(key)
	g.count++
	if v.State() == spanjson.StateError {
		g.errors++
	}
	if d, ok := v.Trace.Duration(); ok {
		g.dur.add(int64(d))
	}
	t := v.GenAI()
	g.tokens.add(t.InputTokens, t.OutputTokens, t.TotalTokens, t.CachedTokens)
	if t.Cost.Known {
		g.cost, g.costOK = g.cost+t.Cost.USD, true
	}
}

// addSpans adds each span to the group of its name, type or model. Tokens
// and cost are the spans' own, only for the spans spanjson.UsageSpans
// picks (the model spans, else the topmost spans with counts): a roll-up
// is never added beside what it rolls up.
func (a *Aggregator) addSpans(v *render.TraceView) {
	spans := v.Spans()
	tokenSpans, _, costSpans := spanjson.UsageSpans(spans)
	counted := make([]uint8, len(spans)) // 1: tokens, 2: cost
	for _, i := range tokenSpans {
		counted[i] |= 1
	}
	for _, i := range costSpans {
		counted[i] |= 2
	}
	for i, s := range spans {
		var key string
		var view spanjson.GenAI
		haveView := false
		switch a.by {
		case ByName:
			key = s.Name()
		case ByType:
			key = v.SpanTypeAt(i)
		case ByModel:
			view, haveView = spanjson.GenAIOf(s), true
			if view.Model == "" {
				continue // not a model call
			}
			key = view.Model
		}
		g := a.groupOf(key)
		g.count++
		if s.Status().Code == spanjson.StatusError {
			g.errors++
		}
		if s.EndTime() != 0 {
			g.dur.add(int64(s.Duration()))
		}
		if counted[i] == 0 {
			continue
		}
		if !haveView {
			view = spanjson.GenAIOf(s)
		}
		if counted[i]&1 != 0 {
			g.tokens.add(view.InputTokens, view.OutputTokens, view.TotalTokens, view.CachedTokens)
		}
		if counted[i]&2 != 0 && view.Cost.Known {
			g.cost, g.costOK = g.cost+view.Cost.USD, true
		}
	}
}

// Merge adds b's groups into a; b is not used after.
func (a *Aggregator) Merge(b *Aggregator) {
	for key, o := range b.groups {
		g := a.groups[key]
		if g == nil {
			a.groups[key] = o
			continue
		}
		g.traces += o.traces
		g.count += o.count
		g.errors += o.errors
		g.dur.merge(&o.dur)
		g.tokens.merge(o.tokens)
		if o.costOK {
			g.cost, g.costOK = g.cost+o.cost, true
		}
	}
}

// Rows returns the groups' figures, the largest group first (then by key).
func (a *Aggregator) Rows() []render.StatsRow {
	rows := make([]render.StatsRow, 0, len(a.groups))
	for _, g := range a.groups {
		rows = append(rows, g.row())
	}
	slices.SortFunc(rows, func(x, y render.StatsRow) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Group, y.Group))
	})
	return rows
}

func (g *group) row() render.StatsRow {
	r := render.StatsRow{Group: g.key, Traces: g.traces, Count: g.count, Errors: g.errors}
	if g.count > 0 {
		r.ErrorRate = float64(g.errors) / float64(g.count)
	}
	if n := g.dur.count(); n > 0 {
		r.Timed = n
		d := &render.StatsDurations{Max: g.dur.max}
		for _, q := range []struct {
			q   float64
			dst *int64
		}{{0.5, &d.P50}, {0.9, &d.P90}, {0.95, &d.P95}, {0.99, &d.P99}} {
			*q.dst = g.dur.quantile(q.q)
		}
		r.Duration = d
	}
	per := func(n int64) *float64 {
		f := float64(n) / float64(g.traces)
		return &f
	}
	some := func(n int64, ok bool) *int64 {
		if !ok {
			return nil
		}
		return &n
	}
	r.InputTokens = some(g.tokens.in, g.tokens.inOK)
	r.OutputTokens = some(g.tokens.out, g.tokens.outOK)
	r.TotalTokens = some(g.tokens.total, g.tokens.totalOK)
	r.CachedTokens = some(g.tokens.cached, g.tokens.cachedOK)
	if g.tokens.totalOK && g.traces > 0 {
		r.TokensPerTrace = per(g.tokens.total)
	}
	if g.costOK {
		c := roundCost(g.cost)
		r.CostUSD = &c
		if g.traces > 0 {
			avg := roundCost(g.cost / float64(g.traces))
			r.CostPerTrace = &avg
		}
	}
	return r
}

// roundCost drops the float noise of sums made in any order (the workers
// add in turn), at 10 significant digits: the output is the same on every
// run.
func roundCost(f float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 10, 64), 64)
	return r
}

// durations are a group's durations in nanoseconds: kept as they are up to
// exactLimit, then in a DDSketch; the maximum is always exact.
type durations struct {
	exact []int64
	sk    *ddsketch.DDSketch
	max   int64
}

func (d *durations) count() int64 {
	if d.sk != nil {
		return int64(d.sk.GetCount())
	}
	return int64(len(d.exact))
}

func (d *durations) add(ns int64) {
	ns = max(ns, 0)
	d.max = max(d.max, ns)
	if d.sk == nil {
		if len(d.exact) < exactLimit {
			d.exact = append(d.exact, ns)
			return
		}
		d.toSketch()
	}
	_ = d.sk.Add(float64(ns)) // durations are in the sketch's range
}

func (d *durations) toSketch() {
	sk, err := ddsketch.NewDefaultDDSketch(RelativeAccuracy)
	if err != nil {
		panic(err) // RelativeAccuracy is a valid constant
	}
	for _, v := range d.exact {
		_ = sk.Add(float64(v))
	}
	d.sk, d.exact = sk, nil
}

func (d *durations) merge(o *durations) {
	d.max = max(d.max, o.max)
	if d.sk == nil && o.sk == nil && len(d.exact)+len(o.exact) <= exactLimit {
		d.exact = append(d.exact, o.exact...)
		return
	}
	if d.sk == nil {
		d.toSketch()
	}
	if o.sk != nil {
		_ = d.sk.MergeWith(o.sk) // same mapping: same accuracy
		return
	}
	for _, v := range o.exact {
		_ = d.sk.Add(float64(v))
	}
}

// quantile is the value at rank floor(q·(n-1)) of the sorted durations:
// exact for a small group, within RelativeAccuracy from the sketch.
func (d *durations) quantile(q float64) int64 {
	if d.sk != nil {
		v, err := d.sk.GetValueAtQuantile(q)
		if err != nil {
			return 0
		}
		return min(int64(math.Round(v)), d.max)
	}
	return ExactQuantile(d.exact, q)
}

// ExactQuantile is the value at rank floor(q·(n-1)) of values (sorted in
// place), the rank the sketch answers for; 0 when there are none.
func ExactQuantile(values []int64, q float64) int64 {
	if len(values) == 0 {
		return 0
	}
	if !sort.SliceIsSorted(values, func(i, j int) bool { return values[i] < values[j] }) {
		slices.Sort(values)
	}
	rank := float64(q * float64(len(values)-1))
	return values[int(rank)]
}
