package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCyclesAreBroken(t *testing.T) {
	// 2 → 3 → 4 → 2 is a cycle; 5 hangs off it; 1 is a normal root.
	spans := []Span{mk(1, 0, 1, "root"), mk(3, 2, 30, "c3"), mk(4, 3, 40, "c4"), mk(2, 4, 20, "c2"), mk(5, 3, 50, "tail")}
	tr, warns := BuildTree(spans)
	// The earliest cycle member (c2, start 20) becomes the root.
	want := []string{"root", "c2", "  c3", "    c4", "    tail"}
	if diff := cmp.Diff(want, shape(tr)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, `"c2" is in a parent cycle of 3 spans`) {
		t.Errorf("warnings: %v", warns)
	}
	// Two disjoint cycles give two warnings.
	_, warns = BuildTree([]Span{mk(1, 2, 1, "a"), mk(2, 1, 2, "b"), mk(3, 4, 3, "c"), mk(4, 3, 4, "d")})
	if len(warns) != 2 {
		t.Errorf("warnings: %v", warns)
	}
}
