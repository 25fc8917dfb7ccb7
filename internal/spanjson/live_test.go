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
