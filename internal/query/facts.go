package query

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"tracectl/internal/render"
	"tracectl/internal/spanjson"
)

// genAIField reads the GenAI fields of a span: type, model, input_tokens,
// output_tokens, total_tokens and cost. It is the one place the query
// language reads them; it switches to spanjson's normalised GenAI view
// (spanjson.GenAIOf, branch genai) when that lands. Until then: the span
// type is mlflow.spanType (render.SpanType), the model mlflow.llm.model,
// then the OpenTelemetry GenAI and OpenInference keys, the token counts
// mlflow.chat.tokenUsage, then gen_ai.usage.*, and the cost the
// OpenInference or LangSmith total.
func genAIField(s spanjson.Span, k fieldKind) value {
	a := s.Attributes()
	switch k {
	case fType:
		return strVal(render.SpanType(s))
	case fModel:
		for _, key := range []string{"mlflow.llm.model", "gen_ai.response.model", "gen_ai.request.model", "llm.model_name"} {
			if v := attrPath(a, key); v.k == vStr && v.s != "" {
				return v
			}
		}
	case fInputTokens, fOutputTokens, fTotalTokens:
		member := map[fieldKind]string{fInputTokens: "input_tokens", fOutputTokens: "output_tokens", fTotalTokens: "total_tokens"}[k]
		for _, key := range []string{spanjson.AttrTokenUsage, spanjson.AttrChatUsage} {
			if raw, ok := a.Raw(key); ok {
				u := gjson.Parse(raw)
				if v := u.Get(member); v.Type == gjson.Number {
					return numVal(v.Num)
				}
				if k == fTotalTokens {
					in, out := u.Get("input_tokens"), u.Get("output_tokens")
					if in.Type == gjson.Number || out.Type == gjson.Number {
						return numVal(in.Num + out.Num)
					}
				}
			}
		}
		in, hasIn := attrNumber(a, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
		out, hasOut := attrNumber(a, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
		switch {
		case k == fInputTokens && hasIn:
			return numVal(in)
		case k == fOutputTokens && hasOut:
			return numVal(out)
		case k == fTotalTokens:
			if t, ok := attrNumber(a, "gen_ai.usage.total_tokens", "llm.usage.total_tokens"); ok {
				return numVal(t)
			}
			if hasIn || hasOut {
				return numVal(in + out)
			}
		}
	case fCost:
		if c, ok := attrNumber(a, "llm.cost.total", "langsmith.total_cost", "gen_ai.usage.cost"); ok {
			return numVal(c)
		}
	}
	return value{}
}

// attrNumber is the first of keys that holds a number (or a number as
// text).
func attrNumber(a spanjson.Attributes, keys ...string) (float64, bool) {
	for _, key := range keys {
		at, ok := a.Lookup(key)
		if !ok {
			continue
		}
		text := at.Value
		if at.Type != spanjson.ValueString {
			if v := gjson.Parse(at.Value); v.Type == gjson.Number {
				return v.Num, true
			} else if v.Type == gjson.String {
				text = v.Str
			}
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}
