package spanjson

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrderChildren(t *testing.T) {
	spans := []Span{mk(9, 0, 100, "late"), mk(2, 0, 50, "a"), mk(1, 0, 50, "b")}
	b := &treeBuild{spans: spans, parent: []int{-1, -1, -1}}
	tr := b.orderChildren()
	// Same start time: the lower span id (1, "b") comes first.
	if diff := cmp.Diff([]int{2, 1, 0}, tr.Roots); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
}
