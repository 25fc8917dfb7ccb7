package query

import (
	"fmt"
	"math"
	"time"
)

// Result is what a query made of one trace.
type Result struct {
	// Match: the span set is non-empty, or the aggregate's comparison
	// holds.
	Match bool
	// Spans are the selected spans (before the aggregate), in tree order,
	// as indices into Trace.Spans.
	Spans []int
	// Aggregate is the pipeline's aggregate as written ("sum(total_tokens)"),
	// Value its value in this trace ("nil" when no span had the field) and
	// Want the comparison it had to meet ("<= 20000"); all "" without a
	// pipeline.
	Aggregate, Value, Want string
	// NoValue says why the aggregate has no value (Value "nil"): "no span
	// selected", or "no selected span has FIELD".
	NoValue string
}

// evalState is one evaluation's scratch: the trace-level field values,
// read at most once.
type evalState struct {
	t      *Trace
	q      *Query
	tv     []value
	tvRead []bool
}

// Match reports whether t matches q.
func (q *Query) Match(t *Trace) bool { return q.Eval(t).Match }

// Eval evaluates q on t.
func (q *Query) Eval(t *Trace) Result {
	st := &evalState{t: t, q: q}
	if q.nTrace > 0 {
		st.tv = make([]value, q.nTrace)
		st.tvRead = make([]bool, q.nTrace)
	}
	set := st.set(q.set)
	var r Result
	for _, i := range t.Order() {
		if set[i] {
			r.Spans = append(r.Spans, i)
		}
	}
	if q.agg == nil {
		r.Match = len(r.Spans) > 0
		return r
	}
	v := st.aggregate(q.agg, r.Spans)
	r.Aggregate = q.agg.text()
	r.Value = v.plain()
	r.Want = opText(q.agg.op) + " " + q.agg.lit.plain()
	if v.present() {
		c, ok := compareValues(v, q.agg.lit)
		r.Match = ok && holds(q.agg.op, c)
	} else if len(r.Spans) == 0 {
		r.NoValue = "no span selected"
	} else {
		r.NoValue = "no selected span has " + q.agg.f.name
	}
	return r
}

// plain prints v without quotes (aggregates are numbers or durations).
func (v value) plain() string {
	if v.k == vStr {
		return v.s
	}
	return v.text()
}

func (a *aggNode) text() string {
	if a.f == nil {
		return a.fn + "()"
	}
	return a.fn + "(" + a.f.name + ")"
}

// set evaluates a span-set node to one flag per span.
func (st *evalState) set(n setNode) []bool {
	spans := st.t.spans
	switch n := n.(type) {
	case *selectNode:
		out := make([]bool, len(spans))
		for i := range spans {
			out[i] = n.cond == nil || st.cond(n.cond, i)
		}
		return out
	case *setOpNode:
		l := st.set(n.l)
		if (n.op == tAnd || n.op == tGt || n.op == tDesc) && !anySet(l) {
			return l // empty: the other side cannot change that
		}
		r := st.set(n.r)
		switch n.op {
		case tOr:
			for i := range r {
				r[i] = r[i] || l[i]
			}
			return r
		case tAnd:
			if !anySet(r) {
				return r
			}
			for i := range r {
				r[i] = r[i] || l[i]
			}
			return r
		case tGt:
			for i := range r {
				r[i] = r[i] && st.t.parent(i) >= 0 && l[st.t.parent(i)]
			}
			return r
		case tDesc:
			// below[i]: an ancestor of i is in l; parents come first in
			// tree order.
			below := make([]bool, len(spans))
			for _, i := range st.t.Order() {
				if p := st.t.parent(i); p >= 0 {
					below[i] = l[p] || below[p]
				}
			}
			for i := range r {
				r[i] = r[i] && below[i]
			}
			return r
		}
	}
	panic(fmt.Sprintf("query: unknown node %T", n))
}

func anySet(s []bool) bool {
	for _, b := range s {
		if b {
			return true
		}
	}
	return false
}

// cond evaluates a condition on span i.
func (st *evalState) cond(c condNode, i int) bool {
	switch c := c.(type) {
	case *cmpCond:
		return st.compare(c, st.value(c.f, i))
	case *andCond:
		return st.cond(c.l, i) && st.cond(c.r, i)
	case *orCond:
		return st.cond(c.l, i) || st.cond(c.r, i)
	case *notCond:
		return !st.cond(c.x, i)
	case *constCond:
		return c.v
	}
	panic(fmt.Sprintf("query: unknown condition %T", c))
}

func (st *evalState) value(f *field, i int) value {
	if !f.traceLevel() {
		return st.t.spanValue(f, i)
	}
	if !st.tvRead[f.slot] {
		st.tv[f.slot], st.tvRead[f.slot] = st.t.traceValue(f), true
	}
	return st.tv[f.slot]
}

// compare applies c to v. An absent field (nil) only meets "= nil"; a
// value of another type than the literal meets nothing, not even !=.
func (st *evalState) compare(c *cmpCond, v value) bool {
	if c.lit.k == vNone {
		return (c.op == tEq) == (v.k == vNone)
	}
	if v.k == vNone {
		return false
	}
	if c.re != nil {
		if v.k != vStr {
			v = strVal(v.plain())
		}
		return c.re.MatchString(v.s) == (c.op == tRe)
	}
	if c.f.upper && v.k == vStr {
		v.s = upperASCII(v.s)
	}
	cm, ok := compareValues(coerce(v, c.lit.k), c.lit)
	return ok && holds(c.op, cm)
}

func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// aggregate computes a over the spans: count and sum of no spans are 0;
// avg, min and max of no values are nil (and so meet no comparison).
func (st *evalState) aggregate(a *aggNode, spans []int) value {
	if a.f == nil {
		return numVal(float64(len(spans)))
	}
	var (
		n        int
		sum      float64
		lo, hi   = math.Inf(1), math.Inf(-1)
		isDur    = a.f.typ == vDur
		sawDur   bool
		anyValue bool
	)
	for _, i := range spans {
		v := coerce(st.value(a.f, i), vNum)
		var x float64
		switch v.k {
		case vNum:
			x = v.n
		case vDur:
			x, sawDur = float64(v.d), true
		default:
			continue
		}
		anyValue = true
		n++
		sum += x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	var r float64
	switch a.fn {
	case "sum":
		r = sum
	case "avg":
		if n == 0 {
			return value{}
		}
		r = sum / float64(n)
	case "min":
		if !anyValue {
			return value{}
		}
		r = lo
	case "max":
		if !anyValue {
			return value{}
		}
		r = hi
	}
	if isDur || sawDur || a.lit.k == vDur {
		return durVal(durationOf(r))
	}
	return numVal(r)
}

func durationOf(ns float64) time.Duration { return time.Duration(math.Round(ns)) }
