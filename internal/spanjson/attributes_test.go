package spanjson

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		raw  string
		want any
	}{
		{`"CHAT_MODEL"`, "CHAT_MODEL"},
		{`"say \"hi\""`, `say "hi"`},
		{`{"a": [1, 2.5]}`, map[string]any{"a": []any{json.Number("1"), json.Number("2.5")}}},
		{`1764694340818061307`, json.Number("1764694340818061307")}, // no float64 rounding
		{`false`, false},
		{`null`, nil},
		{`CHAT_MODEL`, "CHAT_MODEL"}, // third-party plain string: kept raw
		{`1 2`, "1 2"},               // two values are not one JSON value
		{`{"a":`, `{"a":`},
		{``, ``},
		{` "x" `, "x"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, DecodeValue(tt.raw)); diff != "" {
			t.Errorf("DecodeValue(%q) mismatch (-want +got):\n%s", tt.raw, diff)
		}
	}
}

func TestEncodeValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"AGENT", `"AGENT"`},
		{map[string]any{"q": "<b>"}, `{"q":"<b>"}`}, // no HTML escaping
		{[]int{1, 2}, `[1,2]`},
		{nil, `null`},
		{func() {}, `"json: unsupported type: func()"`},
	}
	for _, tt := range tests {
		if got := EncodeValue(tt.in); got != tt.want {
			t.Errorf("EncodeValue(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAttributesLookup(t *testing.T) {
	a := NewAttributes([]Attribute{
		{Key: AttrSpanType, Value: `"RETRIEVER"`},
		{Key: "temperature", Value: `0.5`},
		{Key: "plain", Value: `not json`},
	})
	if a.Len() != 3 {
		t.Fatalf("Len = %d", a.Len())
	}
	if s, ok := a.String(AttrSpanType); !ok || s != "RETRIEVER" {
		t.Errorf("String(spanType) = %q, %v", s, ok)
	}
	if s, ok := a.String("temperature"); !ok || s != "0.5" {
		t.Errorf("String(temperature) = %q, %v", s, ok)
	}
	if v, _ := a.Get("plain"); v != "not json" {
		t.Errorf("Get(plain) = %v", v)
	}
	if _, ok := a.Get("absent"); ok {
		t.Error("Get(absent) found something")
	}
	var empty Attributes
	if _, ok := empty.Get("x"); ok || empty.Len() != 0 {
		t.Error("zero Attributes is not empty")
	}
	var keys []string
	for at := range a.All() {
		keys = append(keys, at.Key)
	}
	if diff := cmp.Diff([]string{AttrSpanType, "temperature", "plain"}, keys); diff != "" {
		t.Errorf("All order (-want +got):\n%s", diff)
	}
}

func TestAttributesConcurrentReadersDecodeOnce(t *testing.T) {
	a := NewAttributes([]Attribute{{Key: AttrInputs, Value: `{"q": "hi"}`}})
	first, _ := a.Get(AttrInputs)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				v, _ := a.Get(AttrInputs)
				// The same decoded map every time: decoded once, then cached.
				if m := v.(map[string]any); m["q"] != "hi" {
					t.Errorf("decoded %v", m)
				}
			}
		})
	}
	wg.Wait()
	again, _ := a.Get(AttrInputs)
	// The very same map: decoded once and cached, not decoded again.
	if reflect.ValueOf(first).Pointer() != reflect.ValueOf(again).Pointer() {
		t.Fatal("Get decoded the value again instead of using the cache")
	}
}

func TestAttributesRepeatedGetDoesNotAllocate(t *testing.T) {
	a := NewAttributes([]Attribute{{Key: AttrInputs, Value: `{"messages": [{"role": "user"}]}`}})
	a.Get(AttrInputs)
	if n := testing.AllocsPerRun(100, func() { a.Get(AttrInputs) }); n != 0 {
		t.Fatalf("repeated Get allocates %v times", n)
	}
}

func BenchmarkAttributesRepeatedGet(b *testing.B) {
	a := NewAttributes([]Attribute{
		{Key: AttrSpanType, Value: `"CHAT_MODEL"`},
		{Key: AttrInputs, Value: `{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}`},
	})
	b.ReportAllocs()
	for b.Loop() {
		a.Get(AttrInputs)
	}
}
