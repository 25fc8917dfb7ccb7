package collect

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"tracectl/internal/spanjson"
)

// The spool's files. A segment is "<seq>.spool": a header (spoolMagic, then
// the sink's position when the segment began, 8 bytes big-endian) and
// records, each a length (4 bytes), the CRC-32C of the payload (4 bytes)
// and the payload: one byte of wire format and the request body as
// received (decompressed).
const (
	spoolMagic     = "TCSPOOL1"
	spoolHeaderLen = len(spoolMagic) + 8
	spoolRecLen    = 8
	spoolSuffix    = ".spool"
	// DefaultSpoolSegment is the size at which a new segment is begun;
	// whole segments are deleted once every trace in them is written.
	DefaultSpoolSegment = 64 << 20
	// A commit takes up to this many requests (or bytes) waiting for it.
	spoolBatchReqs  = 1024
	spoolBatchBytes = 16 << 20
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// SpoolSink is a sink the spool can check after a crash. Position marks the
// output as it is now; WrittenSince calls fn for every span written after
// such a mark (and may call it for spans written before it); Sync makes
// what was written durable.
type SpoolSink interface {
	TraceSink
	Sync() error
	Position() (int64, error)
	WrittenSince(pos int64, fn func(spanjson.Span)) error
}

// Spool is an append-only log of accepted export requests in a directory.
// A request is appended, and the log synced to disk, before it is
// acknowledged; many requests waiting at once share one write and one
// fsync (group commit). A segment file is deleted once every trace with a
// span in it has been written and the output synced. After a crash,
// Collector.Recover replays the segments left, minus the spans the output
// already has, so every acknowledged span is written exactly once.
type Spool struct {
	dir    string
	segMax int64
	sink   SpoolSink
	write  writeFunc
	lock   io.Closer

	mu       sync.Mutex
	segs     map[uint64]*spoolSeg
	next     uint64
	active   *spoolSeg // written by the commit loop; swapped under mu
	unsynced []uint64  // segments of traces written since the last Trim
	// recovered are the segments found at open, oldest first, for Replay.
	recovered []*spoolSeg

	reqs     chan *spoolReq
	loopDone chan struct{}
	buf      []byte // the commit loop's

	fsyncs, commits, appended, bytes atomic.Int64
}

type spoolSeg struct {
	seq  uint64
	path string
	f    *os.File // the active segment's, else nil
	size int64
	pos  int64 // the sink's position when the segment began
	refs int   // held traces and requests in flight that need it
}

type spoolReq struct {
	rec  []byte
	seg  uint64
	err  error
	done chan struct{}
}

// SpoolStats are the spool's counters.
type SpoolStats struct {
	Appended int64 `json:"appended"` // requests
	Bytes    int64 `json:"bytes"`
	Commits  int64 `json:"commits"`
	Fsyncs   int64 `json:"fsyncs"`
	Segments int   `json:"segments"`
}

// OpenSpool opens (creating) the spool in dir for sink, and takes a lock on
// it so that no other collector uses it. Segments left by an earlier run are
// kept for Collector.Recover. A segment that ends in a partial record (a
// crash in the middle of a write) is cut back to its last whole record;
// cut says how many bytes were cut in all.
func OpenSpool(dir string, sink SpoolSink) (s *Spool, cut int64, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	s = &Spool{
		dir: dir, segMax: DefaultSpoolSegment, sink: sink, write: fileWrite, lock: lock,
		segs: make(map[uint64]*spoolSeg), next: 1,
		reqs: make(chan *spoolReq, spoolBatchReqs), loopDone: make(chan struct{}),
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	for _, e := range ents {
		name := e.Name()
		seq, perr := strconv.ParseUint(strings.TrimSuffix(name, spoolSuffix), 10, 64)
		if !strings.HasSuffix(name, spoolSuffix) || perr != nil || seq == 0 || !e.Type().IsRegular() {
			continue
		}
		seg, n, err := checkSegment(filepath.Join(dir, name), seq)
		if err != nil {
			return nil, 0, err
		}
		cut += n
		s.next = max(s.next, seq+1)
		if seg == nil {
			continue // empty: removed
		}
		s.segs[seq] = seg
		s.recovered = append(s.recovered, seg)
	}
	slices.SortFunc(s.recovered, func(a, b *spoolSeg) int { return cmp.Compare(a.seq, b.seq) })
	go s.commitLoop()
	return s, cut, nil
}

// checkSegment reads a segment's header and records, cuts a partial last
// record off, and returns the segment (nil when it held no record and was
// removed) and the bytes cut.
func checkSegment(path string, seq uint64) (*spoolSeg, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	seg := &spoolSeg{seq: seq, path: path}
	end, pos, err := scanSegment(f, st.Size(), nil)
	if errors.Is(err, errNotSpool) {
		return nil, 0, fmt.Errorf("%s: not a tracectl spool segment (use an empty directory for --spool)", path)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if end <= int64(spoolHeaderLen) {
		// A crash before the first record was synced: nothing in it was
		// acknowledged.
		return nil, st.Size(), os.Remove(path)
	}
	if end < st.Size() {
		if err := f.Truncate(end); err != nil {
			return nil, 0, fmt.Errorf("%s: cannot cut off a partial record: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return nil, 0, err
		}
	}
	// Pinned until Replay has filed its spans.
	seg.size, seg.pos, seg.refs = end, pos, 1
	return seg, st.Size() - end, nil
}

var errNotSpool = errors.New("not a spool segment")

// scanSegment reads a segment from its start and calls fn (when not nil)
// for each whole record; it returns the end of the last whole record and the
// header's sink position. A short or damaged header counts as no record.
func scanSegment(r io.Reader, size int64, fn func(format wireFormat, body []byte) error) (end, pos int64, err error) {
	br := newSpoolReader(r)
	hdr, ok := br.next(spoolHeaderLen)
	if !ok {
		return 0, 0, nil
	}
	if string(hdr[:len(spoolMagic)]) != spoolMagic {
		return 0, 0, errNotSpool
	}
	pos = int64(binary.BigEndian.Uint64(hdr[len(spoolMagic):]))
	end = int64(spoolHeaderLen)
	for {
		h, ok := br.next(spoolRecLen)
		if !ok {
			return end, pos, br.err
		}
		n, sum := binary.BigEndian.Uint32(h), binary.BigEndian.Uint32(h[4:])
		if n == 0 || int64(n) > size-end-int64(spoolRecLen) {
			return end, pos, nil // a length past the end: a partial record
		}
		payload, ok := br.next(int(n))
		if !ok || crc32.Checksum(payload, crc32c) != sum {
			return end, pos, br.err
		}
		if fn != nil {
			if err := fn(wireFormat(payload[0]), payload[1:]); err != nil {
				return end, pos, err
			}
		}
		end += int64(spoolRecLen) + int64(n)
	}
}

// spoolReader hands out the next n bytes of r, valid until the next call.
type spoolReader struct {
	r   io.Reader
	buf []byte
	err error // a read error other than a short end
}

func newSpoolReader(r io.Reader) *spoolReader { return &spoolReader{r: r} }

func (s *spoolReader) next(n int) ([]byte, bool) {
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if _, err := io.ReadFull(s.r, b); err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			s.err = err
		}
		return nil, false
	}
	return b, true
}

// Replay calls fn for every record of the segments found at open, oldest
// first. Recover uses it.
func (s *Spool) replay(fn func(seg uint64, format wireFormat, body []byte) error) error {
	for _, seg := range s.recovered {
		f, err := os.Open(seg.path)
		if err != nil {
			return err
		}
		_, _, err = scanSegment(io.LimitReader(f, seg.size), seg.size, func(format wireFormat, body []byte) error {
			return fn(seg.seq, format, body)
		})
		f.Close()
		if err == nil {
			s.ref(seg.seq, -1) // its held traces hold it now
		}
		if err != nil {
			return fmt.Errorf("%s: %w", seg.path, err)
		}
	}
	return nil
}

// oldestPos is the sink position of the oldest segment found at open.
func (s *Spool) oldestPos() (int64, bool) {
	if len(s.recovered) == 0 {
		return 0, false
	}
	return s.recovered[0].pos, true
}

// Append logs one request body and returns once it is on disk, with the
// segment that holds it, pinned: the caller files the request's spans with
// Assembler.AddFrom and then calls Unpin.
func (s *Spool) Append(format wireFormat, body []byte) (uint64, error) {
	r := &spoolReq{rec: spoolRecord(format, body), done: make(chan struct{})}
	s.reqs <- r
	<-r.done
	return r.seg, r.err
}

// spoolRecord encodes one record: length, CRC-32C, format byte, body.
func spoolRecord(format wireFormat, body []byte) []byte {
	rec := make([]byte, spoolRecLen+1+len(body))
	binary.BigEndian.PutUint32(rec, uint32(1+len(body)))
	rec[spoolRecLen] = byte(format)
	copy(rec[spoolRecLen+1:], body)
	binary.BigEndian.PutUint32(rec[4:], crc32.Checksum(rec[spoolRecLen:], crc32c))
	return rec
}

// Unpin releases the pin Append took.
func (s *Spool) Unpin(seg uint64) { s.ref(seg, -1) }

func (s *Spool) ref(seg uint64, d int) {
	s.mu.Lock()
	if g := s.segs[seg]; g != nil {
		g.refs += d
	}
	s.mu.Unlock()
}

// written notes that cts are in the output (not yet synced): Trim releases
// their segments.
func (s *Spool) written(cts []*CollectedTrace) {
	s.mu.Lock()
	for _, ct := range cts {
		s.unsynced = append(s.unsynced, ct.segs...)
	}
	s.mu.Unlock()
}

// Trim syncs the output when traces were written since the last Trim, then
// releases their segments and deletes every segment no trace needs.
func (s *Spool) Trim() error {
	s.mu.Lock()
	pending := s.unsynced
	s.unsynced = nil
	s.mu.Unlock()
	if len(pending) > 0 {
		if err := s.sink.Sync(); err != nil {
			s.mu.Lock()
			s.unsynced = append(pending, s.unsynced...)
			s.mu.Unlock()
			return err
		}
	}
	s.mu.Lock()
	for _, seq := range pending {
		if g := s.segs[seq]; g != nil {
			g.refs--
		}
	}
	var dead []*spoolSeg
	for seq, g := range s.segs {
		if g.refs <= 0 && g != s.active {
			dead = append(dead, g)
			delete(s.segs, seq)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, g := range dead {
		if err := os.Remove(g.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops the commit loop (no Append may follow) and, after a last
// Trim, deletes the active segment too when no trace needs it: after a
// clean shutdown that wrote everything, the spool is empty.
func (s *Spool) Close() error {
	close(s.reqs)
	<-s.loopDone
	err := s.Trim()
	s.mu.Lock()
	a := s.active
	s.active = nil
	s.mu.Unlock()
	if a != nil {
		err = errors.Join(err, a.f.Close())
		a.f = nil
	}
	return errors.Join(err, s.Trim(), s.lock.Close())
}

// Stats returns the spool's counters.
func (s *Spool) Stats() SpoolStats {
	s.mu.Lock()
	n := len(s.segs)
	s.mu.Unlock()
	return SpoolStats{Appended: s.appended.Load(), Bytes: s.bytes.Load(), Commits: s.commits.Load(), Fsyncs: s.fsyncs.Load(), Segments: n}
}

func (s *Spool) commitLoop() {
	defer close(s.loopDone)
	batch := make([]*spoolReq, 0, spoolBatchReqs)
	for r := range s.reqs {
		batch = append(batch[:0], r)
		size := len(r.rec)
	more:
		for len(batch) < spoolBatchReqs && size < spoolBatchBytes {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
				size += len(r.rec)
			default:
				break more
			}
		}
		s.commit(batch)
	}
}

// commit writes a batch of records in one write and one fsync, then pins
// the segment once per request and wakes them.
func (s *Spool) commit(batch []*spoolReq) {
	err := s.commitBatch(batch)
	var seq uint64
	if err == nil {
		seq = s.active.seq
		s.ref(seq, len(batch))
		s.appended.Add(int64(len(batch)))
	} else {
		err = fmt.Errorf("writing the spool: %w", err)
	}
	for _, r := range batch {
		r.seg, r.err = seq, err
		close(r.done)
	}
}

func (s *Spool) commitBatch(batch []*spoolReq) error {
	if s.active == nil || s.active.size >= s.segMax {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	b := s.buf[:0]
	for _, r := range batch {
		b = append(b, r.rec...)
	}
	s.buf = b[:0]
	if cap(s.buf) > spoolBatchBytes*2 {
		s.buf = nil
	}
	g := s.active
	_, err := s.write(g.f, b)
	if err == nil {
		err = g.f.Sync()
		s.fsyncs.Add(1)
	}
	if err != nil {
		// Cut the segment back to its last whole record; if that fails
		// too, leave the partial record at its end (Recover cuts it) and
		// begin a new segment next time.
		if terr := g.f.Truncate(g.size); terr != nil {
			s.retire()
		}
		return err
	}
	g.size += int64(len(b))
	s.commits.Add(1)
	s.bytes.Add(int64(len(b)))
	return nil
}

// rotate begins a new segment, whose header records the sink's position.
func (s *Spool) rotate() error {
	pos, err := s.sink.Position()
	if err != nil {
		return err
	}
	s.mu.Lock()
	seq := s.next
	s.next++
	s.mu.Unlock()
	path := filepath.Join(s.dir, fmt.Sprintf("%016d%s", seq, spoolSuffix))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	hdr := binary.BigEndian.AppendUint64([]byte(spoolMagic), uint64(pos))
	if _, err = s.write(f, hdr); err == nil {
		err = syncDirEntry(s.dir) // the new name survives a crash
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	s.retire()
	g := &spoolSeg{seq: seq, path: path, f: f, size: int64(spoolHeaderLen), pos: pos}
	s.mu.Lock()
	s.segs[seq] = g
	s.active = g
	s.mu.Unlock()
	return nil
}

// retire closes the active segment; Trim deletes it once no trace needs it.
func (s *Spool) retire() {
	s.mu.Lock()
	g := s.active
	s.active = nil
	s.mu.Unlock()
	if g != nil {
		g.f.Close()
		g.f = nil
	}
}

// syncDirEntry syncs a directory's entry list (a new file's name).
func syncDirEntry(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
