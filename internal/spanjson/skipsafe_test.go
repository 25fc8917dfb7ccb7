package spanjson

import (
	"bytes"
	"testing"
)

// skipSafe finds the first byte that ends or escapes a string, or is a
// control character, wherever it sits in a word of eight and whatever
// comes after it.
func TestSkipSafe(t *testing.T) {
	want := func(b []byte, i int) int {
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		return i
	}
	stops := []byte{'"', '\\', 0x00, 0x1f, '\n'}
	fills := []byte{'a', 0x80, 0xff, 0xa2, 0xdc, 0x20, 0x21, 0x5b}
	for n := 0; n <= 20; n++ {
		for _, fill := range fills {
			for at := 0; at <= n; at++ {
				for _, stop := range stops {
					b := bytes.Repeat([]byte{fill}, n)
					if at < n {
						b[at] = stop
						for k := at + 1; k < n; k++ {
							b[k] = stops[k%len(stops)] // more matches above the first
						}
					}
					for from := 0; from <= min(at, 3); from++ {
						if got, w := skipSafe(b, from), want(b, from); got != w {
							t.Fatalf("skipSafe(%q, %d) = %d, want %d", b, from, got, w)
						}
					}
				}
			}
		}
	}
}
