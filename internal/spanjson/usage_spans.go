package spanjson

// UsageSpans returns the spans (indexes into spans) whose own token counts
// make up a trace's token totals, and those whose own costs make up its
// cost, when the trace metadata does not give them (TraceGenAIOf's rule):
// the spans that call a model (LLM, CHAT_MODEL, EMBEDDING) with counts,
// else the spans with counts under no span with counts; likewise for cost.
// A roll-up is never listed with a span it rolls up, so adding up the
// listed spans' counts, in any grouping, never counts a token twice.
// tokensFrom is UsageFromModelSpans, UsageFromTopSpans or "" (none).
//
// The same function (same name, signature and answers) comes with the
// stats branch, where TraceGenAIOf is rewritten on it; whoever merges both
// keeps that one and deletes this file.
func UsageSpans(spans []Span) (tokens []int, tokensFrom string, cost []int) {
	var withUsage, withCost, modelUsage, modelCost []int
	for i, s := range spans {
		g := GenAIOf(s)
		if g.HasUsage() {
			withUsage = append(withUsage, i)
			if isModelType(g.Type) {
				modelUsage = append(modelUsage, i)
			}
		}
		if g.Cost.Known {
			withCost = append(withCost, i)
			if isModelType(g.Type) {
				modelCost = append(modelCost, i)
			}
		}
	}
	switch {
	case len(modelUsage) > 0:
		tokens, tokensFrom = modelUsage, UsageFromModelSpans
	case len(withUsage) > 0:
		tokens, tokensFrom = topmost(spans, withUsage), UsageFromTopSpans
	}
	switch {
	case len(modelCost) > 0:
		cost = modelCost
	case len(withCost) > 0:
		cost = topmost(spans, withCost)
	}
	return tokens, tokensFrom, cost
}
