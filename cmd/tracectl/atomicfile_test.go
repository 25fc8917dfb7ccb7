package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingWriter passes through the first n bytes, then fails.
type failingWriter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestAtomicFileCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	a, err := createAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(a, "hello ")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("target exists before Commit: %v", err)
	}
	io.WriteString(a, "world\n")
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "hello world\n" {
		t.Errorf("content %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	assertDirEntries(t, dir, []string{"out.json"})
	if err := a.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "hello world\n" {
		t.Errorf("Abort after Commit changed the file: %q", got)
	}
}

func TestAtomicFileKeepsModeOfReplacedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	os.WriteFile(path, []byte("old"), 0o600)
	a, _ := createAtomic(path)
	io.WriteString(a, "new")
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestAtomicFileFailureMidway: a write that fails after part of the data
// went out leaves neither a partial target nor a temporary file, and an
// existing target keeps its content.
func TestAtomicFileFailureMidway(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out.json")
		want := []string(nil)
		if existing {
			os.WriteFile(path, []byte("precious"), 0o644)
			want = []string{"out.json"}
		}
		a, err := createAtomic(path)
		if err != nil {
			t.Fatal(err)
		}
		a.w = &failingWriter{w: a.tmp, n: 10}
		_, err = io.Copy(a, strings.NewReader(strings.Repeat("x", 100)))
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("write error %v, want the injected one", err)
		}
		if err := a.Abort(); err != nil {
			t.Errorf("Abort: %v", err)
		}
		assertDirEntries(t, dir, want)
		if existing {
			if got, _ := os.ReadFile(path); string(got) != "precious" {
				t.Errorf("existing file changed to %q", got)
			}
		}
	}
}

// TestFileSinkFailureMidway drives the -o sink through a failing writer
// below its buffer: the error surfaces and nothing is left behind.
func TestFileSinkFailureMidway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	s, err := newFileSink(path)
	if err != nil {
		t.Fatal(err)
	}
	s.f.w = &failingWriter{w: s.f.tmp, n: outputBufferSize + 100}
	line := []byte(strings.Repeat("y", 1000))
	for err == nil {
		var w io.Writer
		if w, err = s.Begin("id"); err == nil {
			if _, err = w.Write(line); err == nil {
				err = s.End()
			}
		}
	}
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("error %v, want the injected one", err)
	}
	s.Abort()
	assertDirEntries(t, dir, nil)
}

func TestAtomicFileCommitOntoDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub")
	os.Mkdir(path, 0o755)
	a, err := createAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(a, "data")
	if err := a.Commit(); err == nil {
		t.Fatal("Commit onto a directory succeeded")
	}
	assertDirEntries(t, dir, []string{"sub"})
}

func TestAtomicFileInMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "out.json")
	_, err := createAtomic(path)
	if err == nil || err.Error() != "cannot create "+path+": no such file or directory" {
		t.Fatalf("createAtomic in a missing directory: %v", err)
	}
}

func TestAtomicFileFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	a, err := createAtomic(link)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(a, "new")
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if got, _ := os.ReadFile(real); string(got) != "new" {
		t.Errorf("target content %q, want new", got)
	}
}
