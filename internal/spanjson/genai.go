package spanjson

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// The GenAI view (formats-more.md §7): one table maps the keys of MLflow,
// the OpenTelemetry GenAI conventions (current and older/Traceloop),
// OpenInference, and what the Langfuse and LangSmith readers keep of their
// native fields onto one normalised description of a span: its type in the
// MLflow vocabulary, model, provider, tokens, cost, inputs and outputs,
// tool, session and user. Every reader, command and query reads spans
// through GenAIOf (or GenAITypeOf for the type alone); the trace totals are
// TraceGenAIOf in rules.go.

// Count is a number a span may or may not carry.
type Count struct {
	N     int64
	Known bool
}

// Cost is an amount in US dollars a span may or may not carry.
type Cost struct {
	USD   float64
	Known bool
}

// GenAI is the normalised view of one span. Strings are "" when no key
// says; Type is UNKNOWN then.
type GenAI struct {
	Type         string // MLflow span type: LLM, CHAT_MODEL, TOOL, AGENT, …
	Model        string
	Provider     string
	InputTokens  Count // cached input tokens are included (never add CachedTokens)
	OutputTokens Count
	TotalTokens  Count // the span's total, else input + output
	CachedTokens Count
	Cost         Cost
	ToolName     string // TOOL spans only: the tool's name, else the span name
	ToolCallID   string
	Session      string
	User         string

	attrs   Attributes
	in, out ioWinner
}

// HasUsage reports whether the span carries a token count.
func (g GenAI) HasUsage() bool {
	return g.InputTokens.Known || g.OutputTokens.Known || g.TotalTokens.Known || g.CachedTokens.Known
}

// ioWinner is where a span's inputs or outputs come from: the attribute at
// index (a JSON or plain text value), or the flattened list under prefix
// (OpenInference's llm.input_messages.N.…, Traceloop's gen_ai.prompt.N.…).
type ioWinner struct {
	rank   int // -1: none
	index  int
	prefix string
}

// Inputs returns the span's inputs: JSON text decoded (once: a JSON string
// holding a JSON object or list is decoded again), flattened lists rebuilt
// as arrays by index. It decodes on each call.
func (g GenAI) Inputs() (any, bool) { return g.ioValue(g.in) }

// Outputs is Inputs for the span's outputs.
func (g GenAI) Outputs() (any, bool) { return g.ioValue(g.out) }

// IOKeys names where Inputs and Outputs come from: an attribute key, or
// the prefix of a flattened list ("llm.input_messages."); "" for none.
func (g GenAI) IOKeys() (in, out string) { return g.ioKey(g.in), g.ioKey(g.out) }

func (g GenAI) ioKey(w ioWinner) string {
	switch {
	case w.rank < 0:
		return ""
	case w.prefix != "":
		return w.prefix
	}
	return g.attrs.KeyAt(w.index)
}

func (g GenAI) ioValue(w ioWinner) (any, bool) {
	if w.rank < 0 || g.attrs.Len() == 0 {
		return nil, false
	}
	if w.prefix != "" {
		return rebuildIndexed(g.attrs, w.prefix), true
	}
	a := g.attrs.At(w.index)
	var v any
	switch a.Type {
	case ValueJSON:
		v = g.attrs.DecodedAt(w.index)
	case ValueString:
		v = a.Value // the text itself, never taken for a number
	default:
		return g.attrs.DecodedAt(w.index), true
	}
	if s, ok := v.(string); ok {
		if t := strings.TrimSpace(s); t != "" && (t[0] == '{' || t[0] == '[') {
			if d := DecodeValue(t); d != nil {
				if _, still := d.(string); !still {
					return d, true
				}
			}
		}
	}
	return v, true
}

// genaiField is a concept of the view.
type genaiField uint8

const (
	fType genaiField = iota
	fModel
	fProvider
	fInputTokens
	fOutputTokens
	fTotalTokens
	fCachedTokens
	fCost
	fInputs
	fOutputs
	fToolName
	fToolCallID
	fSession
	fUser
	numGenAIFields
)

// genaiSource is where a key comes from, in precedence order (§7: first
// hit wins).
type genaiSource uint8

const (
	srcMLflow        genaiSource = iota // mlflow.*
	srcOTel                             // gen_ai.* current (and general semconv keys)
	srcOpenInference                    // openinference.*, llm.*, input.value, …
	srcOld                              // pre-1.37 gen_ai.* names, Traceloop
	srcNative                           // Langfuse/LangSmith fields, as their readers keep them
)

// genaiKey is one row of the table.
type genaiKey struct {
	field  genaiField
	source genaiSource
	key    string // the attribute key; with a trailing "." a prefix of flattened keys
	member string // a member of an object value (gjson path), "" for the value itself
	types  map[string]string
}

// Span type values of each source, onto the MLflow vocabulary (§7.2).
var (
	otelOperationTypes = map[string]string{
		"chat": "CHAT_MODEL", "text_completion": "LLM", "generate_content": "LLM", "response": "LLM",
		"embeddings": "EMBEDDING", "execute_tool": "TOOL", "create_agent": "AGENT", "invoke_agent": "AGENT",
		// Not in §7.2: a later semconv value (Jaeger's GenAI sample uses
		// it); RETRIEVER is the MLflow type that names it.
		"retrieval": "RETRIEVER",
	}
	openInferenceKinds = map[string]string{
		"LLM": "LLM", "CHAIN": "CHAIN", "TOOL": "TOOL", "AGENT": "AGENT", "RETRIEVER": "RETRIEVER",
		"EMBEDDING": "EMBEDDING", "RERANKER": "RERANKER", "GUARDRAIL": "GUARDRAIL", "EVALUATOR": "EVALUATOR",
		"PROMPT": SpanTypeUnknown,
	}
	traceloopKinds  = map[string]string{"workflow": "CHAIN", "task": "CHAIN", "agent": "AGENT", "tool": "TOOL"}
	llmRequestTypes = map[string]string{"chat": "CHAT_MODEL", "completion": "LLM", "rerank": "RERANKER"}
	langfuseTypes   = map[string]string{
		"GENERATION": "LLM", "EMBEDDING": "EMBEDDING", "AGENT": "AGENT", "TOOL": "TOOL", "CHAIN": "CHAIN",
		"RETRIEVER": "RETRIEVER", "EVALUATOR": "EVALUATOR", "GUARDRAIL": "GUARDRAIL",
		"SPAN": SpanTypeUnknown, "EVENT": SpanTypeUnknown,
	}
	langsmithTypes = map[string]string{
		"llm": "LLM", "chain": "CHAIN", "tool": "TOOL", "retriever": "RETRIEVER",
		"embedding": "EMBEDDING", "parser": "PARSER", "prompt": SpanTypeUnknown,
	}
)

// Keys of the native fields the readers keep (langfuse.go, langsmith.go).
const (
	keyLangfuseType     = "langfuse.type"
	keyLangSmithRunType = "langsmith.run_type"
)

// genaiTable is THE table (formats-more.md §7.1). Within one field and
// source, earlier rows win.
var genaiTable = []genaiKey{
	// span type
	{field: fType, source: srcMLflow, key: AttrSpanType},
	{field: fType, source: srcOTel, key: "gen_ai.operation.name", types: otelOperationTypes},
	{field: fType, source: srcOpenInference, key: "openinference.span.kind", types: openInferenceKinds},
	{field: fType, source: srcOld, key: "traceloop.span.kind", types: traceloopKinds},
	{field: fType, source: srcOld, key: "llm.request.type", types: llmRequestTypes},
	{field: fType, source: srcNative, key: keyLangfuseType, types: langfuseTypes},
	{field: fType, source: srcNative, key: keyLangSmithRunType, types: langsmithTypes},

	// model
	{field: fModel, source: srcMLflow, key: "mlflow.llm.model"},
	{field: fModel, source: srcOTel, key: "gen_ai.response.model"},
	{field: fModel, source: srcOTel, key: "gen_ai.request.model"},
	{field: fModel, source: srcOpenInference, key: "llm.model_name"},
	{field: fModel, source: srcOpenInference, key: "embedding.model_name"},
	{field: fModel, source: srcOpenInference, key: "reranker.model_name"},
	{field: fModel, source: srcNative, key: "langfuse.model"},
	{field: fModel, source: srcNative, key: "metadata.ls_model_name"},
	{field: fModel, source: srcNative, key: "langsmith.invocation_params", member: "model"},

	// provider
	{field: fProvider, source: srcMLflow, key: "mlflow.llm.provider"},
	{field: fProvider, source: srcOTel, key: "gen_ai.provider.name"},
	{field: fProvider, source: srcOpenInference, key: "llm.provider"},
	{field: fProvider, source: srcOpenInference, key: "llm.system"},
	{field: fProvider, source: srcOld, key: "gen_ai.system"},
	{field: fProvider, source: srcNative, key: "metadata.ls_provider"},

	// tokens
	{field: fInputTokens, source: srcMLflow, key: AttrTokenUsage, member: "input_tokens"},
	{field: fInputTokens, source: srcMLflow, key: AttrChatUsage, member: "input_tokens"},
	{field: fInputTokens, source: srcOTel, key: "gen_ai.usage.input_tokens"},
	{field: fInputTokens, source: srcOpenInference, key: "llm.token_count.prompt"},
	{field: fInputTokens, source: srcOld, key: "gen_ai.usage.prompt_tokens"},
	{field: fInputTokens, source: srcNative, key: "langfuse.usageDetails", member: "input"},
	{field: fInputTokens, source: srcNative, key: "langsmith.prompt_tokens"},

	{field: fOutputTokens, source: srcMLflow, key: AttrTokenUsage, member: "output_tokens"},
	{field: fOutputTokens, source: srcMLflow, key: AttrChatUsage, member: "output_tokens"},
	{field: fOutputTokens, source: srcOTel, key: "gen_ai.usage.output_tokens"},
	{field: fOutputTokens, source: srcOpenInference, key: "llm.token_count.completion"},
	{field: fOutputTokens, source: srcOld, key: "gen_ai.usage.completion_tokens"},
	{field: fOutputTokens, source: srcNative, key: "langfuse.usageDetails", member: "output"},
	{field: fOutputTokens, source: srcNative, key: "langsmith.completion_tokens"},

	{field: fTotalTokens, source: srcMLflow, key: AttrTokenUsage, member: "total_tokens"},
	{field: fTotalTokens, source: srcMLflow, key: AttrChatUsage, member: "total_tokens"},
	{field: fTotalTokens, source: srcOpenInference, key: "llm.token_count.total"},
	{field: fTotalTokens, source: srcOld, key: "gen_ai.usage.total_tokens"},
	{field: fTotalTokens, source: srcOld, key: "llm.usage.total_tokens"},
	{field: fTotalTokens, source: srcNative, key: "langfuse.usageDetails", member: "total"},
	{field: fTotalTokens, source: srcNative, key: "langsmith.total_tokens"},

	{field: fCachedTokens, source: srcOTel, key: "gen_ai.usage.cache_read.input_tokens"},
	{field: fCachedTokens, source: srcOpenInference, key: "llm.token_count.prompt_details.cache_read"},
	{field: fCachedTokens, source: srcOld, key: "gen_ai.usage.cache_read_input_tokens"},
	{field: fCachedTokens, source: srcNative, key: "langfuse.usageDetails", member: "input_cache_read"},
	{field: fCachedTokens, source: srcNative, key: "langfuse.usageDetails", member: `prompt_details\.cache_read`},
	{field: fCachedTokens, source: srcNative, key: "langsmith.prompt_token_details", member: "cache_read"},

	// cost (USD)
	{field: fCost, source: srcOpenInference, key: "llm.cost.total"},
	{field: fCost, source: srcNative, key: "langfuse.costDetails", member: "total"},
	{field: fCost, source: srcNative, key: "langsmith.total_cost"},

	// inputs and outputs
	{field: fInputs, source: srcMLflow, key: AttrInputs},
	{field: fInputs, source: srcOTel, key: "gen_ai.input.messages"},
	{field: fInputs, source: srcOTel, key: "gen_ai.tool.call.arguments"},
	{field: fInputs, source: srcOpenInference, key: "input.value"},
	{field: fInputs, source: srcOpenInference, key: "llm.input_messages."},
	{field: fInputs, source: srcOld, key: "gen_ai.prompt."},
	{field: fInputs, source: srcOld, key: "gen_ai.prompt"},
	{field: fInputs, source: srcOld, key: "traceloop.entity.input"},

	{field: fOutputs, source: srcMLflow, key: AttrOutputs},
	{field: fOutputs, source: srcOTel, key: "gen_ai.output.messages"},
	{field: fOutputs, source: srcOTel, key: "gen_ai.tool.call.result"},
	{field: fOutputs, source: srcOpenInference, key: "output.value"},
	{field: fOutputs, source: srcOpenInference, key: "llm.output_messages."},
	{field: fOutputs, source: srcOld, key: "gen_ai.completion."},
	{field: fOutputs, source: srcOld, key: "gen_ai.completion"},
	{field: fOutputs, source: srcOld, key: "traceloop.entity.output"},

	// tool (kept for TOOL spans only; the span name is the fallback)
	{field: fToolName, source: srcMLflow, key: AttrFunctionName},
	{field: fToolName, source: srcOTel, key: "gen_ai.tool.name"},
	{field: fToolName, source: srcOpenInference, key: "tool.name"},
	{field: fToolName, source: srcOld, key: "traceloop.entity.name"},
	{field: fToolCallID, source: srcOTel, key: "gen_ai.tool.call.id"},
	{field: fToolCallID, source: srcOpenInference, key: "tool_call.id"},
	{field: fToolCallID, source: srcOpenInference, key: "tool.id"},

	// session and user (the trace's metadata comes first: TraceGenAIOf)
	{field: fSession, source: srcOTel, key: "gen_ai.conversation.id"},
	{field: fSession, source: srcOpenInference, key: "session.id"},
	{field: fSession, source: srcNative, key: "metadata.thread_id"},
	{field: fSession, source: srcNative, key: "metadata.session_id"},
	{field: fSession, source: srcNative, key: "metadata.conversation_id"},
	{field: fUser, source: srcOTel, key: "user.id"},
	{field: fUser, source: srcOld, key: "llm.user"},
	{field: fUser, source: srcNative, key: "metadata.user_id"},
}

// Trace metadata keys of the trace-level view, first hit wins.
var (
	traceSessionKeys = []string{MetaTraceSession, "mlflow.traceSession"}
	traceUserKeys    = []string{MetaTraceUser, "mlflow.traceUser"}
	traceCostKeys    = []string{"mlflow.trace.cost", "langfuse.totalCost"}
)

// genaiRow is a table row as looked up: its rank orders the rows of one
// field (source first, then table order).
type genaiRow struct {
	genaiKey
	rank int
}

var (
	genaiByKey    map[string][]genaiRow
	genaiPrefixes []genaiRow
	genaiTypeRows map[string]genaiRow
)

func init() {
	genaiByKey = map[string][]genaiRow{}
	genaiTypeRows = map[string]genaiRow{}
	for i, k := range genaiTable {
		r := genaiRow{genaiKey: k, rank: int(k.source)*len(genaiTable) + i}
		switch {
		case strings.HasSuffix(k.key, "."):
			genaiPrefixes = append(genaiPrefixes, r)
		default:
			genaiByKey[k.key] = append(genaiByKey[k.key], r)
		}
		if k.field == fType {
			if !maybeTypeKey(k.key) {
				panic("spanjson: maybeTypeKey rejects the type key " + k.key)
			}
			genaiTypeRows[k.key] = r
		}
	}
}

// genaiRows returns the table rows of an attribute key.
func genaiRows(key string) []genaiRow {
	if rows, ok := genaiByKey[key]; ok {
		return rows
	}
	for i := range genaiPrefixes {
		p := genaiPrefixes[i].key
		if len(key) > len(p) && strings.HasPrefix(key, p) && key[len(p)] >= '0' && key[len(p)] <= '9' {
			return genaiPrefixes[i : i+1]
		}
	}
	return nil
}

// rowCache remembers the table rows of the attribute keys of one trace's
// spans (genaiRows). A reader interns keys, so a key is mostly the same
// string, the same bytes at the same address, in every span of a
// document: a hit compares two words where the map hashed the key, which
// was 7% of the CPU time of `tracectl roots` over 20,000 traces (0.2 s).
// A key met at another address is looked up again: never a wrong row.
type rowCache [64]struct {
	key  string
	rows []genaiRow
}

func (c *rowCache) lookup(key string) []genaiRow {
	if c == nil {
		return genaiRows(key)
	}
	data := unsafe.StringData(key)
	e := &c[(uintptr(unsafe.Pointer(data))>>3^uintptr(len(key)))%uintptr(len(c))]
	if len(e.key) == len(key) && unsafe.StringData(e.key) == data {
		return e.rows
	}
	e.key, e.rows = key, genaiRows(key)
	return e.rows
}

// GenAIOf reads the span's view in one pass over its attributes; only the
// winning values are parsed, and inputs/outputs are decoded when asked for.
func GenAIOf(s Span) GenAI { return genaiOfAttributes(s.d.Attributes, s.d.Name, nil, allGenAIFields) }

// GenAIViews reads the views of many spans, mostly of one document: the
// table rows of the keys it has met are remembered (rowCache). The zero
// value is ready; it is not safe for use by several goroutines at once.
type GenAIViews struct{ rows rowCache }

// Of is GenAIOf(s).
func (v *GenAIViews) Of(s Span) GenAI {
	return genaiOfAttributes(s.d.Attributes, s.d.Name, &v.rows, allGenAIFields)
}

// Usage is GenAIOf(s) with only its token counts and cost read (the
// other fields are zero): what a sum of tokens over every span needs.
// The counts and the total's rule are the view's own. `check` with
// `{} | sum(total_tokens) <= 20000` over 20,000 traces read the whole
// view of 880,000 spans for it.
func (v *GenAIViews) Usage(s Span) GenAI {
	return genaiOfAttributes(s.d.Attributes, s.d.Name, &v.rows, usageGenAIFields)
}

// genaiFields is a set of fields of the view, a bit each.
type genaiFields uint32

const (
	allGenAIFields   genaiFields = 1<<numGenAIFields - 1
	usageGenAIFields genaiFields = 1<<fInputTokens | 1<<fOutputTokens | 1<<fTotalTokens | 1<<fCachedTokens | 1<<fCost
)

func genaiOfAttributes(attrs Attributes, name string, cache *rowCache, read genaiFields) GenAI {
	g := GenAI{attrs: attrs, in: ioWinner{rank: -1}, out: ioWinner{rank: -1}}
	var rank [numGenAIFields]int
	for i := range rank {
		rank[i] = math.MaxInt
	}
	var members valueMembers // of a, for the rows that name members of it
	for i := 0; i < attrs.Len(); i++ {
		rows := cache.lookup(attrs.KeyAt(i))
		if len(rows) == 0 {
			continue
		}
		var a Attribute
		valued := false
		for _, r := range rows {
			if r.rank >= rank[r.field] || read&(1<<r.field) == 0 {
				continue
			}
			// Inputs and outputs are read when asked for (ioValue): their
			// values, an MLflow span's biggest, are not read here.
			if !valued && r.field != fInputs && r.field != fOutputs {
				a, valued = attrs.At(i), true
				members.reset(a)
			}
			if !g.take(r, a, i, &members) {
				continue
			}
			rank[r.field] = r.rank
		}
	}
	if g.Type == "" && read&(1<<fType) != 0 {
		g.Type = SpanTypeUnknown
	}
	// No total, or a total of 0 beside counts (a struct's zero value, as
	// Span.TokenUsage reads it): input + output.
	if sum := g.InputTokens.N + g.OutputTokens.N; (!g.TotalTokens.Known || g.TotalTokens.N == 0) && (g.InputTokens.Known || g.OutputTokens.Known) {
		g.TotalTokens = Count{N: sum, Known: true}
	}
	if g.Type == "TOOL" {
		if g.ToolName == "" {
			g.ToolName = name
		}
	} else if g.ToolName != "" {
		g.ToolName = "" // a function name or an entity name, not a tool's
	}
	return g
}

// take reads attribute a (at index i) for row r; false when its value
// says nothing (empty, not a number, a span type no table maps).
func (g *GenAI) take(r genaiRow, a Attribute, i int, m *valueMembers) bool {
	switch r.field {
	case fType:
		t, ok := typeFromRow(r, a)
		if ok {
			g.Type = t
		}
		return ok
	case fInputs, fOutputs:
		w := ioWinner{rank: r.rank, index: i}
		if strings.HasSuffix(r.key, ".") {
			w.prefix = r.key
		}
		if r.field == fInputs {
			g.in = w
		} else {
			g.out = w
		}
		return true
	case fInputTokens, fOutputTokens, fTotalTokens, fCachedTokens:
		n, ok := intValue(a, r.member, m)
		if !ok {
			return false
		}
		c := Count{N: n, Known: true}
		switch r.field {
		case fInputTokens:
			g.InputTokens = c
		case fOutputTokens:
			g.OutputTokens = c
		case fTotalTokens:
			g.TotalTokens = c
		default:
			g.CachedTokens = c
		}
		return true
	case fCost:
		f, ok := floatValue(a, r.member, m)
		if ok {
			g.Cost = Cost{USD: f, Known: true}
		}
		return ok
	}
	t := textValue(a, r.member, m)
	if t == "" {
		return false
	}
	switch r.field {
	case fModel:
		g.Model = t
	case fProvider:
		g.Provider = t
	case fToolName:
		g.ToolName = t
	case fToolCallID:
		g.ToolCallID = t
	case fSession:
		g.Session = t
	case fUser:
		g.User = t
	}
	return true
}

// typeFromRow maps a span type row's value; UNKNOWN and unmapped values
// are no hit, so a lower source may still say.
func typeFromRow(r genaiRow, a Attribute) (string, bool) {
	v := textValue(a, "", nil)
	if r.types == nil { // mlflow.spanType: the MLflow vocabulary itself
		return v, v != "" && v != SpanTypeUnknown
	}
	t, ok := r.types[v]
	if !ok && r.key == "openinference.span.kind" {
		t, ok = r.types[strings.ToUpper(v)]
	}
	return t, ok && t != SpanTypeUnknown
}

// GenAITypeOf is GenAIOf(s).Type without reading the rest: it stops at
// mlflow.spanType, so an MLflow span costs one key scan.
func GenAITypeOf(s Span) string { return genaiTypeOfAttributes(s.d.Attributes) }

func genaiTypeOfAttributes(attrs Attributes) string {
	best, bestRank := "", math.MaxInt
	for i := 0; i < attrs.Len(); i++ {
		key := attrs.KeyAt(i)
		if !maybeTypeKey(key) {
			continue
		}
		r, ok := genaiTypeRows[key]
		if !ok || r.rank >= bestRank {
			continue
		}
		if t, ok := typeFromRow(r, attrs.At(i)); ok {
			best, bestRank = t, r.rank
			if r.source == srcMLflow {
				break
			}
		}
	}
	if best == "" {
		return SpanTypeUnknown
	}
	return best
}

// maybeTypeKey rejects most keys that are not a type row's without a map
// lookup: a type key is 13 to 23 bytes long and ends in "e", "d" or "n"
// (init checks that every type row passes).
func maybeTypeKey(k string) bool {
	if n := len(k); n < 13 || n > 23 {
		return false
	}
	switch k[len(k)-1] {
	case 'e', 'd', 'n':
		return true
	}
	return false
}

// SpanTypeOfAttributes is the MLflow span type the attributes say through
// the table, "" when none does: what a producer that sets mlflow.spanType
// from other conventions writes.
func SpanTypeOfAttributes(list []Attribute) string {
	if t := genaiTypeOfAttributes(NewAttributes(list)); t != SpanTypeUnknown {
		return t
	}
	return ""
}

// NativeSpanType maps a Langfuse observation type or a LangSmith run type
// (key "langfuse.type" or "langsmith.run_type") through the table; known is
// false for a value the table does not list.
func NativeSpanType(key, value string) (typ string, known bool) {
	r, ok := genaiTypeRows[key]
	if !ok || r.types == nil {
		return "", false
	}
	typ, known = r.types[value]
	return typ, known
}

// textValue is an attribute's value (or a member of it) as text: a JSON
// string unquoted, anything else as stored.
func textValue(a Attribute, member string, m *valueMembers) string {
	if member != "" {
		r := memberOf(a, member, m)
		if r.Type == gjson.String {
			return r.Str
		}
		if !r.Exists() || r.Type == gjson.Null {
			return ""
		}
		return r.Raw
	}
	if a.Type == ValueJSON {
		v := a.Value
		if n := len(v); n >= 2 && v[0] == '"' && v[n-1] == '"' {
			if !strings.ContainsRune(v[1:n-1], '\\') {
				return v[1 : n-1]
			}
			return gjson.Parse(v).Str
		}
		if v == "null" {
			return ""
		}
	}
	return a.Value
}

// jsonMember finds member in an object value (also one stored as a JSON
// string holding the object).
func jsonMember(a Attribute, member string) gjson.Result {
	r := objectValue(a)
	if !r.IsObject() {
		return gjson.Result{}
	}
	return r.Get(member)
}

// objectValue is the value of a as JSON, a string holding JSON unwrapped.
func objectValue(a Attribute) gjson.Result {
	r := gjson.Parse(a.Value)
	if r.Type == gjson.String {
		r = gjson.Parse(r.Str)
	}
	return r
}

// valueMembers reads the members of one attribute's object value once for
// every member asked of it: a token-usage object is asked for three or
// four counts, and finding each with its own gjson.Get was most of the
// cost of summing tokens in `tracectl check` (0.2 s over 880,000 spans).
// A member that is a gjson path (with '.', '*', '?', ...) goes through
// jsonMember. The zero value, with a set, is ready.
type valueMembers struct {
	a    Attribute
	read bool
	obj  gjson.Result
	n    int
	keys [8]string
	vals [8]gjson.Result
	more bool // the object has more members than fit: ask gjson
}

// reset makes m read a's members.
func (m *valueMembers) reset(a Attribute) {
	m.a, m.read, m.n, m.more = a, false, 0, false
}

// memberOf is jsonMember(a, member), read through m when m is a's.
func memberOf(a Attribute, member string, m *valueMembers) gjson.Result {
	if m == nil {
		return jsonMember(a, member)
	}
	return m.get(member)
}

func (m *valueMembers) get(member string) gjson.Result {
	if strings.ContainsAny(member, `.*?|#@\!`) {
		return jsonMember(m.a, member)
	}
	if !m.read {
		m.read = true
		m.obj = objectValue(m.a)
		if m.obj.IsObject() {
			m.obj.ForEach(func(k, v gjson.Result) bool {
				if m.n == len(m.keys) {
					m.more = true
					return false
				}
				m.keys[m.n], m.vals[m.n] = k.Str, v
				m.n++
				return true
			})
		}
	}
	if !m.obj.IsObject() {
		return gjson.Result{}
	}
	for i := range m.n {
		if m.keys[i] == member {
			return m.vals[i]
		}
	}
	if m.more {
		return m.obj.Get(member)
	}
	return gjson.Result{}
}

// numberText is the text of a numeric value (or member): a JSON number's
// digits, a string's content; ok is false for anything else.
func numberText(a Attribute, member string, m *valueMembers) (string, bool) {
	if member == "" {
		return strings.TrimSpace(textValue(a, "", nil)), true
	}
	r := memberOf(a, member, m)
	switch r.Type {
	case gjson.Number:
		return r.Raw, true
	case gjson.String:
		return strings.TrimSpace(r.Str), true
	}
	return "", false
}

// intValue reads a count: a JSON number or a decimal text; an integral
// float is taken, a negative or fractional count is not.
func intValue(a Attribute, member string, m *valueMembers) (int64, bool) {
	s, ok := numberText(a, member, m)
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, n >= 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt64/2 {
		return 0, false
	}
	return int64(f), true
}

// floatValue reads an amount: a JSON number or a decimal text.
func floatValue(a Attribute, member string, m *valueMembers) (float64, bool) {
	s, ok := numberText(a, member, m)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// openInferenceWrappers are the names OpenInference nests list items in
// (llm.input_messages.0.message.role): dropped when rebuilding.
var openInferenceWrappers = map[string]bool{"message": true, "tool_call": true, "message_content": true, "document": true}

// rebuildIndexed rebuilds a list flattened by index under prefix
// ("llm.input_messages." → [{"role": …, "content": …}, …]): numeric
// segments are list indexes, the wrapper name after an index is dropped.
// Values are the attributes' decoded values.
func rebuildIndexed(attrs Attributes, prefix string) []any {
	var root any
	for i := 0; i < attrs.Len(); i++ {
		if !strings.HasPrefix(attrs.KeyAt(i), prefix) {
			continue
		}
		a := attrs.At(i)
		path := strings.Split(a.Key[len(prefix):], ".")
		if len(path) > maxRebuiltDepth {
			continue
		}
		var val any
		if a.Type == ValueString {
			val = a.Value
		} else {
			val = attrs.DecodedAt(i)
		}
		root = setPath(root, path, val, false)
	}
	list, _ := root.([]any)
	return compactList(list)
}

// maxRebuiltIndex bounds a list index of a flattened key, so that a key
// like "llm.input_messages.99999999.x" cannot allocate a huge list.
const maxRebuiltIndex = 1 << 12

// maxRebuiltDepth bounds the segments of a flattened key (setPath recurses
// once per segment).
const maxRebuiltDepth = 32

// setPath sets path in node (a []any, a map[string]any or nil) to val and
// returns the node. afterIndex says the previous segment was an index.
func setPath(node any, path []string, val any, afterIndex bool) any {
	if len(path) == 0 {
		return val
	}
	seg := path[0]
	if afterIndex && openInferenceWrappers[seg] && len(path) > 1 {
		return setPath(node, path[1:], val, false)
	}
	if n, err := strconv.Atoi(seg); err == nil && n >= 0 && n < maxRebuiltIndex {
		list, ok := node.([]any)
		if !ok {
			list = nil
		}
		for len(list) <= n {
			list = append(list, nil)
		}
		list[n] = setPath(list[n], path[1:], val, true)
		return list
	}
	m, ok := node.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	m[seg] = setPath(m[seg], path[1:], val, false)
	return m
}

// compactList drops the holes of a rebuilt list (indexes never given) and
// compacts the lists inside its items.
func compactList(list []any) []any {
	out := make([]any, 0, len(list))
	for _, v := range list {
		if v == nil {
			continue
		}
		out = append(out, compactValue(v))
	}
	return out
}

func compactValue(v any) any {
	switch x := v.(type) {
	case []any:
		return compactList(x)
	case map[string]any:
		for k, e := range x {
			x[k] = compactValue(e)
		}
	}
	return v
}

// isModelType reports whether spans of type t call a model: the spans
// whose tokens a trace total sums (§7 notes, §6.3).
func isModelType(t string) bool {
	return t == "LLM" || t == "CHAT_MODEL" || t == "EMBEDDING"
}
