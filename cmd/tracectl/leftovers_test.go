package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/collect"
)

// mkLeftover makes a file (or a directory holding one) at dir/name, old
// (an hour before this process started) or fresh.
func mkLeftover(t *testing.T, dir, name string, isDir, old bool) {
	t.Helper()
	path := filepath.Join(dir, name)
	if isDir {
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "tr-1.json"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(path, []byte("{\"part"), 0o644); err != nil {
		t.Fatal(err)
	}
	if old {
		at := processStart.Add(-time.Hour)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func leftNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// convert and collect remove their own temporary files that a killed run
// left (their exact names, older than this process) and nothing else:
// not a fresh one (a run going on now), not a look-alike name, not the
// other kind.
func TestRemoveStaleTemps(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind staleTemp
		// old, fresh: made by tracectl; foreign: old, but not ours.
		old, fresh, foreign  []string
		oldDirs, foreignDirs []string
	}{
		{
			name: "convert -o out.jsonl", kind: staleTemp{prefix: ".out.jsonl.tmp-"},
			old: []string{".out.jsonl.tmp-123", ".out.jsonl.tmp-4294967295"}, fresh: []string{".out.jsonl.tmp-77"},
			foreign:     []string{"out.jsonl", ".out.jsonl.tmp-", ".out.jsonl.tmp-12x", ".other.jsonl.tmp-5", ".out.jsonl.tmp-5.bak"},
			foreignDirs: []string{".out.jsonl.tmp-9"},
		},
		{
			name: "convert --dir", kind: convertStaging,
			oldDirs: []string{".tracectl-convert-1", ".tracectl-convert-22"}, fresh: nil,
			foreign:     []string{".tracectl-convert-3", "tr-1.json"},
			foreignDirs: []string{".tracectl-convert-x", "sub"},
		},
		{
			name: "collect --dir", kind: collectDirTemp,
			old: []string{collect.DirTempPrefix + "5.tmp"}, fresh: []string{collect.DirTempPrefix + "6.tmp"},
			foreign: []string{collect.DirTempPrefix + "5", collect.DirTempPrefix + "5.tmp.json", "tr-2.json", ".tracectl-convert-3"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range tc.old {
				mkLeftover(t, dir, n, false, true)
			}
			for _, n := range tc.oldDirs {
				mkLeftover(t, dir, n, true, true)
			}
			for _, n := range tc.fresh {
				mkLeftover(t, dir, n, tc.kind.dir, false)
			}
			for _, n := range tc.foreign {
				mkLeftover(t, dir, n, false, true)
			}
			for _, n := range tc.foreignDirs {
				mkLeftover(t, dir, n, true, true)
			}
			n, err := removeStaleTemps(dir, tc.kind, processStart)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(tc.old) + len(tc.oldDirs); n != want {
				t.Errorf("removed %d, want %d", n, want)
			}
			want := slices.Concat(tc.fresh, tc.foreign, tc.foreignDirs)
			slices.Sort(want)
			if diff := cmp.Diff(want, leftNames(t, dir)); diff != "" {
				t.Errorf("left (-want +got):\n%s", diff)
			}
		})
	}
}

// The commands do it at start: convert -o and --dir, collect --dir.
func TestCommandsRemoveStaleTemps(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"root","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("convert -o", func(t *testing.T) {
		dir := t.TempDir()
		mkLeftover(t, dir, ".out.jsonl.tmp-1", false, true)
		mkLeftover(t, dir, ".out.jsonl.tmp-2", false, false)
		_, errOut, code := runMain(t, "", "convert", "--schema", "v3", in, "-o", filepath.Join(dir, "out.jsonl"))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if diff := cmp.Diff([]string{".out.jsonl.tmp-2", "out.jsonl"}, leftNames(t, dir)); diff != "" {
			t.Errorf("left (-want +got):\n%s\nstderr: %s", diff, errOut)
		}
	})
	t.Run("convert --dir", func(t *testing.T) {
		dir := t.TempDir()
		mkLeftover(t, dir, ".tracectl-convert-1", true, true)
		mkLeftover(t, dir, ".tracectl-convert-2", true, false)
		_, errOut, code := runMain(t, "", "convert", "--schema", "v3", in, "--dir", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if diff := cmp.Diff([]string{".tracectl-convert-2", "tr-0102030405060708090a0b0c0d0e0f10.json"}, leftNames(t, dir)); diff != "" {
			t.Errorf("left (-want +got):\n%s\nstderr: %s", diff, errOut)
		}
	})
	t.Run("collect --dir", func(t *testing.T) {
		dir := t.TempDir()
		mkLeftover(t, dir, collect.DirTempPrefix+"1.tmp", false, true)
		mkLeftover(t, dir, collect.DirTempPrefix+"2.tmp", false, false)
		_, stop := startCollect(t, &collectOptions{dir: dir})
		err, errOut := stop()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{collect.DirTempPrefix + "2.tmp"}, leftNames(t, dir)); diff != "" {
			t.Errorf("left (-want +got):\n%s\nstderr: %s", diff, errOut)
		}
	})
}
