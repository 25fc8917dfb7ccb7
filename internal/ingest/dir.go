package ingest

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// traceFileExts are the names of trace files in a directory argument,
// before an optional compression suffix (compressionExts).
var (
	traceFileExts   = []string{".json", ".jsonl", ".ndjson"}
	compressionExts = []string{".gz", ".zst", ".zstd"}
)

// IsTraceFileName reports whether a file in a directory argument is read
// as a trace file: *.json, *.jsonl, *.ndjson, each maybe with .gz, .zst or
// .zstd after it, not hidden (".name": temporary files of tracectl
// (.tracectl-*), editors and other tools). The rule of directory inputs.
func IsTraceFileName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	lower := strings.ToLower(name)
	for _, ext := range compressionExts {
		if strings.HasSuffix(lower, ext) {
			lower = strings.TrimSuffix(lower, ext)
			break
		}
	}
	for _, ext := range traceFileExts {
		if strings.HasSuffix(lower, ext) && len(lower) > len(ext) {
			return true
		}
	}
	return false
}

// dirInputs lists the trace files under dir (IsTraceFileName), in name
// order, going into subdirectories (an MLflow file store keeps a trace in
// traces/<id>/artifacts/traces.json) except hidden ones. A directory with
// no trace file, or one that cannot be listed, is one input whose Open
// fails, so the other inputs are still read.
func dirInputs(dir string) []Input {
	var ins []Input
	// WalkDir visits each directory's entries in lexical order.
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if IsTraceFileName(d.Name()) && (d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0) {
			ins = append(ins, fileInputAt(path))
		}
		return nil
	})
	if err != nil {
		return []Input{{Name: dir, Path: dir, err: hinted(
			fmt.Errorf("cannot read directory %s: %w", dir, unwrapPathError(err)),
			"check the directory name and its permissions")}}
	}
	if len(ins) == 0 {
		return []Input{{Name: dir, Path: dir, err: hinted(
			fmt.Errorf("%s: no trace files in the directory", dir),
			"tracectl reads *.json, *.jsonl and *.ndjson files (also .gz or .zst) in it and its subdirectories, hidden ones excepted")}}
	}
	return ins
}
