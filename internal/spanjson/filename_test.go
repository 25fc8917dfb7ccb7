package spanjson

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTraceFileName(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"tr-0af7651916cd43dd8448eb211c80319c", "tr-0af7651916cd43dd8448eb211c80319c.json"},
		{"5f0c2e7a9b1d4c3e8a6f00112233aabb", "5f0c2e7a9b1d4c3e8a6f00112233aabb.json"},
		{"TR-ABC", "TR-ABC.json"}, // case is kept
		{"<redacted>", "_redacted_-fb7e4b9b.json"},
		{"<redacted]", "_redacted_-dc7e1ace.json"}, // same sanitised text, other hash
		{"../x", "_._x-5c237dda.json"},
		{"..", "_.-a3d4a70d.json"},
		{"../../etc/passwd", "_._.._etc_passwd-6fadc99a.json"},
		{"a/b\\c", "a_b_c-3eb53d0c.json"},
		{"a/b\\c:d e\x00f", "a_b_c_d_e_f-78487797.json"},
		{"", "trace-811c9dc5.json"},
		{"CON", "_CON-3367e86b.json"},
		{"héllo", "h__llo-4aa48540.json"},
		{"tr-é", "tr-__-774fb506.json"},
		{strings.Repeat("a", 300), strings.Repeat("a", 120) + "-279e8f01.json"},
	}
	for _, tt := range tests {
		got := TraceFileName(tt.id, func(string) bool { return false })
		if got != tt.want {
			t.Errorf("TraceFileName(%q) = %q, want %q", tt.id, got, tt.want)
		}
		if strings.ContainsAny(got, "/\\") || strings.HasPrefix(got, ".") || len(got) > maxFileNameLen+20 {
			t.Errorf("TraceFileName(%q) = %q is not a safe plain name", tt.id, got)
		}
	}
	taken := map[string]bool{"x.json": true, "x-2.json": true}
	if got := TraceFileName("x", func(n string) bool { return taken[n] }); got != "x-3.json" {
		t.Errorf("third x = %q, want x-3.json", got)
	}
}

var safeTraceFileName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*\.json$`)

// FuzzTraceFileName: whatever two trace ids are, their file names are plain
// safe names inside the directory, and two traces of one run never share
// one (not even on a case-insensitive file system).
func FuzzTraceFileName(f *testing.F) {
	for _, s := range []string{"tr-0af7651916cd43dd8448eb211c80319c", "<redacted>", "..", "../../etc/passwd", "CON", "a/b", "", "x_-fb7e4b9b"} {
		f.Add(s, "<redacted>")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		taken := map[string]bool{}
		isTaken := func(n string) bool { return taken[strings.ToLower(n)] }
		for _, id := range []string{a, b} {
			name := TraceFileName(id, isTaken)
			if !safeTraceFileName.MatchString(name) || len(name) > maxFileNameLen+30 || filepath.Base(name) != name {
				t.Fatalf("TraceFileName(%q) = %q: not a safe name", id, name)
			}
			if windowsReserved[strings.ToUpper(strings.SplitN(name, ".", 2)[0])] {
				t.Fatalf("TraceFileName(%q) = %q: reserved on Windows", id, name)
			}
			if isTaken(name) {
				t.Fatalf("TraceFileName(%q) = %q: already taken", id, name)
			}
			taken[strings.ToLower(name)] = true
		}
	})
}
