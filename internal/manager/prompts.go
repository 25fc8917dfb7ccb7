package manager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"tracectl/internal/spanjson"
)

// linkedPrompt is one entry of the mlflow.linkedPrompts tag (formats.md
// §5.3). Version is written as a string; a number is accepted on read.
type linkedPrompt struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func (l *linkedPrompt) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name    string          `json:"name"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	l.Name = raw.Name
	switch v := bytes.TrimSpace(raw.Version); {
	case len(v) == 0 || string(v) == "null":
		l.Version = ""
	case v[0] == '"':
		return json.Unmarshal(v, &l.Version)
	default:
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return fmt.Errorf("version %s is neither a string nor a number", v)
		}
		l.Version = n.String()
	}
	return nil
}

// mergeLinkedPrompts returns the tag value: the prompts of old (JSON text,
// may be empty) followed by p, without duplicates, as compact JSON.
func mergeLinkedPrompts(old string, p spanjson.PromptVersion) (string, error) {
	var list []linkedPrompt
	if old != "" {
		if err := json.Unmarshal([]byte(old), &list); err != nil {
			return "", fmt.Errorf("tag %s holds %q, not a JSON list of {name, version}: %w", spanjson.TagLinkedPrompts, spanjson.ClipRunes(old, 80), err)
		}
	}
	// JSON holds names as valid UTF-8 (bad bytes become U+FFFD); compare
	// the new name in that form so a merge is idempotent.
	name := strings.ToValidUTF8(p.Name, "\uFFFD")
	list = append(list, linkedPrompt{Name: name, Version: strconv.Itoa(p.Version)})
	seen := make(map[linkedPrompt]bool, len(list))
	out := list[:0]
	for _, l := range list {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
