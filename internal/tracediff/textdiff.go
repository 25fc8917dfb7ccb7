package tracediff

import (
	"strconv"
	"strings"
)

// Edit is one line of a line diff: Op is ' ' (in both), '-' (the base's
// only) or '+' (the candidate's only).
type Edit struct {
	Op   byte
	Line string
}

// maxLCSCells bounds the table of the longest-common-subsequence diff;
// past it the middle that differs is given as removed then added.
const maxLCSCells = 1 << 20

// LineEdits is a line diff of a and b: the lines of a and b in order, each
// marked kept, removed or added, with as many kept lines as a longest
// common subsequence has (common head and tail first; a middle too big
// for the table is removed and added whole). Keeping the ' ' and '-'
// lines gives a back; keeping ' ' and '+' gives b.
func LineEdits(a, b string) []Edit {
	al, bl := splitLines(a), splitLines(b)
	head := 0
	for head < len(al) && head < len(bl) && al[head] == bl[head] {
		head++
	}
	tail := 0
	for tail < len(al)-head && tail < len(bl)-head && al[len(al)-1-tail] == bl[len(bl)-1-tail] {
		tail++
	}
	var out []Edit
	for _, l := range al[:head] {
		out = append(out, Edit{' ', l})
	}
	am, bm := al[head:len(al)-tail], bl[head:len(bl)-tail]
	if len(am)*len(bm) > maxLCSCells {
		for _, l := range am {
			out = append(out, Edit{'-', l})
		}
		for _, l := range bm {
			out = append(out, Edit{'+', l})
		}
	} else {
		out = append(out, lcsEdits(am, bm)...)
	}
	for _, l := range al[len(al)-tail:] {
		out = append(out, Edit{' ', l})
	}
	return out
}

// lcsEdits diffs a and b through the table of their longest common
// subsequence's lengths (suffix form, so the walk goes forward).
func lcsEdits(a, b []string) []Edit {
	n, m := len(a), len(b)
	w := m + 1
	t := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			} else {
				t[i*w+j] = max(t[(i+1)*w+j], t[i*w+j+1])
			}
		}
	}
	out := make([]Edit, 0, n+m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, Edit{' ', a[i]})
			i++
			j++
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			out = append(out, Edit{'-', a[i]})
			i++
		default:
			out = append(out, Edit{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, Edit{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, Edit{'+', b[j]})
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// shortDiff is the short text diff of a changed input or output: the
// removed and added lines ("- …", "+ …"), each clipped to lineRunes
// characters, at most maxLines of them and then how many more; nil when a
// and b are equal.
func shortDiff(a, b string, maxLines, lineRunes int) []string {
	if a == b {
		return nil
	}
	var out []string
	more := 0
	for _, e := range LineEdits(a, b) {
		if e.Op == ' ' {
			continue
		}
		if len(out) == maxLines {
			more++
			continue
		}
		out = append(out, string(e.Op)+" "+clipRunes(strings.TrimSpace(e.Line), lineRunes))
	}
	if more > 0 {
		out = append(out, "… "+strconv.Itoa(more)+" more changed "+plural(more, "line", "lines"))
	}
	if len(out) == 0 { // only trailing newlines differ
		out = append(out, "~ whitespace only")
	}
	return out
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
