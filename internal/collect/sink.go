package collect

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"tracectl/internal/spanjson"
)

// sinkLosses counts what the output schema could not carry, per field.
type sinkLosses struct {
	mu sync.Mutex
	m  map[string]int
}

func (l *sinkLosses) add(losses []spanjson.Loss) {
	if len(losses) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]int)
	}
	for _, x := range losses {
		l.m[x.Field] += x.Count
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

// JSONLSink appends each trace as one line of JSON to a file. Traces are
// encoded concurrently; lines are written whole, one at a time.
type JSONLSink struct {
	schema spanjson.Schema
	sinkLosses

	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	closed bool
}

// OpenJSONLSink opens (creating if needed) path for appending.
func OpenJSONLSink(path string, schema spanjson.Schema) (*JSONLSink, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &JSONLSink{schema: schema, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func checkSchema(schema spanjson.Schema) error {
	switch schema {
	case spanjson.SchemaMLflowV2, spanjson.SchemaMLflowV3, spanjson.SchemaOTLP:
		return nil
	}
	return fmt.Errorf("cannot write schema %q", schema)
}

// WriteTrace encodes ct and appends it as one line.
func (s *JSONLSink) WriteTrace(ct *CollectedTrace) error {
	bp := lineBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 4<<20 {
			lineBufPool.Put(bp)
		}
	}()
	b, losses, err := encodeTrace((*bp)[:0], s.schema, ct)
	*bp = b[:0]
	if err != nil {
		return err
	}
	s.add(losses)
	b = append(b, '\n')
	*bp = b[:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return os.ErrClosed
	}
	_, err = s.w.Write(b)
	return err
}

// Flush writes buffered lines to the file.
func (s *JSONLSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.w.Flush()
}

// Close flushes, syncs and closes the file.
func (s *JSONLSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return errors.Join(s.w.Flush(), s.f.Sync(), s.f.Close())
}

// DirSink writes each trace to its own file in a directory, named from the
// trace id ("tr-<32 hex>.json", "-2", "-3"… added when a later trace has
// the same id); see WriteTrace.
type DirSink struct {
	schema spanjson.Schema
	dir    string
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
	return &DirSink{schema: schema, dir: dir}, nil
}

// WriteTrace writes ct to a new file, named by spanjson.TraceFileName after
// the id a reader of the file will see, as convert --dir names it. A name
// is claimed by creating its file exclusively, so a second part of a trace
// (late spans), a file left by an earlier run or a concurrent writer never
// has its file overwritten: the trace gets the next free "-2", "-3"… name.
func (s *DirSink) WriteTrace(ct *CollectedTrace) error {
	b, losses, err := encodeTrace(nil, s.schema, ct)
	if err != nil {
		return err
	}
	s.add(losses)
	b = append(b, '\n')
	id := spanjson.WrittenTraceID(s.schema, &ct.Trace)
	if id == "" {
		id = ct.Trace.Info.TraceID
	}
	var f *os.File
	spanjson.TraceFileName(id, func(name string) bool {
		f, err = os.OpenFile(filepath.Join(s.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		return errors.Is(err, fs.ErrExist)
	})
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	return errors.Join(werr, syncEach(f), f.Close())
}

// Flush does nothing: every file is complete when WriteTrace returns.
func (s *DirSink) Flush() error { return nil }

// Close syncs the directory's file system.
func (s *DirSink) Close() error { return syncDir(s.dir) }
