package spanjson

import (
	"strings"
	"testing"
)

func TestSelfParents(t *testing.T) {
	tr, warns := BuildTree([]Span{mk(1, 1, 1, "loop"), mk(2, 1, 2, "child")})
	if tr.Parent[0] != -1 || tr.Parent[1] != 0 {
		t.Errorf("Parent = %v", tr.Parent)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Msg, `"loop" is its own parent`) ||
		warns[0].Where != "trace tr-ab010000000000000000000000000000/span 0000000000000001" {
		t.Errorf("warnings: %v", warns)
	}
}
