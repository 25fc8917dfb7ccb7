// Package rendertest holds test helpers shared by the packages that check
// rendered output against golden files.
package rendertest

import (
	"os"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// CheckGolden compares got with the golden file at path or, when update is
// set (the test binary's -update flag), rewrites the file. refresh is the
// command that creates a missing file, for the failure message.
func CheckGolden(t testing.TB, path string, got []byte, update bool, refresh string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s to create it)", err, refresh)
	}
	if diff := gocmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
