package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An integer too large for int64 is named as out of range, not as "not an
// integer"; a value that is no integer at all still says so.
func TestDecodeIntegerWarnings(t *testing.T) {
	tests := []struct {
		name, value string
		want        string
	}{
		{"too large", `99999999999999999999`, "start time 99999999999999999999 is out of range for int64 nanoseconds; taken as 0"},
		{"too small", `-99999999999999999999`, "start time -99999999999999999999 is out of range for int64 nanoseconds; taken as 0"},
		{"too large string", `"99999999999999999999"`, `start time "99999999999999999999" is out of range for int64 nanoseconds; taken as 0`},
		{"fraction", `1.5`, "start time 1.5 is not an integer; taken as 0"},
		{"word", `"soon"`, `start time "soon" is not an integer; taken as 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"spans":[{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAE=","start_time_unix_nano":` + tt.value + `}]}`
			docs, err := DecodeAll(strings.NewReader(in), "in.json")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range docs[0].Warnings {
				got = append(got, w.Msg)
			}
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
