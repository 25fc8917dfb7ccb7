package main

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadGCLimits(t *testing.T) {
	type limits struct {
		Limit, Fallback int64
		OK              bool
	}
	tests := []struct {
		total int64
		want  limits
	}{
		{0, limits{64 << 20, 64 << 20, true}},
		// 45% of 100 MB is less than the floor.
		{100_000_000, limits{100_000_000 + 64<<20, 300_000_000 + 64<<20, true}},
		// The generated 1M-span file: 1.45x.
		{600_248_120, limits{870_359_765, 1_800_744_360 + 64<<20, true}},
		{-1, limits{}},
		{math.MaxInt64 / 2, limits{}},
	}
	for _, tt := range tests {
		var got limits
		got.Limit, got.Fallback, got.OK = loadGCLimits(tt.total)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("loadGCLimits(%d) (-want +got):\n%s", tt.total, diff)
		}
	}
}

// collectUntil runs the collector until want calls were seen on calls, or
// fails after a while.
func collectUntil(t *testing.T, calls chan bool, want int) []bool {
	t.Helper()
	var got []bool
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case last := <-calls:
			got = append(got, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// More collections bring no more calls.
	for range 3 {
		runtime.GC()
	}
	select {
	case last := <-calls:
		got = append(got, last)
	case <-time.After(100 * time.Millisecond):
	}
	return got
}

func TestWatchGCs(t *testing.T) {
	calls := make(chan bool, 10)
	watchGCs(3, func(last bool) bool {
		calls <- last
		return false
	})
	if diff := cmp.Diff([]bool{false, false, true}, collectUntil(t, calls, 3)); diff != "" {
		t.Errorf("calls (last flag) after each collection (-want +got):\n%s", diff)
	}

	stopped := make(chan bool, 10)
	watchGCs(3, func(last bool) bool {
		stopped <- last
		return true // stop at once
	})
	if diff := cmp.Diff([]bool{false}, collectUntil(t, stopped, 1)); diff != "" {
		t.Errorf("calls when the first one stops the watch (-want +got):\n%s", diff)
	}
}
