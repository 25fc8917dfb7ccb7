package render

import (
	"bytes"
	"encoding/json"
	"strings"

	"tracectl/internal/spanjson"
)

// Previews returns the trace's request and response previews as readable
// text. Chat-shaped payloads show the text a person wrote or read (the last
// user message of `messages` or of a Responses-API `input`; the first
// choice's message or the Responses `output` text); other payloads show
// their compact JSON. The root span's full inputs/outputs are preferred to
// the info's previews, which may be truncated JSON; a preview that is plain
// text already (as Databricks writes them) is kept.
func (v *TraceView) Previews() (request, response string) {
	var in, out any
	var hasIn, hasOut bool
	if r := v.Root(); r >= 0 {
		in, hasIn = v.Tree.Spans[r].Inputs()
		out, hasOut = v.Tree.Spans[r].Outputs()
	}
	return noNull(previewOf(v.Trace.Info.RequestPreview, in, hasIn, requestText)),
		noNull(previewOf(v.Trace.Info.ResponsePreview, out, hasOut, responseText))
}

// noNull trims a preview; a JSON null (no input or output) is no preview.
func noNull(s string) string {
	s = strings.TrimSpace(s)
	if s == "null" {
		return ""
	}
	return s
}

func previewOf(info string, root any, hasRoot bool, extract func(any) (string, bool)) string {
	if info != "" && !looksLikeJSON(info) {
		return info
	}
	if hasRoot {
		if s, ok := extract(root); ok {
			return s
		}
	}
	if info != "" {
		if v := spanjson.DecodeValue(info); v != nil {
			if s, ok := extract(v); ok {
				return s
			}
		}
		return info
	}
	if hasRoot {
		return compactJSON(root)
	}
	return ""
}

func looksLikeJSON(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && (s[0] == '{' || s[0] == '[' || s[0] == '"')
}

func compactJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// requestText finds the user's words in a request payload: messages[-1
// role=user].content, or a Responses-API input (a string or a message
// list), looking one level into a wrapping object ({"request": {...}}).
func requestText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	for _, key := range []string{"messages", "input"} {
		switch x := obj[key].(type) {
		case string:
			if key == "input" {
				return x, true
			}
		case []any:
			if s, ok := lastUserContent(x); ok {
				return s, true
			}
		}
	}
	for _, key := range []string{"request", "inputs", "body"} {
		if inner, ok := obj[key].(map[string]any); ok {
			if s, ok := requestText(inner); ok {
				return s, true
			}
		}
	}
	return "", false
}

func lastUserContent(msgs []any) (string, bool) {
	for k := len(msgs) - 1; k >= 0; k-- {
		m, ok := msgs[k].(map[string]any)
		if !ok || m["role"] != "user" {
			continue
		}
		return contentText(m["content"])
	}
	return "", false
}

// contentText reads a message content: a string, or a list of parts whose
// text fields are joined.
func contentText(c any) (string, bool) {
	switch x := c.(type) {
	case string:
		return x, true
	case []any:
		var parts []string
		for _, p := range x {
			switch pp := p.(type) {
			case string:
				parts = append(parts, pp)
			case map[string]any:
				if t, ok := pp["text"].(string); ok {
					parts = append(parts, t)
				}
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " "), true
		}
	}
	return "", false
}

// responseText finds the answer in a response payload:
// choices[0].message.content, or the Responses-API output[].content[].text.
func responseText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	if choices, ok := obj["choices"].([]any); ok && len(choices) > 0 {
		if c, ok := choices[0].(map[string]any); ok {
			if m, ok := c["message"].(map[string]any); ok {
				if s, ok := contentText(m["content"]); ok {
					return s, true
				}
			}
			if t, ok := c["text"].(string); ok {
				return t, true
			}
		}
	}
	if output, ok := obj["output"].([]any); ok {
		var parts []string
		for _, item := range output {
			it, ok := item.(map[string]any)
			if !ok {
				continue
			}
			if s, ok := contentText(it["content"]); ok {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " "), true
		}
	}
	if s, ok := obj["output"].(string); ok {
		return s, true
	}
	return "", false
}
