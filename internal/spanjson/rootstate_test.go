package spanjson

import "testing"

func TestRootState(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    SpanData
		want TraceState
	}{
		{"running", SpanData{StartTime: 1, Status: Status{Code: StatusError}}, StateInProgress},
		{"failed", SpanData{StartTime: 1, EndTime: 2, Status: Status{Code: StatusError}}, StateError},
		{"ok", SpanData{StartTime: 1, EndTime: 2, Status: Status{Code: StatusOK}}, StateOK},
		{"unset", SpanData{StartTime: 1, EndTime: 2}, StateOK},
	} {
		if got := RootState(NewSpan(tc.d)); got != tc.want {
			t.Errorf("%s: RootState = %s, want %s", tc.name, got, tc.want)
		}
	}
}
