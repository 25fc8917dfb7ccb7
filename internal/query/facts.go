package query

import (
	"tracectl/internal/spanjson"
)

// genAIField reads the GenAI fields of a span: model, input_tokens,
// output_tokens, total_tokens and cost (type: Trace.typeAt). With typeAt
// it is the one place the query language reads them, and both read them
// through spanjson's GenAI view, so a field means the same in check as in
// show: MLflow, OpenTelemetry GenAI, OpenInference, Traceloop, Langfuse and
// LangSmith keys alike.
func genAIField(g spanjson.GenAI, k fieldKind) value {
	count := func(c spanjson.Count) value {
		if !c.Known {
			return value{}
		}
		return numVal(float64(c.N))
	}
	switch k {
	case fModel:
		if g.Model != "" {
			return strVal(g.Model)
		}
	case fInputTokens:
		return count(g.InputTokens)
	case fOutputTokens:
		return count(g.OutputTokens)
	case fTotalTokens:
		return count(g.TotalTokens)
	case fCost:
		if g.Cost.Known {
			return numVal(g.Cost.USD)
		}
	}
	return value{}
}
