package manager

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"tracectl/internal/spanjson"
)

// FuzzMergeLinkedPrompts feeds arbitrary old tag values to the
// mlflow.linkedPrompts decoder: it must not panic, and a merge that
// succeeds yields a JSON list without duplicates that holds the new prompt
// and does not change when the same prompt is merged again.
func FuzzMergeLinkedPrompts(f *testing.F) {
	f.Add(``, "qa", 1)
	f.Add(`[{"name":"a","version":"1"}]`, "a", 1)
	f.Add(`[{"name": "customer-support", "version": 12}]`, "x", 2)
	f.Add(`[{"name":"a","version":1.5e3}]`, "b", 0)
	f.Add(`[{"name":"a","version":null}]`, "b", -1)
	f.Add(`{}`, "a", 1)
	f.Fuzz(func(t *testing.T, old, name string, version int) {
		p := spanjson.PromptVersion{Name: name, Version: version}
		got, err := mergeLinkedPrompts(old, p)
		if err != nil {
			return
		}
		var list []linkedPrompt
		if err := json.Unmarshal([]byte(got), &list); err != nil {
			t.Fatalf("merged tag %q is not a JSON list: %v", got, err)
		}
		seen := map[linkedPrompt]bool{}
		found := false
		for _, l := range list {
			if seen[l] {
				t.Fatalf("duplicate %+v in %q", l, got)
			}
			seen[l] = true
			// Names go through JSON: invalid UTF-8 becomes U+FFFD.
			if l.Name == strings.ToValidUTF8(name, "\uFFFD") && l.Version == strconv.Itoa(version) {
				found = true
			}
		}
		if !found {
			t.Fatalf("merged tag %q lacks %s/%d", got, name, version)
		}
		again, err := mergeLinkedPrompts(got, p)
		if err != nil || again != got {
			t.Fatalf("merging again changed %q to %q (%v)", got, again, err)
		}
	})
}
