package render

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"agent 🤖 エージェント", "agent 🤖 エージェント"},
		{"a\nb", `a\nb`},
		{"tab\there", `tab\there`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085x", `c1\u0085x`},
		{"bad\xffutf8", "bad\ufffdutf8"},
		{"\x00", `\x00`},
	}
	for _, tt := range tests {
		if diff := gocmp.Diff(tt.want, Printable(tt.in)); diff != "" {
			t.Errorf("Printable(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
