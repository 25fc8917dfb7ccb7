package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDedupeIDs(t *testing.T) {
	spans := []Span{mk(1, 0, 1, "r"), mk(2, 1, 2, "first"), mk(2, 1, 3, "second"), mk(0, 1, 4, "no-id"), mk(3, 2, 5, "child-of-2")}
	b := &treeBuild{spans: append([]Span(nil), spans...), parent: make([]int, 5), linked: make([]bool, 5)}
	b.dedupeIDs()
	ids := map[SpanID]bool{}
	for _, s := range b.spans {
		if s.SpanID().IsZero() || ids[s.SpanID()] {
			t.Fatalf("id %s not unique or zero", s.SpanID())
		}
		ids[s.SpanID()] = true
	}
	if b.spans[1].SpanID() != sid(2) {
		t.Errorf("the first holder of an id keeps it")
	}
	if at, _ := b.index.get(sid(2)); at != 1 {
		t.Errorf("id 2 resolves to %d, want the first holder", at)
	}
	if len(b.warnings) != 2 || !strings.Contains(b.warnings[0].Msg, `"second" repeats span id 0000000000000002`) ||
		!strings.Contains(b.warnings[1].Msg, `"no-id" has no span id`) {
		t.Errorf("warnings: %v", b.warnings)
	}
	// Deterministic: the same input gives the same fresh ids.
	b2 := &treeBuild{spans: append([]Span(nil), spans...), parent: make([]int, 5), linked: make([]bool, 5)}
	b2.dedupeIDs()
	if diff := cmp.Diff(b.spans[2].SpanID(), b2.spans[2].SpanID()); diff != "" {
		t.Errorf("fresh id differs between runs: %s", diff)
	}
	// The original spans are not modified.
	if spans[2].SpanID() != sid(2) {
		t.Errorf("input span changed")
	}
}

func TestFreshSpanIDAvoidsTaken(t *testing.T) {
	taken := newIDIndex(0)
	first := freshSpanID(sid(7), 3, taken)
	taken.add(first, 0)
	second := freshSpanID(sid(7), 3, taken)
	if first == second || second.IsZero() {
		t.Errorf("fresh ids %s, %s", first, second)
	}
}

func TestDedupeWarningNamesOpaqueIDsAsRead(t *testing.T) {
	// A Databricks export with every id "<redacted>": the warning names the
	// trace and the repeated id as the user sees them, not their stand-ins.
	op := &OpaqueIDs{TraceID: "<redacted>", SpanID: "<redacted>"}
	mk := func(name string, parent SpanID) Span {
		return NewSpan(SpanData{TraceID: OpaqueTraceID("<redacted>"), SpanID: OpaqueSpanID("<redacted>"), ParentID: parent, Name: name, Opaque: op})
	}
	_, warnings := BuildTree([]Span{mk("predict", SpanID{}), mk("Completions", OpaqueSpanID("<redacted>"))})
	if len(warnings) != 1 {
		t.Fatalf("warnings = %v, want one", warnings)
	}
	w := warnings[0]
	if !strings.HasPrefix(w.Where, "trace <redacted>/span ") || !strings.Contains(w.Msg, `"Completions" repeats span id "<redacted>": given id `) {
		t.Errorf("warning = %q: %q", w.Where, w.Msg)
	}
}
