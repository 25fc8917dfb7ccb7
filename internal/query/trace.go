package query

import (
	"github.com/tidwall/gjson"

	"tracectl/internal/spanjson"
)

// Trace is one trace prepared for evaluation: its spans as the tree has
// them (span indices in results are indices into Spans), the parent of
// each, and what is computed once and shared by every query evaluated on
// it (tree order, assessments). A Trace is not safe for concurrent use.
type Trace struct {
	trace  *spanjson.Trace
	tree   *spanjson.Tree
	spans  []spanjson.Span
	order  []int            // tree pre-order, made on first use
	assess map[string]value // assessment values by name, read on first use
	types  []string         // span types (spanjson.GenAITypeOf), read on first use
	genai  *spanjson.GenAIViews
}

// genaiOf is s's GenAI view for field k (only the counts and cost for
// those fields); the spans of a trace share one GenAIViews, whose keys'
// rows are looked up once (sum(total_tokens) read the view of every span
// of 20,000 traces: 0.47 s of check's 4.8 s of CPU).
func (t *Trace) genaiOf(s spanjson.Span, k fieldKind) spanjson.GenAI {
	if t.genai == nil {
		t.genai = new(spanjson.GenAIViews)
	}
	switch k {
	case fInputTokens, fOutputTokens, fTotalTokens, fCost:
		return t.genai.Usage(s) // the rest of the view is not read
	}
	return t.genai.Of(s)
}

// typeAt is span i's type. The types of all spans are read at once, the
// first time one is asked: most checks select spans by type, some in two
// sets ({ type = "AGENT" } >> { type = "TOOL" }), and each read scans the
// span's attributes.
func (t *Trace) typeAt(i int) string {
	if t.types == nil {
		t.types = make([]string, len(t.spans))
		for k, s := range t.spans {
			t.types[k] = spanjson.GenAITypeOf(s)
		}
	}
	return t.types[i]
}

// NewTrace prepares t for queries; tree is its span tree (built here when
// nil).
func NewTrace(t *spanjson.Trace, tree *spanjson.Tree) *Trace {
	if tree == nil {
		tree, _ = spanjson.BuildTree(t.Spans)
	}
	return &Trace{trace: t, tree: tree, spans: tree.Spans}
}

// Spans returns the spans that result indices refer to.
func (t *Trace) Spans() []spanjson.Span { return t.spans }

// Order returns the span indices in tree pre-order (a parent before its
// children), without recursion.
func (t *Trace) Order() []int {
	if t.order != nil || len(t.spans) == 0 {
		return t.order
	}
	order := make([]int, 0, len(t.spans))
	stack := make([]int, 0, 64)
	for r := len(t.tree.Roots) - 1; r >= 0; r-- {
		stack = append(stack, t.tree.Roots[r])
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, i)
		if i < len(t.tree.Children) {
			kids := t.tree.Children[i]
			for c := len(kids) - 1; c >= 0; c-- {
				stack = append(stack, kids[c])
			}
		}
	}
	t.order = order
	return order
}

func (t *Trace) parent(i int) int {
	if i < len(t.tree.Parent) {
		return t.tree.Parent[i]
	}
	return -1
}

// assessment is the value of the trace's assessment named name: MLflow
// feedback or expectation (formats.md §2.6), or a Langfuse score (which
// the Langfuse reader turns into MLflow feedback). An assessment marked
// "valid": false (overridden) is skipped; of several with one name the
// last counts.
func (t *Trace) assessment(name string) value {
	if t.assess == nil {
		t.assess = map[string]value{}
		for _, raw := range t.trace.Info.Assessments {
			a, ok := spanjson.ParseAssessment(raw)
			if !ok || a.Valid != nil && !*a.Valid {
				continue
			}
			v := a.Feedback
			if v == nil {
				v = a.Expectation
			}
			if a.Name != "" && v != nil && len(v.Value) > 0 {
				t.assess[a.Name] = gjsonValue(gjson.ParseBytes(v.Value))
			}
		}
	}
	return t.assess[name]
}

func gjsonValue(v gjson.Result) value {
	switch v.Type {
	case gjson.True:
		return boolVal(true)
	case gjson.False:
		return boolVal(false)
	case gjson.Number:
		return numVal(v.Num)
	case gjson.String:
		return strVal(v.Str)
	case gjson.Null:
		return value{}
	}
	return strVal(v.Raw)
}
