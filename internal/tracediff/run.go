package tracediff

import (
	"fmt"
	"math"
	"strings"
	"time"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// Key says how the traces of two runs are paired: by the values of its
// parts, joined.
type Key struct {
	Text  string
	parts []keyPart
}

type keyPart struct{ kind, name string }

// The parts a key may have.
const (
	KeyTraceName = "trace-name" // the trace name (tag, else the root span's name)
	KeyRequest   = "request"    // the request preview
	KeyTag       = "tag:"       // tag:KEY, a trace tag
	KeyMetadata  = "metadata:"  // metadata:KEY, a trace metadata value
)

// DefaultKey pairs by trace name and request.
const DefaultKey = KeyTraceName + "," + KeyRequest

// ParseKey reads a comma-separated list of key parts: trace-name,
// request, tag:KEY, metadata:KEY.
func ParseKey(s string) (Key, error) {
	k := Key{Text: s}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == KeyTraceName || p == KeyRequest:
			k.parts = append(k.parts, keyPart{kind: p})
		case strings.HasPrefix(p, KeyTag) && len(p) > len(KeyTag):
			k.parts = append(k.parts, keyPart{kind: KeyTag, name: p[len(KeyTag):]})
		case strings.HasPrefix(p, KeyMetadata) && len(p) > len(KeyMetadata):
			k.parts = append(k.parts, keyPart{kind: KeyMetadata, name: p[len(KeyMetadata):]})
		default:
			return Key{}, fmt.Errorf("invalid --key part %q: want trace-name, request, tag:KEY or metadata:KEY", p)
		}
	}
	return k, nil
}

// Of is v's key.
func (k Key) Of(v *render.TraceView) string {
	var b strings.Builder
	for i, p := range k.parts {
		if i > 0 {
			b.WriteString(" · ")
		}
		switch p.kind {
		case KeyTraceName:
			b.WriteString(v.Name())
		case KeyRequest:
			req, _ := v.Previews()
			b.WriteString(req)
		case KeyTag:
			b.WriteString(v.Trace.Info.Tags[p.name])
		case KeyMetadata:
			b.WriteString(v.Trace.Info.Metadata[p.name])
		}
	}
	return b.String()
}

// What a run diff groups spans by.
const (
	ByName  = "name"
	ByType  = "type"
	ByModel = "model" // spans without a model are left out
)

// RunOptions tune a run diff.
type RunOptions struct {
	Options
	Key Key
	By  string
}

// SideStats are one side's figures for a group of spans (or the traces).
type SideStats struct {
	Count     int      `json:"count"`
	Errors    int      `json:"errors"`
	ErrorRate float64  `json:"error_rate"` // errors / count, rounded to 0.001
	P50       int64    `json:"p50_ns"`
	P95       int64    `json:"p95_ns"`
	Tokens    *int64   `json:"tokens,omitempty"`   // the group's own model-call tokens (never a roll-up)
	Cost      *float64 `json:"cost_usd,omitempty"` // likewise
}

// GroupRow is a group on both sides, and the changes.
type GroupRow struct {
	Key       string    `json:"key"`
	Base      SideStats `json:"base"`
	Cand      SideStats `json:"candidate"`
	P50Pct    *float64  `json:"p50_delta_pct,omitempty"`
	P95Pct    *float64  `json:"p95_delta_pct,omitempty"`
	TokensPct *float64  `json:"tokens_delta_pct,omitempty"`
	CostPct   *float64  `json:"cost_delta_pct,omitempty"`
}

// TraceRef names a trace that found no pair.
type TraceRef struct {
	TraceID string `json:"trace_id"`
	Name    string `json:"trace_name"`
	Key     string `json:"key"`
	Source  string `json:"source"`
}

// RunLabel is one side of a run diff.
type RunLabel struct {
	Inputs []string `json:"inputs"`
	Traces int      `json:"traces"`
}

// RunReport is the run diff, and its -o json document.
type RunReport struct {
	Base     RunLabel    `json:"base"`
	Cand     RunLabel    `json:"candidate"`
	Key      string      `json:"key"`
	By       string      `json:"by"`
	Options  OptionsJSON `json:"options"`
	Paired   int         `json:"paired"`
	Traces   GroupRow    `json:"traces"` // the paired traces as a whole
	Groups   []GroupRow  `json:"groups"`
	Unpaired struct {
		Base []TraceRef `json:"base"`
		Cand []TraceRef `json:"candidate"`
	} `json:"unpaired"`
	Gates []GateResult `json:"gates,omitempty"`

	opts Options
}

// acc gathers one side of one group.
type acc struct {
	count, errors int
	durs          []int64
	tokens        spanjson.Count
	cost          spanjson.Cost
}

func (a *acc) addTokens(c spanjson.Count) {
	if c.Known {
		a.tokens.N += c.N
		a.tokens.Known = true
	}
}

func (a *acc) addCost(c spanjson.Cost) {
	if c.Known {
		a.cost.USD += c.USD
		a.cost.Known = true
	}
}

func (a *acc) stats() SideStats {
	s := SideStats{Count: a.count, Errors: a.errors}
	if a.count > 0 {
		s.ErrorRate = math.Round(float64(a.errors)/float64(a.count)*1000) / 1000
	}
	sorted := sortedCopy(a.durs)
	s.P50, s.P95 = quantile(sorted, 0.50), quantile(sorted, 0.95)
	s.Tokens = countPtr(a.tokens)
	if a.cost.Known {
		c := roundUSD(a.cost.USD)
		s.Cost = &c
	}
	return s
}

func rowOf(key string, b, c *acc) GroupRow {
	r := GroupRow{Key: key, Base: b.stats(), Cand: c.stats()}
	if r.Base.Count > 0 && r.Cand.Count > 0 {
		r.P50Pct = pct(float64(r.Base.P50), float64(r.Cand.P50))
		r.P95Pct = pct(float64(r.Base.P95), float64(r.Cand.P95))
	}
	if r.Base.Tokens != nil && r.Cand.Tokens != nil {
		r.TokensPct = pct(float64(*r.Base.Tokens), float64(*r.Cand.Tokens))
	}
	if r.Base.Cost != nil && r.Cand.Cost != nil {
		r.CostPct = pct(*r.Base.Cost, *r.Cand.Cost)
	}
	return r
}

// groups gathers one side's spans by group, in first-seen order.
type groups struct {
	by    string
	order *groupOrder
	m     map[string]*acc
}

// groupOrder is the groups of both sides in first-seen order.
type groupOrder struct {
	keys []string
	seen map[string]bool
}

func (o *groupOrder) add(key string) {
	if !o.seen[key] {
		o.seen[key] = true
		o.keys = append(o.keys, key)
	}
}

func (g *groups) get(key string) *acc {
	a := g.m[key]
	if a == nil {
		a = &acc{}
		g.m[key] = a
		g.order.add(key)
	}
	return a
}

func (g *groups) add(v *render.TraceView) {
	spans := v.Tree.Spans
	tok, _, cost := spanjson.UsageSpans(spans)
	isTok, isCost := indexSet(tok, len(spans)), indexSet(cost, len(spans))
	for _, i := range v.Order() {
		s := spans[i]
		var key string
		var gen spanjson.GenAI
		haveGen := false
		switch g.by {
		case ByType:
			key = v.SpanTypeAt(i)
		case ByModel:
			gen, haveGen = spanjson.GenAIOf(s), true
			if gen.Model == "" {
				continue
			}
			key = gen.Model
		default:
			key = s.Name()
		}
		a := g.get(key)
		a.count++
		if isError(s) {
			a.errors++
		}
		a.durs = append(a.durs, int64(s.Duration()))
		if isTok[i] || isCost[i] {
			if !haveGen {
				gen = spanjson.GenAIOf(s)
			}
			if isTok[i] {
				a.addTokens(gen.TotalTokens)
			}
			if isCost[i] {
				a.addCost(gen.Cost)
			}
		}
	}
}

// CompareRuns pairs the traces of two runs by o.Key (the k-th base trace
// of a key with the k-th candidate trace of that key) and compares the
// paired traces as a whole and per group of spans. Unpaired traces are
// listed, not compared.
func CompareRuns(base, cand []*render.TraceView, baseInputs, candInputs []string, o RunOptions) *RunReport {
	r := &RunReport{
		Base: RunLabel{Inputs: nonNil(baseInputs), Traces: len(base)},
		Cand: RunLabel{Inputs: nonNil(candInputs), Traces: len(cand)},
		Key:  o.Key.Text, By: o.By, Options: o.Options.json(), Groups: []GroupRow{}, opts: o.Options,
	}
	r.Unpaired.Base, r.Unpaired.Cand = []TraceRef{}, []TraceRef{}
	ref := func(v *render.TraceView, key string) TraceRef {
		return TraceRef{TraceID: v.TraceID(), Name: v.Name(), Key: key, Source: v.Source}
	}
	baseKeys := make([]string, len(base))
	byKey := map[string][]int{}
	for i, v := range base {
		baseKeys[i] = o.Key.Of(v)
		byKey[baseKeys[i]] = append(byKey[baseKeys[i]], i)
	}
	paired := make([]bool, len(base))
	var pairs [][2]*render.TraceView
	for _, v := range cand {
		k := o.Key.Of(v)
		if q := byKey[k]; len(q) > 0 {
			byKey[k] = q[1:]
			paired[q[0]] = true
			pairs = append(pairs, [2]*render.TraceView{base[q[0]], v})
			continue
		}
		r.Unpaired.Cand = append(r.Unpaired.Cand, ref(v, k))
	}
	for i, v := range base {
		if !paired[i] {
			r.Unpaired.Base = append(r.Unpaired.Base, ref(v, baseKeys[i]))
		}
	}
	r.Paired = len(pairs)

	order := &groupOrder{seen: map[string]bool{}}
	bg := &groups{by: o.By, order: order, m: map[string]*acc{}}
	cg := &groups{by: o.By, order: order, m: map[string]*acc{}}
	var bt, ct acc
	for _, p := range pairs {
		bg.add(p[0])
		cg.add(p[1])
		for k, v := range p {
			a := &bt
			if k == 1 {
				a = &ct
			}
			a.count++
			if v.State() == spanjson.StateError {
				a.errors++
			}
			a.durs = append(a.durs, int64(v.Duration()))
			g := v.GenAI()
			a.addTokens(g.TotalTokens)
			a.addCost(g.Cost)
		}
	}
	r.Traces = rowOf("traces", &bt, &ct)
	for _, key := range order.keys {
		b, c := bg.m[key], cg.m[key]
		if b == nil {
			b = &acc{}
		}
		if c == nil {
			c = &acc{}
		}
		r.Groups = append(r.Groups, rowOf(key, b, c))
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CheckRuns applies the gates to a run diff.
func (g Gates) CheckRuns(r *RunReport) []GateResult {
	var out []GateResult
	if g.MaxSlower != nil {
		var items []string
		check := func(what string, row GroupRow) {
			if row.Base.Count == 0 || row.Cand.Count == 0 {
				return
			}
			ok, text := durationGate(g.MaxSlower, r.opts, what+" p95", time.Duration(row.Base.P95), time.Duration(row.Cand.P95))
			if !ok {
				items = append(items, text)
			}
		}
		check("traces", r.Traces)
		for _, row := range r.Groups {
			check(row.Key, row)
		}
		res := listResult(GateMaxSlower, items, "trace p95 and every group's p95 within the limit", "")
		res.Limit = g.MaxSlower.Text
		out = append(out, res)
	}
	if g.MaxTokens != nil {
		res := GateResult{Gate: GateMaxTokens, Limit: g.MaxTokens.Text, Passed: true, Detail: "token counts not known on both sides"}
		if b, c := r.Traces.Base.Tokens, r.Traces.Cand.Tokens; b != nil && c != nil {
			res.Passed = !g.MaxTokens.Exceeded(float64(*b), float64(*c))
			res.Detail = "tokens " + countText(b) + " → " + countText(c) + " " + signedCount(*c-*b) + pctText(r.Traces.TokensPct)
		}
		out = append(out, res)
	}
	if g.MaxCost != nil {
		res := GateResult{Gate: GateMaxCost, Limit: g.MaxCost.Text, Passed: true, Detail: "cost not known on both sides"}
		if b, c := r.Traces.Base.Cost, r.Traces.Cand.Cost; b != nil && c != nil {
			res.Passed = !g.MaxCost.Exceeded(*b, *c)
			res.Detail = "cost " + usdText(b) + " → " + usdText(c) + " " + signedUSD(roundUSD(*c-*b)) + pctText(r.Traces.CostPct)
		}
		out = append(out, res)
	}
	if g.NewErrors {
		var items []string
		newErr := func(what string, row GroupRow) {
			if row.Base.Errors == 0 && row.Cand.Errors > 0 {
				items = append(items, fmt.Sprintf("%s: %d of %d failed (none of %d in base)", what, row.Cand.Errors, row.Cand.Count, row.Base.Count))
			}
		}
		newErr("traces", r.Traces)
		for _, row := range r.Groups {
			newErr(row.Key, row)
		}
		out = append(out, listResult(GateNewErrors, items, "no new errors", ""))
	}
	if g.MissingSpans {
		var items []string
		for _, row := range r.Groups {
			if row.Base.Count > 0 && row.Cand.Count == 0 {
				items = append(items, fmt.Sprintf("%s (%d in base)", row.Key, row.Base.Count))
			}
		}
		out = append(out, listResult(GateMissingSpans, items, "no missing spans", "missing "))
	}
	return out
}
