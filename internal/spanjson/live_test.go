package spanjson

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

var testTraceID = TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}

func TestLiveSpanGetters(t *testing.T) {
	start := time.Unix(1735689600, 123456789)
	root := NewLiveSpan(testTraceID, SpanID{1}, SpanID{}, "root", start)
	child := NewLiveSpan(testTraceID, SpanID{2}, SpanID{1}, "child", start)
	if root.TraceID() != "tr-0af7651916cd43dd8448eb211c80319c" || root.SpanID() != "0100000000000000" || root.ParentID() != "" {
		t.Errorf("root ids: %s %s %q", root.TraceID(), root.SpanID(), root.ParentID())
	}
	if child.ParentID() != "0100000000000000" || child.Name() != "child" {
		t.Errorf("child: %q %q", child.ParentID(), child.Name())
	}
	if root.SpanType() != SpanTypeUnknown {
		t.Errorf("default span type = %s", root.SpanType())
	}
	if root.StartTime() != start.UnixNano() {
		t.Errorf("start = %d", root.StartTime())
	}
}

func TestLiveSpanNeverStale(t *testing.T) {
	l := NewLiveSpan(testTraceID, SpanID{1}, SpanID{}, "s", time.Now())
	l.SetInputs(map[string]any{"q": 1})
	if v, _ := l.Inputs(); fmt.Sprint(v) != "map[q:1]" {
		t.Fatalf("inputs = %v", v)
	}
	l.SetInputs("second")
	if v, _ := l.Inputs(); v != "second" {
		t.Fatalf("inputs after set = %v, want the new value", v)
	}
	l.SetSpanType("TOOL")
	if l.SpanType() != "TOOL" {
		t.Fatalf("span type = %s", l.SpanType())
	}
}

func TestLiveSpanRecordExceptionAndEnd(t *testing.T) {
	start := time.Unix(100, 0)
	l := NewLiveSpan(testTraceID, SpanID{1}, SpanID{}, "s", start)
	l.RecordException(fmt.Errorf("wrapped: %w", errors.ErrUnsupported))
	l.RecordException(nil)
	l.EndAt(start.Add(2 * time.Second))
	l.EndAt(start.Add(5 * time.Second)) // a second end keeps the first
	s := l.ToImmutable()
	if s.Status().Code != StatusError {
		t.Errorf("status = %v", s.Status())
	}
	typ, msg, ok := s.Exception()
	if !ok || typ != "*errors.errorString" || msg != "wrapped: unsupported operation" {
		t.Errorf("exception = %q %q %v", typ, msg, ok)
	}
	if s.Duration() != 2*time.Second {
		t.Errorf("duration = %v", s.Duration())
	}
	if len(s.Events()) != 1 {
		t.Errorf("events = %d, want 1 (nil error ignored)", len(s.Events()))
	}
}

func TestLiveSpanToImmutableIsASnapshot(t *testing.T) {
	l := NewLiveSpan(testTraceID, SpanID{1}, SpanID{}, "s", time.Now())
	l.SetAttribute("k", 1)
	snap := l.ToImmutable()
	l.SetAttribute("k", 2)
	l.SetAttribute("new", true)
	if v, _ := snap.Attributes().String("k"); v != "1" {
		t.Errorf("snapshot changed: k = %s", v)
	}
	if snap.Attributes().Len() != 1 {
		t.Errorf("snapshot gained attributes: %d", snap.Attributes().Len())
	}
	back := LiveSpanFrom(snap)
	if v, _ := back.Attribute("k"); fmt.Sprint(v) != "1" || back.SpanID() != l.SpanID() {
		t.Errorf("LiveSpanFrom lost data: %v %s", v, back.SpanID())
	}
}

func TestLiveSpanConcurrentUse(t *testing.T) {
	l := NewLiveSpan(testTraceID, SpanID{1}, SpanID{}, "s", time.Now())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				l.SetAttribute(fmt.Sprintf("k%d", i), j)
				l.Attribute("k0")
				l.AddEvent("e", nil)
				_ = l.ToImmutable()
			}
		})
	}
	wg.Wait()
	if n := l.ToImmutable().Attributes().Len(); n != 8 {
		t.Fatalf("attributes = %d, want 8", n)
	}
}

func TestNoOpSpanIsUsable(t *testing.T) {
	var s ActiveSpan = NoOpSpan{}
	s.SetInputs(1)
	s.SetOutputs(2)
	s.SetAttribute("k", "v")
	s.SetAttributes(map[string]any{"a": 1})
	s.SetSpanType("LLM")
	s.SetStatus(StatusError, "x")
	s.AddEvent("e", nil)
	s.RecordException(errors.New("boom"))
	s.End()
	if s.SpanID() != "" || s.TraceID() != "" || s.ParentID() != "" || s.Name() != "" {
		t.Fatal("NoOpSpan ids are not empty")
	}
}

// sharedSource is a decoded-looking span whose event slice has spare
// capacity, as in a decoder's shared blocks: an append into it would
// overwrite the neighbour.
func sharedSource() (Span, []Event) {
	block := make([]Event, 2, 4)
	block[0] = Event{Name: "first", Time: 1, Attributes: NewAttributes([]Attribute{{Key: "a", Value: `"x"`}})}
	block[1] = Event{Name: "second", Time: 2}
	s := NewSpan(SpanData{
		TraceID:    testTraceID,
		SpanID:     SpanID{7},
		ParentID:   SpanID{1},
		Name:       "decoded",
		StartTime:  10,
		EndTime:    20,
		Status:     Status{Code: StatusOK},
		Attributes: NewAttributes([]Attribute{{Key: AttrSpanType, Value: `"LLM"`}, {Key: "k", Value: "1"}}),
		Events:     block[:1],
	})
	return s, block
}

func TestLiveSpanFromUnmodifiedIsZeroCopy(t *testing.T) {
	s, _ := sharedSource()
	l := LiveSpanFrom(s)
	// Reads see the source's values.
	if v, ok := l.Attribute("k"); !ok || fmt.Sprint(v) != "1" || l.SpanType() != "LLM" || l.EndTime() != 20 || l.Status().Code != StatusOK {
		t.Fatalf("live span reads: k=%v %v type=%s end=%d status=%v", v, ok, l.SpanType(), l.EndTime(), l.Status())
	}
	if l.OTelSpanID() != (SpanID{7}) || l.OTelParentID() != (SpanID{1}) || l.Name() != "decoded" || l.StartTime() != 10 {
		t.Fatalf("identity: %v %v %q %d", l.OTelSpanID(), l.OTelParentID(), l.Name(), l.StartTime())
	}
	// Ending an ended span changes nothing, so it copies nothing either.
	l.EndAt(time.Unix(0, 99))
	got := l.ToImmutable()
	if got.d != s.d {
		t.Errorf("ToImmutable of an unmodified live span made a copy; want the source Span")
	}
}

func TestLiveSpanFromMutationLeavesSourceAlone(t *testing.T) {
	s, block := sharedSource()
	l := LiveSpanFrom(s)
	l.SetAttribute("k", 2)
	l.SetAttribute("new", "v")
	l.SetStatus(StatusError, "boom")
	l.AddEventAt("added", time.Unix(0, 15), map[string]any{"n": 1})

	// The source span is as it was.
	if v, _ := s.Attributes().Raw("k"); v != "1" || s.Attributes().Len() != 2 {
		t.Errorf("source attributes changed: k=%s len=%d", v, s.Attributes().Len())
	}
	if s.Status().Code != StatusOK || len(s.Events()) != 1 {
		t.Errorf("source status/events changed: %v, %d events", s.Status(), len(s.Events()))
	}
	if block[1].Name != "second" {
		t.Errorf("AddEvent wrote into the source's event block: %q", block[1].Name)
	}

	// The live span and its snapshot have the changes.
	snap := l.ToImmutable()
	if snap.d == s.d {
		t.Fatal("ToImmutable of a changed live span returned the source")
	}
	if v, _ := snap.Attributes().Raw("k"); v != "2" || snap.Attributes().Len() != 3 {
		t.Errorf("snapshot attributes: k=%s len=%d", v, snap.Attributes().Len())
	}
	if snap.Status().Code != StatusError || len(snap.Events()) != 2 || snap.Events()[1].Name != "added" {
		t.Errorf("snapshot status/events: %v %v", snap.Status(), snap.Events())
	}
	if snap.SpanID() != s.SpanID() || snap.StartTime() != 10 || snap.EndTime() != 20 {
		t.Errorf("snapshot identity: %v %d %d", snap.SpanID(), snap.StartTime(), snap.EndTime())
	}
	// The copy owns its event attribute lists (no reference into the source).
	if snap.Events()[0].Attributes.s == s.Events()[0].Attributes.s {
		t.Error("the copy shares an event attribute set with the source")
	}
}

func TestLiveSpanFromEndsAnUnendedSource(t *testing.T) {
	src := NewSpan(SpanData{TraceID: testTraceID, SpanID: SpanID{3}, StartTime: 100})
	l := LiveSpanFrom(src)
	l.EndAt(time.Unix(0, 250))
	if got := l.ToImmutable().EndTime(); got != 250 {
		t.Errorf("end = %d, want 250", got)
	}
	if src.EndTime() != 0 {
		t.Errorf("source end changed to %d", src.EndTime())
	}
}

func TestLiveSpanFromConcurrentUse(t *testing.T) {
	s, _ := sharedSource()
	l := LiveSpanFrom(s)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				if i == 0 && j == 25 {
					l.SetStatus(StatusError, "late")
				}
				_ = l.OTelSpanID()
				_ = l.Name()
				l.Status()
				l.Attribute("k")
				snap := l.ToImmutable()
				if snap.SpanID() != (SpanID{7}) || snap.Attributes().Len() < 2 {
					t.Errorf("snapshot: %v, %d attributes", snap.SpanID(), snap.Attributes().Len())
					return
				}
			}
		})
	}
	wg.Go(func() {
		for j := range 20 {
			l.SetAttribute(fmt.Sprintf("c%d", j), j)
		}
	})
	wg.Wait()
	if n := l.ToImmutable().Attributes().Len(); n != 22 {
		t.Errorf("attributes = %d, want 22", n)
	}
	if s.Attributes().Len() != 2 || s.Status().Code != StatusOK {
		t.Errorf("source changed under concurrent use")
	}
}
