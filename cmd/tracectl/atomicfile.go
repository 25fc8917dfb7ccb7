package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// atomicFile writes path through a temporary file in the same directory and
// renames it into place on Commit, so readers never see a half-written file
// and a failed run never clobbers what was there before.
type atomicFile struct {
	path string
	tmp  *os.File
	w    io.Writer // tmp, or a wrapper around it (fault-injection tests)
	done bool
	// stale and staleErr are what removing the temporary files a killed
	// run left for path did (see removeStaleTemps).
	stale    int
	staleErr error
}

// createAtomic starts writing path. Nothing appears at path before Commit.
// A symlink at path is followed, so the file it points to is replaced.
func createAtomic(path string) (*atomicFile, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(path); err == nil {
			path = target
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	stale, staleErr := removeStaleTemps(dir, staleTemp{prefix: "." + base + ".tmp-"}, processStart)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name means nothing to the user
		}
		return nil, fmt.Errorf("cannot create %s: %w", path, err)
	}
	return &atomicFile{path: path, tmp: f, w: f, stale: stale, staleErr: staleErr}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, fs.ErrClosed
	}
	return a.w.Write(p)
}

// Commit flushes the data to disk and renames the temporary file to path.
// The file keeps the mode of the file it replaces, else 0644. On failure the
// temporary file is removed and path is untouched.
func (a *atomicFile) Commit() error {
	if a.done {
		return fs.ErrClosed
	}
	a.done = true
	tmpName := a.tmp.Name()
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(a.path); err == nil {
		if !fi.Mode().IsRegular() {
			a.tmp.Close()
			os.Remove(tmpName)
			return fmt.Errorf("%s: not a regular file", a.path)
		}
		mode = fi.Mode().Perm()
	}
	err := a.tmp.Chmod(mode)
	if err == nil {
		err = a.tmp.Sync()
	}
	if cerr := a.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmpName, a.path)
	}
	if err != nil {
		os.Remove(tmpName)
		return err
	}
	// Make the rename itself durable; not every filesystem supports it.
	_ = syncDir(filepath.Dir(a.path))
	return nil
}

// Abort removes the temporary file; path is untouched. Safe to call after
// Commit (it does nothing then).
func (a *atomicFile) Abort() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.tmp.Close()
	if rerr := os.Remove(a.tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = rerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
