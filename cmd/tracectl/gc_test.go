package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/ingest"
)

func TestLoadGCLimit(t *testing.T) {
	type limit struct {
		Limit int64
		OK    bool
	}
	tests := []struct {
		total int64
		want  limit
	}{
		{0, limit{64 << 20, true}},
		// 45% of 100 MB is less than the floor.
		{100_000_000, limit{100_000_000 + 64<<20, true}},
		// The generated 1M-span file: 1.45x.
		{600_248_120, limit{870_359_765, true}},
		{-1, limit{}},
		{math.MaxInt64 / 2, limit{}},
	}
	for _, tt := range tests {
		var got limit
		got.Limit, got.OK = loadGCLimit(tt.total)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("loadGCLimit(%d) (-want +got):\n%s", tt.total, diff)
		}
	}
}

func TestLoadLimit(t *testing.T) {
	for _, tt := range []struct {
		base int64
		live uint64
		want int64
	}{
		{870 << 20, 0, 870 << 20},
		// The 1M-span MLflow trace: collections near the end find its
		// model (about 750 MB) well under the limit, which stays.
		{870 << 20, 770 << 20, 870 << 20},
		// Within a tenth of the limit: the next collection would follow
		// at once. 1.5x what is alive.
		{1000 << 20, 950 << 20, 1425 << 20},
		{870 << 20, 2000 << 20, 3000 << 20},
		{1, math.MaxUint64, math.MaxInt64/4 + math.MaxInt64/4/2},
	} {
		if got := loadLimit(tt.base, tt.live); got != tt.want {
			t.Errorf("loadLimit(%d, %d) = %d, want %d", tt.base, tt.live, got, tt.want)
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

func TestStreamLimit(t *testing.T) {
	for _, tt := range []struct {
		live uint64
		want int64
	}{
		{0, streamHeapFloor},
		{10 << 20, streamHeapFloor},
		{streamHeapFloor / 2, streamHeapFloor},
		{100 << 20, 200 << 20},
		{math.MaxUint64, math.MaxInt64 / 4 * 2},
	} {
		if got := streamLimit(tt.live); got != tt.want {
			t.Errorf("streamLimit(%d) = %d, want %d", tt.live, got, tt.want)
		}
	}
}

// gcSettings reads the percentage and the memory limit.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestTuneGCForStream(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer func(was bool) { batchGC = was }(batchGC)
	batchGC = true
	wantPercent, wantLimit := gcSettings()

	tuneGCForStream()
	if p, l := gcSettings(); p != -1 || l != streamHeapFloor {
		t.Fatalf("streaming: percent %d, limit %d; want -1 and %d", p, l, streamHeapFloor)
	}
	// A large trace alive: after a collection the limit follows it.
	alive := make([]byte, 3*streamHeapFloor/4)
	for i := range alive {
		alive[i] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		if _, l := gcSettings(); l >= 2*int64(len(alive)) {
			break
		}
		if time.Now().After(deadline) {
			_, l := gcSettings()
			t.Fatalf("with %d bytes alive the limit stayed %d", len(alive), l)
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(alive)

	restoreGC()
	if p, l := gcSettings(); p != wantPercent || l != wantLimit {
		t.Errorf("restored: percent %d, limit %d; want %d and %d", p, l, wantPercent, wantLimit)
	}
	// The watch has stopped: collections no longer set the limit.
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if _, l := gcSettings(); l != wantLimit {
		t.Errorf("after the restore a collection set the limit to %d", l)
	}
}

func TestTuneGCForStreamLeavesTheUsersSettings(t *testing.T) {
	t.Setenv("GOGC", "50")
	defer func(was bool) { batchGC = was }(batchGC)
	batchGC = true
	wantPercent, wantLimit := gcSettings()
	tuneGCForStream()
	defer restoreGC()
	if p, l := gcSettings(); p != wantPercent || l != wantLimit {
		t.Errorf("GOGC set: percent %d, limit %d; want them unchanged (%d, %d)", p, l, wantPercent, wantLimit)
	}
}

// hugeHeap leaves the block it advised given back to the kernel: kept as
// free heap, it counted against a regime's memory limit, and the collector
// ran back to back until the scavenger had returned it (`status` 2.2 to
// 2.6 s instead of 1.2 s, at 236 MB).
func TestHugeHeapGivesItsBlockBack(t *testing.T) {
	const n = 256 << 20
	undo := hugeHeap(n)
	defer undo()
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	if free := s[0].Value.Uint64(); free > n/4 {
		t.Errorf("%d MB of free heap kept after hugeHeap of %d MB", free>>20, n>>20)
	}
	small := hugeHeap(hugeHeapMin - 1) // too small to be worth it: nothing
	small()
}

// TestLoadOnHugePagesOnlyForABigInput: many small inputs, however many
// bytes in all, get no huge-page heap; one input of hugeHeapMin does.
func TestLoadOnHugePagesOnlyForABigInput(t *testing.T) {
	dir := t.TempDir()
	sized := func(name string, size int64) ingest.Input {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
		return ingest.Input{Name: path, Path: path}
	}
	var small []ingest.Input
	for k := range 40 {
		small = append(small, sized(fmt.Sprintf("s%d.json", k), 8<<20)) // 320 MB in all
	}
	if loadOnHugePages(small) {
		t.Errorf("40 inputs of 8 MB: a huge-page heap")
	}
	if !loadOnHugePages(append(small, sized("big.json", hugeHeapMin))) {
		t.Errorf("an input of %d MB: no huge-page heap", hugeHeapMin>>20)
	}
}
