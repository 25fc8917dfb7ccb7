package collect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"tracectl/internal/spanjson"
)

// sinkLosses counts what the output schema could not carry, per field.
type sinkLosses struct {
	mu      sync.Mutex
	m       map[string]int
	onFirst func(field string)
}

// OnFirstLoss sets fn to be called the first time the schema cannot carry
// a field, so that a loss is said when it begins, not only at exit. Set it
// before writing.
func (l *sinkLosses) OnFirstLoss(fn func(field string)) { l.onFirst = fn }

func (l *sinkLosses) add(losses []spanjson.Loss) {
	if len(losses) == 0 {
		return
	}
	var first []string
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]int)
	}
	for _, x := range losses {
		if _, seen := l.m[x.Field]; !seen {
			first = append(first, x.Field)
		}
		l.m[x.Field] += x.Count
	}
	l.mu.Unlock()
	if l.onFirst != nil {
		for _, f := range first {
			l.onFirst(f)
		}
	}
}

// Losses returns what the schema could not carry, summed, sorted by field.
func (l *sinkLosses) Losses() []spanjson.Loss {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]spanjson.Loss, 0, len(l.m))
	for f, n := range l.m {
		out = append(out, spanjson.Loss{Field: f, Count: n})
	}
	slices.SortFunc(out, func(a, b spanjson.Loss) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// encodeTrace writes ct in schema. OTLP has no trace-level record, so the
// incomplete marker travels as the resource attribute tracectl.incomplete of
// every span (the OTLP reader turns it back into the tag and the ERROR
// state), and the times derived from the spans are not reported as lost.
func encodeTrace(dst []byte, schema spanjson.Schema, ct *CollectedTrace) ([]byte, []spanjson.Loss, error) {
	if schema != spanjson.SchemaOTLP || ct.Incomplete == "" {
		return spanjson.AppendTrace(dst, schema, &ct.Trace)
	}
	t := ct.Trace
	t.Spans = make([]spanjson.Span, len(ct.Trace.Spans))
	marked := map[*spanjson.Resource]*spanjson.Resource{}
	for i, s := range ct.Trace.Spans {
		d := s.Data()
		r, ok := marked[d.Resource]
		if !ok {
			r = &spanjson.Resource{}
			if d.Resource != nil {
				*r = *d.Resource
			}
			attrs := append(r.Attributes.List(), spanjson.Attribute{Key: spanjson.TagIncomplete, Value: ct.Incomplete, Type: spanjson.ValueString})
			r.Attributes = spanjson.NewAttributes(attrs)
			marked[d.Resource] = r
		}
		d.Resource = r
		t.Spans[i] = spanjson.NewSpan(d)
	}
	dst, losses, err := spanjson.AppendTrace(dst, schema, &t)
	kept := losses[:0]
	for _, l := range losses {
		switch l.Field {
		case "info.state", "info.request_time", "info.execution_duration":
			// Derived from the spans, which carry them.
		default:
			kept = append(kept, l)
		}
	}
	return dst, kept, err
}

var lineBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// EncodeError is a trace the sink cannot encode: writing it again would
// fail again, so the collector drops it (and counts it) instead of keeping
// it to retry.
type EncodeError struct {
	TraceID string
	Err     error
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("cannot encode trace %s: %v", e.TraceID, e.Err)
}
func (e *EncodeError) Unwrap() error { return e.Err }

// writeFunc writes b to f; the sinks call f.Write through it so tests can
// fail a write on demand (a full disk).
type writeFunc func(f *os.File, b []byte) (int, error)

func fileWrite(f *os.File, b []byte) (int, error) { return f.Write(b) }

// JSONLSink appends each trace as one line of JSON to a file. Traces are
// encoded concurrently; each batch goes to the file in one write, so a line
// is never split between writers. A failed write is cut back off the file:
// the file only ever ends in a whole line (until a crash; see
// OpenJSONLSink).
type JSONLSink struct {
	path   string
	schema spanjson.Schema
	sinkLosses
	write writeFunc

	mu sync.Mutex
	f  *os.File
	// size is the length of the file up to its last whole line; dirty
	// says a failed write or cut may have left bytes past it.
	size   int64
	dirty  bool
	cut    int64
	closed bool
}

// OpenJSONLSink opens (creating if needed) path for appending. A file whose
// last line is partial (a crash or a full disk in the middle of a write) is
// cut back to its last newline first, so the next trace starts a line of
// its own; CutBytes says how much was cut.
func OpenJSONLSink(path string, schema spanjson.Schema) (*JSONLSink, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	size, cut, err := cutPartialLine(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: cannot cut off a partial last line: %w", path, err)
	}
	return &JSONLSink{path: path, schema: schema, write: fileWrite, f: f, size: size, cut: cut}, nil
}

// cutPartialLine truncates f after its last newline (to empty if it has
// none) and returns the new size and how many bytes were cut.
func cutPartialLine(f *os.File) (size, cut int64, err error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, 0, err // not a regular file (a pipe, /dev/null): nothing to cut
	}
	end := fi.Size()
	buf := make([]byte, 64<<10)
	for pos := end; pos > 0; {
		n := int64(len(buf))
		if n > pos {
			n = pos
		}
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil {
			return 0, 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			size = pos + int64(i) + 1
			break
		}
	}
	if size == end {
		return size, 0, nil
	}
	if err := f.Truncate(size); err != nil {
		return 0, 0, err
	}
	return size, end - size, nil
}

// CutBytes is how many bytes of a partial last line OpenJSONLSink cut off.
func (s *JSONLSink) CutBytes() int64 { return s.cut }

func checkSchema(schema spanjson.Schema) error {
	switch schema {
	case spanjson.SchemaMLflowV2, spanjson.SchemaMLflowV3, spanjson.SchemaOTLP:
		return nil
	}
	return fmt.Errorf("cannot write schema %q", schema)
}

// WriteTrace writes one trace (see WriteTraces).
func (s *JSONLSink) WriteTrace(ct *CollectedTrace) error {
	_, err := s.WriteTraces([]*CollectedTrace{ct})
	return err
}

// WriteTraces encodes cts and appends them, one line each, in one write.
// It returns how many are in the file: all, or, when one cannot be encoded
// (an *EncodeError), those before it; on a failed write none, the file cut
// back to its last whole line.
func (s *JSONLSink) WriteTraces(cts []*CollectedTrace) (int, error) {
	bp := lineBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 4<<20 {
			lineBufPool.Put(bp)
		}
	}()
	b := (*bp)[:0]
	var losses []spanjson.Loss
	var encErr error
	n := 0
	for _, ct := range cts {
		nb, l, err := encodeTrace(b, s.schema, ct)
		if err != nil {
			encErr = &EncodeError{TraceID: ct.Trace.Info.TraceID, Err: err}
			break
		}
		b = append(nb, '\n')
		losses = append(losses, l...)
		n++
	}
	*bp = b[:0]
	if n > 0 {
		if err := s.append(b); err != nil {
			return 0, err
		}
		s.add(losses)
	}
	return n, encErr
}

// append writes b at the end of the file, or cuts off what it wrote.
func (s *JSONLSink) append(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return os.ErrClosed
	}
	if s.dirty {
		// A failed write left bytes past the last whole line.
		if err := s.f.Truncate(s.size); err != nil {
			return err
		}
		s.dirty = false
	}
	if _, err := s.write(s.f, b); err != nil {
		s.dirty = true
		if terr := s.f.Truncate(s.size); terr == nil {
			s.dirty = false
		}
		return err
	}
	s.size += int64(len(b))
	return nil
}

// Sync makes the lines written durable.
func (s *JSONLSink) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return os.ErrClosed
	}
	return s.f.Sync()
}

// Position is the file's length up to its last whole line.
func (s *JSONLSink) Position() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size, nil
}

// WrittenSince reads back the lines from byte pos on (the whole file when
// it is shorter: it was replaced) and calls fn for each span.
func (s *JSONLSink) WrittenSince(pos int64, fn func(spanjson.Span)) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return err // not a regular file (a pipe): nothing to read back
	} else if pos > st.Size() {
		pos = 0
	}
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		return err
	}
	return readBackSpans(f, s.path, fn)
}

// readBackSpans decodes every trace in r (written by a sink) and calls fn
// for each span.
func readBackSpans(r io.Reader, name string, fn func(spanjson.Span)) error {
	dec := spanjson.NewDecoder(r, name)
	for {
		doc, err := dec.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, t := range doc.Traces {
			for _, sp := range t.Spans {
				fn(sp)
			}
		}
	}
}

// Close syncs and closes the file.
func (s *JSONLSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(s.f.Sync(), s.f.Close())
}

// DirTempPrefix starts the name of a DirSink's temporary files; a file of
// that name older than the running process was left by a killed run.
const DirTempPrefix = ".tracectl-collect-"

// DirTempPattern is the os.CreateTemp pattern of DirSink's temporary files.
const DirTempPattern = DirTempPrefix + "*.tmp"

// DirSink writes each trace to its own file in a directory, named from the
// trace id ("tr-<32 hex>.json", "-2", "-3"… added when a later trace has
// the same id); see WriteTrace.
type DirSink struct {
	schema spanjson.Schema
	dir    string
	write  writeFunc
	sinkLosses
}

// OpenDirSink creates dir if needed.
func OpenDirSink(dir string, schema spanjson.Schema) (*DirSink, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &DirSink{schema: schema, dir: dir, write: fileWrite}, nil
}

// WriteTraces writes each trace with WriteTrace, in order, and returns how
// many were written before the first error.
func (s *DirSink) WriteTraces(cts []*CollectedTrace) (int, error) {
	for i, ct := range cts {
		if err := s.WriteTrace(ct); err != nil {
			return i, err
		}
	}
	return len(cts), nil
}

// WriteTrace writes ct to a new file, named by spanjson.TraceFileName after
// the id a reader of the file will see, as convert --dir names it. The
// trace is written to a temporary file in the directory first and then
// linked under its name, so a name only ever shows a whole file. A name is
// claimed by that link, which never replaces a file: a second part of a
// trace (late spans), a file left by an earlier run or a concurrent writer
// never has its file overwritten; the trace gets the next free "-2", "-3"…
// name.
func (s *DirSink) WriteTrace(ct *CollectedTrace) error {
	b, losses, err := encodeTrace(nil, s.schema, ct)
	if err != nil {
		return &EncodeError{TraceID: ct.Trace.Info.TraceID, Err: err}
	}
	b = append(b, '\n')
	id := spanjson.WrittenTraceID(s.schema, &ct.Trace)
	if id == "" {
		id = ct.Trace.Info.TraceID
	}
	tmp, err := os.CreateTemp(s.dir, DirTempPattern)
	if err != nil {
		return err
	}
	_, err = s.write(tmp, b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = syncEach(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	defer os.Remove(tmp.Name())
	if err != nil {
		return err
	}
	spanjson.TraceFileName(id, func(name string) bool {
		err = os.Link(tmp.Name(), filepath.Join(s.dir, name))
		return errors.Is(err, fs.ErrExist)
	})
	if err != nil {
		return err
	}
	s.add(losses)
	return nil
}

// Close syncs the directory's file system.
func (s *DirSink) Close() error { return syncDir(s.dir) }

// Sync makes the files written durable.
func (s *DirSink) Sync() error { return syncDir(s.dir) }

// Position is the time now, in Unix nanoseconds.
func (s *DirSink) Position() (int64, error) { return time.Now().UnixNano(), nil }

// dirMtimeSlack allows for file systems whose modification times are
// coarse or lag the clock.
const dirMtimeSlack = 2 * time.Second

// WrittenSince reads back the trace files modified since pos (a Position)
// and calls fn for each span. A file that does not decode is not one of
// the sink's (the directory may hold others) and is skipped.
func (s *DirSink) WrittenSince(pos int64, fn func(spanjson.Span)) error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	since := time.Unix(0, pos).Add(-dirMtimeSlack)
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().Before(since) {
			continue
		}
		path := filepath.Join(s.dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		var spans []spanjson.Span
		err = readBackSpans(f, path, func(s spanjson.Span) { spans = append(spans, s) })
		f.Close()
		if err == nil {
			for _, s := range spans {
				fn(s)
			}
		}
	}
	return nil
}
