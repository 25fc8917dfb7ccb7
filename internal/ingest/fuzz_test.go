package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadSplitEqualsWhole: data read as one input and cut into two inputs
// at a line end near cut make the same traces, in the same order, when both
// reads succeed. A cut inside a pretty-printed document leaves two halves
// that do not decode, so only cuts between documents get compared.
func FuzzReadSplitEqualsWhole(f *testing.F) {
	var all []string
	for _, path := range goodFixtures {
		text := readFixture(f, path)
		all = append(all, text)
		f.Add([]byte(text), uint16(0))
		f.Add([]byte(text), uint16(len(text)/2))
	}
	joined := strings.Join(all, "")
	for _, cut := range []int{0, 1500, 4000, len(joined) / 2, len(joined) - 500} {
		f.Add([]byte(joined), uint16(cut))
	}
	for seed := range uint64(3) {
		mix := strings.Join(genMix(f, seed), "")
		f.Add([]byte(mix), uint16(len(mix)/3))
	}
	f.Add([]byte(otlpLine(tspan{trace: 1, id: 1, name: "a", start: 10, end: 40})+
		otlpLine(tspan{trace: 2, id: 2, name: "b", start: 10, end: 40})+
		otlpLine(tspan{trace: 1, id: 3, parent: 1, name: "a2", start: 11, end: 30})), uint16(5))

	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		if len(data) == 0 || len(data) > 1<<16 {
			t.Skip()
		}
		from := int(cut) % len(data)
		nl := bytes.IndexByte(data[from:], '\n')
		if nl < 0 {
			t.Skip()
		}
		at := from + nl + 1
		whole := readAll(t, []Input{fileInput("whole.json", string(data))}, Options{}, false)
		split := readAll(t, []Input{
			fileInput("first.json", string(data[:at])),
			fileInput("second.json", string(data[at:])),
		}, Options{}, false)
		if whole.err != nil || split.err != nil {
			return
		}
		var w, s []string
		for _, tr := range whole.traces {
			w = append(w, render(tr))
		}
		for _, tr := range split.traces {
			s = append(s, render(tr))
		}
		if diff := cmp.Diff(w, s); diff != "" {
			t.Errorf("cut after byte %d: split vs whole (-whole +split):\n%s", at, diff)
		}
	})
}
