package manager

import (
	"encoding/json"

	"tracectl/internal/spanjson"
)

// previewOf returns the JSON text of attribute key, cut to
// spanjson.PreviewMaxLength characters, or "" when absent. A stored value
// that is not JSON (a producer's plain string) is JSON-encoded first.
func previewOf(a spanjson.Attributes, key string) string {
	raw, ok := a.Raw(key)
	if !ok {
		return ""
	}
	if !json.Valid([]byte(raw)) {
		b, _ := json.Marshal(raw)
		raw = string(b)
	}
	return clip(raw, spanjson.PreviewMaxLength)
}

// clip returns the first n characters (runes, not bytes) of s.
func clip(s string, n int) string {
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
