package main

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "tracectl", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name, stamped string
		info          *debug.BuildInfo
		want          string
	}{
		{"stamped wins", "v9-3-gabc", info, "tracectl v9-3-gabc (revision 0123456789ab, modified, go1.26.0)"},
		{"module version", "dev", info, "tracectl v1.2.3 (revision 0123456789ab, modified, go1.26.0)"},
		{"devel build", "dev", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "tracectl dev (go1.26.0)"},
		{"no build info", "dev", nil, "tracectl dev"},
	}
	for _, tt := range tests {
		if got := versionText(tt.stamped, tt.info); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestVersionCommandPrintsGoVersion(t *testing.T) {
	out, _, code := runMain(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "tracectl ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, output %q", code, out)
	}
}

func TestCompletionWithoutShellIsAUsageError(t *testing.T) {
	_, errOut, code := runMain(t, "", "completion")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut, "bash, zsh, fish or powershell") {
		t.Errorf("stderr does not name the shells:\n%s", errOut)
	}
}

// TestEmptyDirectoryInputSaysSo: a directory is read as its trace files;
// one without any is an error naming it.
func TestEmptyDirectoryInputSaysSo(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("adir", 0o755); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runMain(t, "", "show", "adir")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := "tracectl: error: adir: no trace files in the directory\ntracectl: hint: tracectl reads *.json, *.jsonl and *.ndjson files (also .gz or .zst) in it and its subdirectories, hidden ones excepted\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}
