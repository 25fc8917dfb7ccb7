package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"tracectl/internal/render"
)

// processStart is when this process started (package initialisation, near
// enough): a temporary file of ours modified before it belongs to an
// earlier run, one that was killed before it could remove it.
var processStart = time.Now()

// staleTemp names the temporary files of one kind that tracectl makes:
// prefix, the decimal digits os.CreateTemp or os.MkdirTemp put for "*",
// then suffix; a directory or a regular file.
type staleTemp struct {
	prefix, suffix string
	dir            bool
}

// matches reports whether name is exactly one of these temporary names.
func (k staleTemp) matches(name string) bool {
	mid, ok := strings.CutPrefix(name, k.prefix)
	if !ok {
		return false
	}
	if mid, ok = strings.CutSuffix(mid, k.suffix); !ok || mid == "" {
		return false
	}
	for _, r := range mid {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// removeStaleTemps removes from dir the temporary files of kind k modified
// before `before` (a killed run's leftovers) and returns how many it
// removed. Nothing else in dir is touched: not other names, not the other
// type (a file where a directory is expected), not a symlink.
func removeStaleTemps(dir string, k staleTemp, before time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if !k.matches(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(before) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		switch {
		case k.dir && fi.IsDir():
			err = os.RemoveAll(path)
		case !k.dir && fi.Mode().IsRegular():
			err = os.Remove(path)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// reportStaleTemps says on stderr what removeStaleTemps did; a failure to
// clean up is a warning, never an error of the command. -q drops both.
func reportStaleTemps(streams *render.IOStreams, dir string, n int, err error) {
	if streams.Quiet {
		return
	}
	if n > 0 {
		fmt.Fprintf(streams.ErrOut, "tracectl: note: removed %d temporary files a killed run left in %s\n", n, dir)
	}
	if err != nil {
		streams.Warnf("cannot remove a killed run's temporary files: %v", err)
	}
}
