package spanjson

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestClipRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"ééé", 3, "ééé"},
		{"éééé", 3, "ééé"},
		{"a字b字", 2, "a字"},
	}
	for _, tt := range tests {
		if got := ClipRunes(tt.in, tt.n); got != tt.want {
			t.Errorf("ClipRunes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// FuzzClipRunes checks ClipRunes keeps a prefix of at most n characters.
func FuzzClipRunes(f *testing.F) {
	f.Add("héllo 字", 3)
	f.Add("\xff\xfeabc", 2)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := ClipRunes(s, n)
		if !strings.HasPrefix(s, got) {
			t.Fatalf("ClipRunes(%q, %d) = %q is not a prefix", s, n, got)
		}
		if want := min(n, utf8.RuneCountInString(s)); utf8.RuneCountInString(got) != want {
			t.Fatalf("ClipRunes(%q, %d) = %q has %d runes, want %d", s, n, got, utf8.RuneCountInString(got), want)
		}
	})
}

// rs makes a span for the rule tests: id and parent as small numbers (0 =
// none), times in nanoseconds, and a status.
func rs(id, parent byte, start, end int64, code StatusCode, attrs ...Attribute) Span {
	d := SpanData{
		TraceID:   TraceID{15: 7},
		SpanID:    SpanID{7: id},
		Name:      "s" + string(rune('0'+id)),
		StartTime: start, EndTime: end,
		Status:     Status{Code: code},
		Attributes: NewAttributes(attrs),
	}
	if parent != 0 {
		d.ParentID = SpanID{7: parent}
	}
	return NewSpan(d)
}

func TestRootSpan(t *testing.T) {
	tests := []struct {
		name  string
		spans []Span
		want  byte // span id; 0 for none
	}{
		{"empty", nil, 0},
		{"one root", []Span{rs(2, 1, 5, 6, StatusOK), rs(1, 0, 10, 20, StatusOK)}, 1},
		{"earliest of several roots", []Span{rs(1, 0, 10, 20, StatusOK), rs(2, 0, 5, 8, StatusOK)}, 2},
		{"equal starts: lowest id", []Span{rs(3, 0, 5, 8, StatusOK), rs(2, 0, 5, 9, StatusOK)}, 2},
		{"no root: earliest orphan, not the earlier child", []Span{rs(2, 9, 10, 20, StatusOK), rs(3, 2, 1, 2, StatusOK)}, 2},
		{"cycle only: earliest span", []Span{rs(1, 2, 10, 20, StatusOK), rs(2, 1, 5, 8, StatusOK)}, 2},
	}
	for _, tt := range tests {
		got, ok := RootSpan(tt.spans)
		if ok != (tt.want != 0) || (ok && got.SpanID() != (SpanID{7: tt.want})) {
			t.Errorf("%s: RootSpan = %v %v, want span %d", tt.name, got.d, ok, tt.want)
		}
	}
}

func TestDeriveInfo(t *testing.T) {
	reqID := Attribute{Key: AttrTraceRequestID, Value: `"req-1"`, Type: ValueJSON}
	tests := []struct {
		name      string
		spans     []Span
		schema    Schema
		id        string
		start     int64
		dur       time.Duration
		hasDur    bool
		state     TraceState
		otherTags bool
	}{
		{"one root, nanoseconds kept", []Span{rs(1, 0, 1000, 2001, StatusOK), rs(2, 1, 1500, 1600, StatusError)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 1000, 1001, true, StateOK, false},
		{"several roots: first start to last end", []Span{rs(1, 0, 1000, 2000, StatusOK), rs(2, 0, 1500, 4000, StatusOK)}, SchemaMLflowV3,
			"tr-00000000000000000000000000000007", 1000, 3000, true, StateOK, false},
		{"a failed second root fails the trace", []Span{rs(1, 0, 1000, 2000, StatusOK), rs(2, 0, 1500, 4000, StatusError)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 1000, 3000, true, StateError, false},
		{"a running root: in progress, no duration", []Span{rs(1, 0, 1000, 2000, StatusError), rs(2, 0, 1500, 0, StatusUnset)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 1000, 0, false, StateInProgress, false},
		{"ends before it starts: 0", []Span{rs(1, 0, 5000, 4000, StatusOK)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 5000, 0, true, StateOK, false},
		{"orphan root only", []Span{rs(2, 9, 10, 30, StatusError), rs(3, 2, 12, 40, StatusOK)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 10, 20, true, StateError, false},
		{"MLflow 2 ids are bare hex", []Span{rs(1, 0, 1, 2, StatusOK)}, SchemaMLflowV2,
			"00000000000000000000000000000007", 1, 1, true, StateOK, false},
		{"request id shared by every span", []Span{rs(1, 0, 1, 2, StatusOK, reqID), rs(2, 1, 1, 2, StatusOK, reqID)}, SchemaOTLP,
			"req-1", 1, 1, true, StateOK, false},
		{"request id on some spans only", []Span{rs(1, 0, 1, 2, StatusOK, reqID), rs(2, 1, 1, 2, StatusOK)}, SchemaOTLP,
			"tr-00000000000000000000000000000007", 1, 1, true, StateOK, false},
	}
	for _, tt := range tests {
		got := DeriveInfo(tt.spans, tt.schema)
		want := TraceInfo{TraceID: tt.id, RequestTime: unixNanoTime(tt.start), ExecutionDuration: tt.dur, HasDuration: tt.hasDur, State: tt.state, Derived: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: DeriveInfo (-want +got):\n%s", tt.name, diff)
		}
		// A trace without info state or duration follows the same rule.
		tr := Trace{Info: TraceInfo{State: StateUnspecified}, Spans: tt.spans}
		if st := tr.State(); st != tt.state {
			t.Errorf("%s: Trace.State() = %s, want %s", tt.name, st, tt.state)
		}
		if d, ok := tr.Duration(); d != tt.dur || ok != tt.hasDur {
			t.Errorf("%s: Trace.Duration() = %v %v, want %v %v", tt.name, d, ok, tt.dur, tt.hasDur)
		}
	}
	if got := DeriveInfo(nil, SchemaOTLP); got.State != StateUnspecified || !got.Derived || got.TraceID != "" {
		t.Errorf("DeriveInfo(nil) = %+v", got)
	}
}

// Info that was read wins over the spans' rule.
func TestTraceStateAndDurationFromInfo(t *testing.T) {
	tr := Trace{Info: TraceInfo{State: StateError, ExecutionDuration: time.Second, HasDuration: true}, Spans: []Span{rs(1, 0, 1, 2, StatusOK)}}
	if tr.State() != StateError {
		t.Errorf("State() = %s, want the info's ERROR", tr.State())
	}
	if d, ok := tr.Duration(); d != time.Second || !ok {
		t.Errorf("Duration() = %v %v, want the info's 1s", d, ok)
	}
}

func TestPreviewOf(t *testing.T) {
	a := NewAttributes([]Attribute{
		{Key: AttrInputs, Value: `{"q":"hi"}`, Type: ValueJSON},
		{Key: AttrOutputs, Value: `plain text`, Type: ValueJSON},
		{Key: "long", Value: `"` + strings.Repeat("é", 2000) + `"`, Type: ValueJSON},
	})
	for key, want := range map[string]string{
		AttrInputs:  `{"q":"hi"}`,
		AttrOutputs: `"plain text"`, // not JSON: encoded first
		"long":      `"` + strings.Repeat("é", PreviewMaxLength-1),
		"absent":    "",
	} {
		if got := PreviewOf(a, key); got != want {
			t.Errorf("PreviewOf(%s) = %.40q…, want %.40q…", key, got, want)
		}
	}
}
