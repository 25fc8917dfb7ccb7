package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOrphansBecomeRoots(t *testing.T) {
	tr, warns := BuildTree([]Span{mk(1, 0, 1, "root"), mk(2, 99, 2, "orphan"), mk(3, 2, 3, "orphan-child")})
	if diff := cmp.Diff([]string{"root", "orphan", "  orphan-child"}, shape(tr)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, `"orphan" has parent 0000000000000063, which is not in the trace`) {
		t.Errorf("warnings: %v", warns)
	}
}
