package render

import (
	"bufio"
	"bytes"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// A big tree's lines are printed in chunks on several goroutines. The walk
// that measures the columns (layTree) records each line it meets; the
// chunks of lines are then made into text at once, each from its records
// (the line's times again with measure, its tree drawing from the lines
// before it in the chunk, and for the first, from its ancestors), and
// written in order. `tracectl show` of a 1,000,000-span trace spent a
// third of its time printing the tree on one goroutine.
//
// Only text without colors and without attributes or events is made so:
// styles and the details of attributes go through code that is not
// known to be safe on several goroutines, and such output is seldom a
// million lines.

// treeChunkLines is the lines of a chunk; treeChunksMin is the least
// spans a trace has for its tree to be printed in chunks. Variables for
// tests.
var (
	treeChunkLines = 8192
	treeChunksMin  = 1 << 15
)

// inChunks reports whether v's tree is printed in chunks (see above).
func (p *Printer) inChunks(v *TraceView, o ShowOptions) bool {
	return len(v.Tree.Spans) >= treeChunksMin && runtime.GOMAXPROCS(0) > 1 &&
		!p.th.color && !o.Attributes && !o.Events
}

// treesInChunks counts the trees printLines printed, for tests.
var treesInChunks atomic.Int64

// printLines prints lay's recorded lines in chunks, in order.
func (p *Printer) printLines(v *TraceView, o ShowOptions, lay *treeLayout, t0, t1 int64) {
	treesInChunks.Add(1)
	chunks := (len(lay.lines) + treeChunkLines - 1) / treeChunkLines
	workers := min(runtime.GOMAXPROCS(0), chunks)
	done := make([]chan *bytes.Buffer, chunks)
	for k := range done {
		done[k] = make(chan *bytes.Buffer, 1)
	}
	// A chunk is taken only with a room token, given back once it is
	// written: at most this many chunks of text are held. The token is
	// taken before the chunk, so the next chunk to write is always being
	// made.
	room := make(chan struct{}, 2*workers)
	pool := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	var next atomic.Int64
	for range workers {
		go func() {
			var sc rowScratch
			cw := *lay.w // the walker's settings; its levels are the chunk's own
			cw.levels, cw.slab = nil, nil
			cp := *p
			bw := bufio.NewWriterSize(nil, 64<<10)
			cp.w = bw
			for {
				room <- struct{}{}
				k := int(next.Add(1) - 1)
				if k >= chunks {
					<-room
					return
				}
				buf := pool.Get().(*bytes.Buffer)
				buf.Reset()
				bw.Reset(buf)
				cp.chunkRows(v, o, lay, &cw, k*treeChunkLines, min((k+1)*treeChunkLines, len(lay.lines)), t0, t1, &sc)
				bw.Flush()
				done[k] <- buf
			}
		}()
	}
	for k := range chunks {
		buf := <-done[k]
		p.w.Write(buf.Bytes())
		pool.Put(buf)
		<-room
	}
}

// chunkRows prints lines [from, to) of lay with the walker w (a copy).
func (p *Printer) chunkRows(v *TraceView, o ShowOptions, lay *treeLayout, w *treeWalker, from, to int, t0, t1 int64, sc *rowScratch) {
	w.levels = w.ancestorLevels(int(lay.lines[from].first), int(lay.lines[from].depth), w.levels[:0])
	var one [1]int
	var prefix []byte
	for i := from; i < to; i++ {
		r := lay.lines[i]
		depth := int(r.depth)
		w.levels = w.levels[:max(depth-1, 0)]
		members := one[:]
		one[0] = int(r.first)
		if r.folded {
			members = lay.groups[int32(i)]
		}
		line := treeLine{members: members, depth: depth, last: r.last, kidsNext: r.kidsNext}
		w.measure(&line)
		prefix = w.appendPrefix(prefix[:0], depth, r.last)
		p.treeRow(v, o, lay, &line, prefix, t0, t1, sc)
		if r.kidsNext && depth > 0 {
			w.levels = append(w.levels, levelGlyph(r.last))
		}
	}
}

// ancestorLevels returns, in dst, the drawing under each ancestor of span i
// at depth 1 to depth-1 (levels as walk has them at i's line): the line on
// to an ancestor's next sibling, or space when it is the last of its
// siblings printed.
func (w *treeWalker) ancestorLevels(i, depth int, dst []string) []string {
	if depth < 2 {
		return dst[:0]
	}
	levels := slices.Grow(dst[:0], depth-1)[:depth-1]
	a := w.v.Tree.Parent[i]
	for k := depth - 1; k >= 1; k-- {
		levels[k-1] = levelGlyph(w.lastVisible(a))
		a = w.v.Tree.Parent[a]
	}
	return levels
}

// lastVisible reports whether span i is the last of its parent's children
// that are printed.
func (w *treeWalker) lastVisible(i int) bool {
	kids := w.v.childrenOf(w.v.Tree.Parent[i])
	for k := len(kids) - 1; k >= 0; k-- {
		if w.hasErr == nil || w.hasErr[kids[k]] {
			return kids[k] == i
		}
	}
	return false
}

// typesWidth is the width of the widest span type among the lines'.
func (v *TraceView) typesWidth(lines []lineRec) int {
	typeOf := v.types()
	seen := make([]bool, len(v.typeNames))
	w := 0
	for _, r := range lines {
		if k := typeOf[r.first]; !seen[k] {
			seen[k] = true
			w = max(w, width(v.typeNames[k]))
		}
	}
	return w
}
