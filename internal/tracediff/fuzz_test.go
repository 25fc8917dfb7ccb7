package tracediff

import (
	"strings"
	"testing"
)

// FuzzLineEdits: the edit script of any two texts gives both back.
func FuzzLineEdits(f *testing.F) {
	f.Add("a\nb\nc", "a\nc\nd")
	f.Add("", "x")
	f.Add("{\n  \"q\": 1\n}\n", "{\n  \"q\": 2\n}")
	f.Fuzz(func(t *testing.T, a, b string) {
		var ga, gb []string
		for _, e := range LineEdits(a, b) {
			switch e.Op {
			case ' ':
				ga, gb = append(ga, e.Line), append(gb, e.Line)
			case '-':
				ga = append(ga, e.Line)
			case '+':
				gb = append(gb, e.Line)
			default:
				t.Fatalf("op %q", e.Op)
			}
		}
		if want := splitLines(a); strings.Join(ga, "\n") != strings.Join(want, "\n") || len(ga) != len(want) {
			t.Fatalf("base not rebuilt: %q from %q", ga, a)
		}
		if want := splitLines(b); strings.Join(gb, "\n") != strings.Join(want, "\n") || len(gb) != len(want) {
			t.Fatalf("candidate not rebuilt: %q from %q", gb, b)
		}
	})
}

// FuzzParseLimit: a limit that parses is not negative, and a candidate
// equal to its base never exceeds it.
func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"20%", "+10%", "500ms", "2000", "$0.05", "-1", "1e400%", "NaN"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, u uint8) {
		l, err := ParseLimit(s, Unit(u%3))
		if err != nil {
			return
		}
		if l.Pct < 0 || l.Abs < 0 {
			t.Fatalf("negative limit %+v from %q", l, s)
		}
		if l.Exceeded(100, 100) || l.Exceeded(0, 0) {
			t.Fatalf("%+v exceeded without growth", l)
		}
	})
}

// FuzzParseKey: a key that parses names only parts it knows and gives
// its text back.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{DefaultKey, "tag:case", "metadata:a,request", "tag:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if k.Text != s || len(k.parts) != strings.Count(s, ",")+1 {
			t.Fatalf("key %+v from %q", k, s)
		}
		for _, p := range k.parts {
			switch p.kind {
			case KeyTraceName, KeyRequest:
			case KeyTag, KeyMetadata:
				if p.name == "" {
					t.Fatalf("empty name in %q", s)
				}
			default:
				t.Fatalf("part %q from %q", p.kind, s)
			}
		}
	})
}
