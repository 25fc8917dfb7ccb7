package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
	"tracectl/internal/testclock"
)

// colSpoolCrash ends s as a crash would: nothing trimmed or removed, the
// lock and files let go.
func colSpoolCrash(s *Spool) {
	close(s.reqs)
	<-s.loopDone
	if s.active != nil {
		s.active.f.Close()
	}
	s.lock.Close()
}

type colRecord struct {
	Format wireFormat
	Body   string
}

func colReplay(t *testing.T, s *Spool) []colRecord {
	t.Helper()
	var got []colRecord
	if err := s.replay(func(_ uint64, f wireFormat, b []byte) error {
		got = append(got, colRecord{f, string(b)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func colOpenSpool(t *testing.T, dir string) (*Spool, *JSONLSink) {
	t.Helper()
	sink, err := OpenJSONLSink(filepath.Join(dir, "out.jsonl"), spanjson.SchemaOTLP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	s, _, err := OpenSpool(filepath.Join(dir, "spool"), sink)
	if err != nil {
		t.Fatal(err)
	}
	return s, sink
}

func colSegments(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"+spoolSuffix))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

// Records appended before a crash are replayed after it, in order, with
// their formats; a partial record at the end is cut off and said.
func TestSpoolReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, sink := colOpenSpool(t, dir)
	want := []colRecord{{wireProto, "\x0a\x01x"}, {wireJSON, `{"resourceSpans":[]}`}, {wireProto, strings.Repeat("b", 70000)}}
	for _, r := range want {
		seg, err := s.Append(r.Format, []byte(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		s.Unpin(seg)
	}
	if st := s.Stats(); st.Appended != 3 || st.Fsyncs < 1 || st.Fsyncs > 3 || st.Segments != 1 {
		t.Errorf("stats %+v: want 3 appended in 1 to 3 fsyncs, 1 segment", st)
	}
	colSpoolCrash(s)
	seg := filepath.Join(dir, "spool", colSegments(t, filepath.Join(dir, "spool"))[0])
	// A crash in the middle of the next write leaves half a record.
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 9, 9, 9, 9, 1, 2, 3})
	f.Close()
	sink.Close()

	sink2, err := OpenJSONLSink(filepath.Join(dir, "out.jsonl"), spanjson.SchemaOTLP)
	if err != nil {
		t.Fatal(err)
	}
	defer sink2.Close()
	s2, cut, err := OpenSpool(filepath.Join(dir, "spool"), sink2)
	if err != nil {
		t.Fatal(err)
	}
	if cut != 11 {
		t.Errorf("cut %d bytes, want the 11 of the partial record", cut)
	}
	if diff := cmp.Diff(want, colReplay(t, s2)); diff != "" {
		t.Errorf("replayed (-want +got):\n%s", diff)
	}
	// New records go to a new segment.
	if seg, err := s2.Append(wireProto, []byte("new")); err != nil || seg != 2 {
		t.Errorf("Append after reopen: segment %d, %v; want 2", seg, err)
	}
	colSpoolCrash(s2)
}

// A segment cut short inside its header was never acknowledged: removed.
// A file that is not a spool segment stops the open with a clear error.
func TestSpoolOpenDamaged(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "spool")
	os.MkdirAll(sp, 0o755)
	os.WriteFile(filepath.Join(sp, "0000000000000004.spool"), []byte(spoolMagic[:5]), 0o644)
	os.WriteFile(filepath.Join(sp, "notes.txt"), []byte("left alone"), 0o644)
	s, sink := colOpenSpool(t, dir)
	if got := colSegments(t, sp); len(got) != 0 {
		t.Errorf("segments after open: %v, want the empty one removed", got)
	}
	if seg, err := s.Append(wireProto, []byte("x")); err != nil || seg != 5 {
		t.Errorf("first Append: segment %d, %v; want 5 (after the one removed)", seg, err)
	}
	if _, err := os.Stat(filepath.Join(sp, "notes.txt")); err != nil {
		t.Errorf("another file was touched: %v", err)
	}
	// The spool is locked while open.
	if _, _, err := OpenSpool(sp, sink); err == nil || !strings.Contains(err.Error(), "in use by another tracectl collect") {
		t.Errorf("second open: %v, want an in-use error", err)
	}
	colSpoolCrash(s)

	os.WriteFile(filepath.Join(sp, "0000000000000009.spool"), []byte("GARBAGE!GARBAGE!GARBAGE!"), 0o644)
	if _, _, err := OpenSpool(sp, sink); err == nil || !strings.Contains(err.Error(), "0000000000000009.spool: not a tracectl spool segment") {
		t.Errorf("open with a foreign file: %v", err)
	}
}

// The spool keeps a segment while a trace with spans in it is held, and
// deletes it once the trace is written and the output synced; a clean
// shutdown leaves it empty.
func TestCollectorSpoolTrim(t *testing.T) {
	dir := t.TempDir()
	s, sink := colOpenSpool(t, dir)
	s.segMax = 1 // a segment per commit
	clk := testclock.New()
	c, base := startColCollector(t, CollectorConfig{
		Assembler: AssemblerConfig{Idle: time.Second, TraceTimeout: time.Hour, Now: clk.Now},
		Tick:      time.Hour, Sink: sink, Spool: s,
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	post := func(spans ...colTestSpan) {
		if r := colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, spans...))); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	post(colTestSpan{1, 2, 1, "child without its root"}) // segment 1: held
	post(colTestSpan{2, 3, 0, "root"})                   // segment 2: written
	clk.Advance(2 * time.Second)
	c.ExpireNow()
	colWaitFor(t, "trace 2 written", func() bool { return c.Stats().TracesWritten == 1 })
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	// Segment 2 is the active one: kept until the next rotation.
	if got := colSegments(t, filepath.Join(dir, "spool")); !slices.Equal(got, []string{"0000000000000001.spool", "0000000000000002.spool"}) {
		t.Errorf("segments after trace 2 was written: %v", got)
	}
	post(colTestSpan{1, 1, 0, "root"}) // segment 3; trace 1 now needs 1 and 3
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	if got := colSegments(t, filepath.Join(dir, "spool")); !slices.Equal(got, []string{"0000000000000001.spool", "0000000000000003.spool"}) {
		t.Errorf("segments while trace 1 is held: %v", got)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := colSegments(t, filepath.Join(dir, "spool")); len(got) != 0 {
		t.Errorf("segments after a clean shutdown: %v", got)
	}
	if st := c.Stats(); st.Spool == nil || st.Spool.Appended != 3 || st.TracesWritten != 2 {
		t.Errorf("stats %+v, spool %+v: want 3 appended, 2 traces written", st, st.Spool)
	}
}

// When the spool cannot be written, requests get 503 with Retry-After and
// nothing is filed; the log says so once, and once when it works again.
func TestCollectorSpoolWriteFails(t *testing.T) {
	dir := t.TempDir()
	s, sink := colOpenSpool(t, dir)
	disk := &colFullDisk{}
	s.write = disk.write
	log := &colLog{}
	c, base := startColCollector(t, CollectorConfig{Sink: sink, Spool: s, ErrLog: log, Assembler: AssemblerConfig{Idle: time.Hour}})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	post := func(n int) colResult {
		return colPost(t, client, base+"/v1/traces", "application/x-protobuf", "", bytes.NewReader(colProtoBody(t, colTestSpan{n, n, 0, "r"})))
	}
	if r := post(1); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	disk.full.Store(true)
	for i := range 3 {
		if r := post(2); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("try %d on a full disk: status %d, Retry-After %q", i, r.status, r.header.Get("Retry-After"))
		}
	}
	if _, spans := c.asm.Held(); spans != 1 {
		t.Errorf("%d spans held, want 1: a refused request files nothing", spans)
	}
	disk.full.Store(false)
	if r := post(2); r.status != 200 {
		t.Fatalf("after space is freed: status %d", r.status)
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := log.String()
	if strings.Count(l, "writing the spool") != 2 || !strings.Contains(l, "no space left on device") || !strings.Contains(l, "writing the spool works again") {
		t.Errorf("log:\n%s\nwant the failure once and the recovery once", l)
	}
	// The failed writes were cut off: replaying the spool (here, after the
	// clean stop, nothing is left) never meets a damaged record.
	if got := colSegments(t, filepath.Join(dir, "spool")); len(got) != 0 {
		t.Errorf("segments after a clean shutdown: %v", got)
	}
}

// What a sink reads back after a Position is exactly the spans written
// after it, in every schema, for both sinks: the replay's rule that no span
// is written twice rests on it.
func TestSinkWrittenSince(t *testing.T) {
	for _, schema := range []spanjson.Schema{spanjson.SchemaMLflowV3, spanjson.SchemaMLflowV2, spanjson.SchemaOTLP} {
		for _, kind := range []string{"jsonl", "dir"} {
			t.Run(string(schema)+"/"+kind, func(t *testing.T) {
				dir := t.TempDir()
				var sink SpoolSink
				var err error
				if kind == "jsonl" {
					sink, err = OpenJSONLSink(filepath.Join(dir, "out.jsonl"), schema)
				} else {
					sink, err = OpenDirSink(filepath.Join(dir, "out"), schema)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer sink.Close()
				ct := func(trace int, spans ...spanjson.Span) *CollectedTrace {
					return buildCollected(colTID(trace), spans, "")
				}
				if _, err := sink.WriteTraces([]*CollectedTrace{ct(1, colSpan(1, 1, 0))}); err != nil {
					t.Fatal(err)
				}
				if kind == "dir" {
					// Files before the mark must be older than the slack.
					old := time.Now().Add(-time.Hour)
					names, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
					for _, n := range names {
						os.Chtimes(n, old, old)
					}
				}
				pos, err := sink.Position()
				if err != nil {
					t.Fatal(err)
				}
				late := buildCollected(colTID(3), []spanjson.Span{colSpan(3, 5, 0)}, IncompleteLate)
				if _, err := sink.WriteTraces([]*CollectedTrace{ct(2, colSpan(2, 2, 0), colSpan(2, 3, 2), colSpan(2, 4, 3)), late}); err != nil {
					t.Fatal(err)
				}
				var got []string
				if err := sink.WrittenSince(pos, func(s spanjson.Span) {
					tid, sid := s.TraceID(), s.SpanID()
					got = append(got, fmt.Sprintf("%x@%x", sid, tid))
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				var want []string
				for _, k := range [][2]int{{2, 2}, {2, 3}, {2, 4}, {3, 5}} {
					want = append(want, fmt.Sprintf("%x@%x", colSID(k[1]), colTID(k[0])))
				}
				slices.Sort(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("spans read back (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// FuzzSpoolSegment: any bytes in a segment file open without a panic;
// what is kept is exactly the whole records it began with, which replay
// gives back and which encode again to the file as cut.
func FuzzSpoolSegment(f *testing.F) {
	rec := func(format wireFormat, body string) []byte { return spoolRecord(format, []byte(body)) }
	hdr := append([]byte(spoolMagic), 0, 0, 0, 0, 0, 0, 0, 42)
	f.Add(hdr)
	f.Add(append(append(slices.Clone(hdr), rec(wireProto, "abc")...), rec(wireJSON, "{}")...))
	f.Add(append(append(slices.Clone(hdr), rec(wireProto, "abc")...), 0, 0, 0, 9, 1))
	f.Add([]byte("TCSPOOL"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "0000000000000001.spool")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		seg, cut, err := checkSegment(path, 1)
		if err != nil {
			if !errors.Is(err, errNotSpool) && !strings.Contains(err.Error(), "not a tracectl spool segment") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		kept, _ := os.ReadFile(path)
		if seg == nil {
			if _, serr := os.Stat(path); serr == nil {
				t.Fatalf("a segment without records was not removed")
			}
			return
		}
		if int64(len(kept))+cut != int64(len(data)) || !bytes.Equal(kept, data[:len(kept)]) {
			t.Fatalf("kept %d bytes + cut %d != %d, or not a prefix", len(kept), cut, len(data))
		}
		s := &Spool{recovered: []*spoolSeg{seg}, segs: map[uint64]*spoolSeg{1: seg}}
		again := slices.Clone(kept[:spoolHeaderLen])
		if err := s.replay(func(_ uint64, format wireFormat, body []byte) error {
			again = append(again, rec(format, string(body))...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, kept) {
			t.Fatalf("records replayed encode to %d bytes, the segment kept %d", len(again), len(kept))
		}
	})
}
