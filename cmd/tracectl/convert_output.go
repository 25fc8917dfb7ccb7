package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"tracectl/internal/spanjson"
)

// traceSink receives converted traces, each one compact JSON document
// streamed between Begin and End, and makes them visible on Commit. Abort
// discards what can still be discarded.
type traceSink interface {
	Begin(traceID string) (io.Writer, error)
	End() error
	Commit() error
	Abort()
}

const outputBufferSize = 256 << 10

// streamSink writes JSON Lines to a stream as traces come (stdout).
type streamSink struct{ w *bufio.Writer }

func newStreamSink(w io.Writer) *streamSink {
	return &streamSink{w: bufio.NewWriterSize(w, outputBufferSize)}
}

func (s *streamSink) Begin(string) (io.Writer, error) { return s.w, nil }
func (s *streamSink) End() error                      { return s.w.WriteByte('\n') }
func (s *streamSink) Commit() error                   { return s.w.Flush() }

// Abort still flushes: every trace handed over so far is complete, and a
// stream cannot take back what it already sent.
func (s *streamSink) Abort() { _ = s.w.Flush() }

// fileSink writes JSON Lines to -o FILE atomically.
type fileSink struct {
	f *atomicFile
	w *bufio.Writer
}

func newFileSink(path string) (*fileSink, error) {
	f, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	return &fileSink{f: f, w: bufio.NewWriterSize(f, outputBufferSize)}, nil
}

func (s *fileSink) Begin(string) (io.Writer, error) { return s.w, nil }
func (s *fileSink) End() error                      { return s.w.WriteByte('\n') }

func (s *fileSink) Commit() error {
	if err := s.w.Flush(); err != nil {
		s.f.Abort()
		return err
	}
	return s.f.Commit()
}

func (s *fileSink) Abort() { s.f.Abort() }

// spoolSink holds stdout output in an unnamed temporary file until Commit,
// so --strict prints nothing before it knows no trace lost anything, while
// memory stays bounded by the largest trace.
type spoolSink struct {
	out  io.Writer
	f    *os.File
	w    *bufio.Writer
	done bool
}

func newSpoolSink(out io.Writer) (*spoolSink, error) {
	f, err := os.CreateTemp("", "tracectl-convert-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("cannot create a spool file for --strict: %w", err)
	}
	return &spoolSink{out: out, f: f, w: bufio.NewWriterSize(f, outputBufferSize)}, nil
}

func (s *spoolSink) Begin(string) (io.Writer, error) { return s.w, nil }
func (s *spoolSink) End() error                      { return s.w.WriteByte('\n') }

func (s *spoolSink) Commit() error {
	defer s.Abort()
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(s.out, s.f)
	return err
}

func (s *spoolSink) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.f.Name())
}

// convertStaging names convert --dir's staging directories.
var convertStaging = staleTemp{prefix: ".tracectl-convert-", dir: true}

// dirSink writes one file per trace into a hidden staging directory inside
// DIR and moves them into DIR on Commit, so a failed run adds nothing.
type dirSink struct {
	dir        string
	staging    string
	createdDir bool
	names      []string // staged file names, in write order
	done       bool
	stale      int // a killed run's staging directories removed
	staleErr   error

	cur *os.File // the trace file between Begin and End
	w   *bufio.Writer
}

func newDirSink(dir string) (*dirSink, error) {
	created := false
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		created = true
	} else if err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("--dir %s: not a directory", dir)
	}
	stale, staleErr := removeStaleTemps(dir, convertStaging, processStart)
	staging, err := os.MkdirTemp(dir, convertStaging.prefix+"*")
	if err != nil {
		return nil, err
	}
	return &dirSink{dir: dir, staging: staging, createdDir: created, stale: stale, staleErr: staleErr}, nil
}

func (s *dirSink) Begin(traceID string) (io.Writer, error) {
	name := spanjson.TraceFileName(traceID, func(name string) bool {
		_, err := os.Lstat(filepath.Join(s.staging, name))
		return err == nil
	})
	f, err := os.OpenFile(filepath.Join(s.staging, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	s.names = append(s.names, name)
	s.cur = f
	if s.w == nil {
		s.w = bufio.NewWriterSize(f, outputBufferSize)
	} else {
		s.w.Reset(f)
	}
	return s.w, nil
}

func (s *dirSink) End() error {
	f := s.cur
	s.cur = nil
	err := s.w.WriteByte('\n')
	if err == nil {
		err = s.w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *dirSink) Commit() error {
	if s.done {
		return fs.ErrClosed
	}
	for i, name := range s.names {
		if err := os.Rename(filepath.Join(s.staging, name), filepath.Join(s.dir, name)); err != nil {
			s.Abort()
			return fmt.Errorf("%w (%d of %d trace files were moved into %s)", err, i, len(s.names), s.dir)
		}
	}
	s.done = true
	err := os.Remove(s.staging)
	_ = syncDir(s.dir)
	return err
}

func (s *dirSink) Abort() {
	if s.done {
		return
	}
	s.done = true
	if s.cur != nil {
		s.cur.Close()
	}
	os.RemoveAll(s.staging)
	if s.createdDir {
		os.Remove(s.dir) // only succeeds if still empty
	}
}
