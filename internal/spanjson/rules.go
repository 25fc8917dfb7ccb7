package spanjson

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// The trace-level rules: which span is a trace's root, and what a trace's
// id, request time, duration, state and previews are when its input did not
// say (OTLP, a TraceData, a bare span list, a trace assembled from several
// documents or received live). Every reader, the loaders, the manager, the
// receiver and the renderer call these; none keeps a copy.

// RootSpan is the span a trace's info is derived from: the earliest span
// without a parent (then the lowest span id); in a trace without one, the
// earliest span whose parent is not among spans; in a trace of cycles only,
// the earliest span. ok is false only when spans is empty.
func RootSpan(spans []Span) (root Span, ok bool) {
	for _, s := range spans {
		if s.IsRoot() && rootBefore(s, root) {
			root = s
		}
	}
	if !root.IsZero() {
		return root, true
	}
	ids := make(map[SpanID]struct{}, len(spans))
	for _, s := range spans {
		ids[s.SpanID()] = struct{}{}
	}
	for _, s := range spans {
		if _, ok := ids[s.ParentID()]; !ok && rootBefore(s, root) {
			root = s
		}
	}
	if !root.IsZero() {
		return root, true
	}
	for _, s := range spans {
		if rootBefore(s, root) {
			root = s
		}
	}
	return root, !root.IsZero()
}

// rootBefore orders root candidates by start time, then span id; any span
// comes before none.
func rootBefore(a, b Span) bool {
	switch {
	case b.IsZero():
		return true
	case a.d.StartTime != b.d.StartTime:
		return a.d.StartTime < b.d.StartTime
	}
	return bytes.Compare(a.d.SpanID[:], b.d.SpanID[:]) < 0
}

// RootState is the state a trace's root span implies: IN_PROGRESS while it
// runs, ERROR if it failed, OK otherwise.
func RootState(root Span) TraceState {
	switch {
	case root.d.EndTime == 0:
		return StateInProgress
	case root.d.statusCode == StatusError:
		return StateError
	default:
		return StateOK
	}
}

// spanBounds is what a trace's request time, duration and state come from:
// its root spans (all parentless spans, so a trace of several roots lasts
// from the first root's start to the last root's end), or the one span
// RootSpan picks when no span is parentless.
type spanBounds struct {
	root       Span // RootSpan
	start, end int64
	running    bool // a root has not ended
	failed     bool // a root has status ERROR
}

func boundsOf(spans []Span) (spanBounds, bool) {
	root, ok := RootSpan(spans)
	if !ok {
		return spanBounds{}, false
	}
	b := spanBounds{root: root, start: root.d.StartTime}
	add := func(s Span) {
		if s.d.EndTime == 0 {
			b.running = true
		}
		b.end = max(b.end, s.d.EndTime)
		b.failed = b.failed || s.d.statusCode == StatusError
	}
	if !root.IsRoot() {
		add(root)
		return b, true
	}
	for _, s := range spans {
		if s.IsRoot() {
			add(s)
		}
	}
	return b, true
}

func (b spanBounds) state() TraceState {
	switch {
	case b.running:
		return StateInProgress
	case b.failed:
		return StateError
	}
	return StateOK
}

// duration is the time from the first root's start to the last root's end,
// 0 for a root that ends before it starts; ok is false while one runs.
func (b spanBounds) duration() (time.Duration, bool) {
	if b.running {
		return 0, false
	}
	return time.Duration(max(b.end-b.start, 0)), true
}

// DeriveInfo builds the trace info of spans that came without one (an OTLP
// document, a TraceData, a bare span list) or that were assembled from
// several documents: the MLflow id, request time and duration to the
// nanosecond, and the state, from the root spans (see spanBounds); a trace
// written by `tracectl collect` without its root (TagIncomplete) is ERROR.
// schema is the one the spans were read in: MLflow 2 ids are 32 hex digits
// without "tr-". The result has Derived set.
func DeriveInfo(spans []Span, schema Schema) TraceInfo {
	info := TraceInfo{Derived: true, State: StateUnspecified}
	b, ok := boundsOf(spans)
	if !ok {
		return info
	}
	d := b.root.d
	switch {
	case d.opaque() != nil && d.opaque().TraceID != "":
		info.TraceID = d.opaque().TraceID
	case schema == SchemaMLflowV2:
		info.TraceID = d.TraceID.String()
	default:
		info.TraceID = d.TraceID.MLflowID()
	}
	if id, ok := commonRequestID(spans); ok {
		// MLflow names the trace in every span: its id is the MLflow one
		// (an MLflow 2 request id survives a trip through OTLP).
		info.TraceID = id
	}
	if b.start != 0 {
		info.RequestTime = unixNanoTime(b.start)
	}
	info.ExecutionDuration, info.HasDuration = b.duration()
	info.State = b.state()
	if why, ok := incompleteMark(spans); ok {
		info.State = StateError
		info.Tags = map[string]string{TagIncomplete: why}
	}
	return info
}

// State is the trace's state: its info's, or, when the info does not say
// (UNSPECIFIED), the one its spans imply (see DeriveInfo).
func (t *Trace) State() TraceState {
	if s := t.Info.State; s != "" && s != StateUnspecified {
		return s
	}
	if b, ok := boundsOf(t.Spans); ok {
		return b.state()
	}
	return StateUnspecified
}

// Duration is the trace's execution duration: its info's, or, when the info
// has none, the one its spans imply (see DeriveInfo); ok is false while the
// trace runs or when it has no spans.
func (t *Trace) Duration() (time.Duration, bool) {
	if t.Info.HasDuration {
		return t.Info.ExecutionDuration, true
	}
	if b, ok := boundsOf(t.Spans); ok {
		return b.duration()
	}
	return 0, false
}

// PreviewOf is a request or response preview made from a root span's
// attribute (AttrInputs or AttrOutputs): its JSON text cut to
// PreviewMaxLength characters, "" when absent. A stored value that is not
// JSON (a producer's plain string) is JSON-encoded first.
func PreviewOf(a Attributes, key string) string {
	raw, ok := a.Raw(key)
	if !ok {
		return ""
	}
	if !json.Valid([]byte(raw)) {
		b, _ := json.Marshal(raw)
		raw = string(b)
	}
	return ClipRunes(raw, PreviewMaxLength)
}

// PreviewOfMetadata is the request or response preview an MLflow 2 trace's
// request metadata gives (MetaTraceInputs or MetaTraceOutputs, where MLflow
// 2 keeps what MLflow 3 calls previews): its text, already JSON or the
// plain text a preview may be, cut to PreviewMaxLength characters.
func PreviewOfMetadata(value string) string { return ClipRunes(value, PreviewMaxLength) }

// ClipRunes returns the first n characters (runes, not bytes) of s.
func ClipRunes(s string, n int) string {
	if len(s) <= n {
		return s // n bytes hold at most n runes
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// TraceGenAI is a trace's GenAI summary (TraceGenAIOf).
type TraceGenAI struct {
	Models       []string // distinct, sorted
	Providers    []string // distinct, sorted
	InputTokens  Count
	OutputTokens Count
	TotalTokens  Count
	CachedTokens Count
	// UsageFrom says where the token counts come from: UsageFromMetadata,
	// UsageFromModelSpans, UsageFromTopSpans, or "" when none is known.
	UsageFrom string
	Cost      Cost
	Session   string
	User      string
}

// Where a trace's token counts come from.
const (
	UsageFromMetadata   = "metadata"    // mlflow.trace.tokenUsage
	UsageFromModelSpans = "model spans" // the sum over LLM, CHAT_MODEL and EMBEDDING spans
	UsageFromTopSpans   = "top spans"   // no model span has counts: the spans with counts under no span with counts
)

// TraceGenAIOf summarises a trace through the GenAI view of its spans.
// Token totals never double count: the trace metadata
// mlflow.trace.tokenUsage when present; else the sum over the spans that
// call a model (LLM, CHAT_MODEL, EMBEDDING), since agent, chain and root
// spans carry roll-ups of their descendants (LangSmith, Langfuse, OTel
// invoke_agent); else, when no such span has counts, the sum over the
// spans with counts that have no ancestor with counts. Cost follows the
// same rule (trace metadata, model spans, top spans). Session and user:
// the trace metadata, else the root span's view, else the first span's
// that has one.
func TraceGenAIOf(info TraceInfo, spans []Span) TraceGenAI {
	var out TraceGenAI
	models, providers := map[string]struct{}{}, map[string]struct{}{}
	var marks usageMarks
	var modelTokens, modelCost tokenSum
	var firstSession, firstUser string
	rootID, hasRoot := SpanID{}, false
	if r, ok := RootSpan(spans); ok {
		rootID, hasRoot = r.SpanID(), true
	}
	var views GenAIViews
	for i, s := range spans {
		g := views.Of(s)
		if g.Model != "" {
			models[g.Model] = struct{}{}
		}
		if g.Provider != "" {
			providers[g.Provider] = struct{}{}
		}
		if hasRoot && s.SpanID() == rootID {
			out.Session, out.User = g.Session, g.User
		}
		if firstSession == "" {
			firstSession = g.Session
		}
		if firstUser == "" {
			firstUser = g.User
		}
		marks.see(i, g)
		if isModelType(g.Type) {
			// The model spans' sums, made in this pass: they are the
			// totals whenever a model span has counts (or a cost), and
			// a second GenAIOf of each was a fifth of this function.
			if g.HasUsage() {
				modelTokens.addTokens(g)
			}
			if g.Cost.Known {
				modelCost.addCost(g)
			}
		}
	}
	if len(models) > 0 {
		out.Models = sortedKeys(models)
	}
	if len(providers) > 0 {
		out.Providers = sortedKeys(providers)
	}
	out.Session = cmp.Or(metaValue(info, traceSessionKeys), out.Session, firstSession)
	out.User = cmp.Or(metaValue(info, traceUserKeys), out.User, firstUser)

	tokenSpans, from, costSpans := marks.pick(spans)
	tokens, cost := modelTokens, modelCost
	if from != UsageFromModelSpans {
		tokens = tokenSum{}
		for _, i := range tokenSpans {
			tokens.addTokens(views.Of(spans[i]))
		}
	}
	if tokens.any {
		out.InputTokens, out.OutputTokens, out.TotalTokens, out.CachedTokens = tokens.in, tokens.out, tokens.total, tokens.cached
		out.UsageFrom = from
	}
	if u, ok := metaTokenUsage(info); ok {
		out.InputTokens, out.OutputTokens, out.TotalTokens = u.in, u.out, u.total
		if u.cached.Known {
			out.CachedTokens = u.cached
		}
		out.UsageFrom = UsageFromMetadata
	}

	if len(marks.modelCost) == 0 {
		cost = tokenSum{}
		for _, i := range costSpans {
			cost.addCost(views.Of(spans[i]))
		}
	}
	if cost.any {
		out.Cost = Cost{USD: roundCost(cost.cost), Known: true}
	}
	if s := metaValue(info, traceCostKeys); s != "" {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			out.Cost = Cost{USD: f, Known: true}
		}
	}
	return out
}

// TokenCountsOf returns TraceGenAIOf(info, spans)'s input, output and
// total token counts, without walking the spans when the trace metadata
// gives them (it then wins, as in TraceGenAIOf): `roots` shows these
// three alone, and the GenAI view of every span was a seventh of its time.
func TokenCountsOf(info TraceInfo, spans []Span) (in, out, total Count) {
	if u, ok := metaTokenUsage(info); ok {
		return u.in, u.out, u.total
	}
	g := TraceGenAIOf(info, spans)
	return g.InputTokens, g.OutputTokens, g.TotalTokens
}

// UsageSpans returns the spans (indexes into spans) whose own token counts
// make up a trace's token totals, and those whose own costs make up its
// cost, when the trace metadata does not give them (TraceGenAIOf's rule):
// the spans that call a model (LLM, CHAT_MODEL, EMBEDDING) with counts,
// else the spans with counts under no span with counts; likewise for cost.
// A roll-up is never listed with a span it rolls up, so adding up the
// listed spans' counts, in any grouping, never counts a token twice.
// tokensFrom is UsageFromModelSpans, UsageFromTopSpans or "" (none).
func UsageSpans(spans []Span) (tokens []int, tokensFrom string, cost []int) {
	var marks usageMarks
	for i, s := range spans {
		marks.see(i, GenAIOf(s))
	}
	return marks.pick(spans)
}

// usageMarks collects, span by span, what UsageSpans picks from.
type usageMarks struct {
	withUsage, withCost   []int // spans with counts, with a cost
	modelUsage, modelCost []int // the same among the spans that call a model
}

func (m *usageMarks) see(i int, g GenAI) {
	if g.HasUsage() {
		m.withUsage = append(m.withUsage, i)
		if isModelType(g.Type) {
			m.modelUsage = append(m.modelUsage, i)
		}
	}
	if g.Cost.Known {
		m.withCost = append(m.withCost, i)
		if isModelType(g.Type) {
			m.modelCost = append(m.modelCost, i)
		}
	}
}

func (m *usageMarks) pick(spans []Span) (tokens []int, tokensFrom string, cost []int) {
	switch {
	case len(m.modelUsage) > 0:
		tokens, tokensFrom = m.modelUsage, UsageFromModelSpans
	case len(m.withUsage) > 0:
		tokens, tokensFrom = topmost(spans, m.withUsage), UsageFromTopSpans
	}
	switch {
	case len(m.modelCost) > 0:
		cost = m.modelCost
	case len(m.withCost) > 0:
		cost = topmost(spans, m.withCost)
	}
	return tokens, tokensFrom, cost
}

// GenAI is TraceGenAIOf(t.Info, t.Spans).
func (t *Trace) GenAI() TraceGenAI { return TraceGenAIOf(t.Info, t.Spans) }

// tokenSum adds up the counts and costs of spans.
type tokenSum struct {
	in, out, total, cached Count
	cost                   float64
	any                    bool
}

func (s *tokenSum) addTokens(g GenAI) {
	add := func(dst *Count, c Count) {
		if c.Known {
			dst.N += c.N
			dst.Known = true
		}
	}
	add(&s.in, g.InputTokens)
	add(&s.out, g.OutputTokens)
	add(&s.total, g.TotalTokens)
	add(&s.cached, g.CachedTokens)
	s.any = true
}

func (s *tokenSum) addCost(g GenAI) {
	s.cost += g.Cost.USD
	s.any = true
}

// roundCost drops the float noise of a sum (0.1+0.2) at 12 significant
// digits, so that text and JSON print the same short number.
func roundCost(f float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	return r
}

// topmost returns the indexes among marked whose spans have no ancestor
// among marked, in order. Ancestry is the span tree's (BuildTree: a
// missing parent makes a root, cycles are broken as show draws them);
// each span is walked once.
func topmost(spans []Span, marked []int) []int {
	tree, _ := BuildTree(spans)
	isMarked := make([]bool, len(spans))
	for _, i := range marked {
		isMarked[i] = true
	}
	// covered[i]: some proper ancestor of span i is marked (0 unknown, 1 no, 2 yes).
	covered := make([]uint8, len(spans))
	var path []int
	for _, start := range marked {
		path = path[:0]
		answer := uint8(1)
		for i := start; ; {
			if covered[i] != 0 {
				answer = covered[i]
				break
			}
			path = append(path, i)
			p := tree.Parent[i]
			if p < 0 {
				break
			}
			if isMarked[p] {
				answer = 2
				break
			}
			i = p
		}
		// The spans on the path are unmarked but for start: they share
		// the answer of the chain above them.
		for _, k := range path {
			covered[k] = answer
		}
	}
	var out []int
	for _, i := range marked {
		if covered[i] != 2 {
			out = append(out, i)
		}
	}
	return out
}

// metaValue returns the first non-empty metadata value among keys.
func metaValue(info TraceInfo, keys []string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(info.Metadata[k]); v != "" {
			return v
		}
	}
	return ""
}

// tokenCounts are the counts of mlflow.trace.tokenUsage.
type tokenCounts struct{ in, out, total, cached Count }

// metaTokenUsage reads the metadata mlflow.trace.tokenUsage
// ({"input_tokens", "output_tokens", "total_tokens"} JSON text).
func metaTokenUsage(info TraceInfo) (tokenCounts, bool) {
	raw, ok := info.Metadata[MetaTokenUsage]
	if !ok {
		return tokenCounts{}, false
	}
	a := Attribute{Key: MetaTokenUsage, Value: raw}
	var u tokenCounts
	var m valueMembers
	m.reset(a)
	read := func(member string) Count {
		n, ok := intValue(a, member, &m)
		return Count{N: n, Known: ok}
	}
	u.in, u.out, u.total = read("input_tokens"), read("output_tokens"), read("total_tokens")
	u.cached = read("cached_tokens")
	if !u.in.Known && !u.out.Known && !u.total.Known {
		return tokenCounts{}, false
	}
	if !u.total.Known {
		u.total = Count{N: u.in.N + u.out.N, Known: true}
	}
	return u, true
}
