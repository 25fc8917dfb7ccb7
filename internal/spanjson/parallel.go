package spanjson

import (
	"errors"
	"sync"
)

// Decoding on several cores. The framer (frameNext) cuts documents out of
// the input on one goroutine; workers decode them (frame.decode); Next
// hands them on in input order. Only the decoding moves: the framing, its
// read sizes and the bytes each document is decoded from are those of a
// decoder without workers, so the documents, warnings and errors are the
// same, byte for byte.

// errClosed is what Next returns after Close.
var errClosed = errors.New("decoder closed")

// SetWorkers makes the decoder decode up to n documents at once on n
// goroutines, reading ahead of Next by a few documents (their bytes and
// models are what it holds beyond one document). n <= 1 decodes on the
// caller's goroutine. Call it before the first Next; with n > 1, call
// Close when done.
func (d *Decoder) SetWorkers(n int) { d.workers = n }

// SetLazyAttributes keeps the attribute maps of MLflow spans as their text
// until they are first read, when they are unescaped into the list. What
// the model holds is the same either way; a reader that reads every
// attribute (show, convert) does that work on its own goroutine rather
// than on the decoder's workers, and keeps the text too. Set it for
// readers that seldom read attributes. Call it before the first Next.
func (d *Decoder) SetLazyAttributes() { d.carry.untilRead.maps = true }

// SetLazyValues keeps an MLflow span's inputs and outputs (most of its
// text) as views of the JSON strings they were written as, escapes and
// all, where the text read is never written over (a mapped file, a small
// file read whole): they are unescaped when read (Attributes.At; KeyAt
// reads a key alone). The model is the same; a reader that reads a few
// other attributes of each span (the tree of show, check) neither copies
// nor unescapes them. With SetLazyAttributes, that wins. Call it before
// the first Next.
func (d *Decoder) SetLazyValues() { d.carry.untilRead.values = true }

// pipeline is the running framer and workers of a decoder with workers.
type pipeline struct {
	order chan *slot // one per frame, in input order
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup // the workers
	end   error          // the framer's last result (io.EOF or an error), set before order is closed
	// halt stops the framer for the switch from blocks to documents
	// (toDocuments); framerDone is closed when it has returned, and unsent
	// is the frame it had cut and not yet put in order.
	halt       chan struct{}
	framerDone chan struct{}
	unsent     *slot
}

// slot is one frame in input order and where its result comes.
type slot struct {
	f   *frame
	res chan frameResult
}

type frameResult struct {
	doc decodedDoc
	err error
	// A block's documents (see frameBlock), and where it stopped short:
	// the document at resume (an offset in the frame's buf) is the
	// first one a block did not take.
	docs   []decodedDoc
	resume *resumePoint
}

// resumePoint is where decoding goes on by documents: an offset in a
// frame's buf and its line and column.
type resumePoint struct{ at, line, col int }

// startPipeline runs the framer and the workers. The window (documents cut and
// not yet taken by Next) is twice the workers plus two.
func (d *Decoder) startPipeline() {
	d.pipeMu.Lock()
	defer d.pipeMu.Unlock()
	if d.closed {
		return
	}
	p := &pipeline{order: make(chan *slot, 2*d.workers+2), stop: make(chan struct{}), end: errClosed,
		halt: make(chan struct{}), framerDone: make(chan struct{})}
	d.pipe = p
	jobs := make(chan *slot)  // the frames to decode, each with where its result goes
	keep := d.carry.untilRead // read here: the framer goes on with d.carry
	for range d.workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			carry := slabs{untilRead: keep} // this worker's blocks, filled by its documents in turn
			for {
				select {
				case <-p.stop:
					return
				case j, ok := <-jobs:
					if !ok {
						return
					}
					if j.f.block {
						j.res <- j.f.decodeBlock(&carry) // buffered: never blocks
						continue
					}
					doc, err := j.f.decode(&carry)
					j.res <- frameResult{doc: doc, err: err}
				}
			}
		}()
	}
	// The framer exits after the input's last document or its first
	// error, or at Close (a read it is blocked in returns first).
	go func() {
		defer close(p.framerDone)
		defer close(jobs)
		defer close(p.order)
		for {
			var f *frame
			var err error
			if d.byBlocks() {
				f, err = d.frameBlock()
			} else {
				f, err = d.frameNext()
			}
			s := &slot{f: f, res: make(chan frameResult, 1)}
			select {
			case p.order <- s:
			case <-p.stop:
				return
			case <-p.halt:
				p.unsent = s
				return
			}
			if err != nil || f.decoded || f.toDocuments {
				var doc decodedDoc
				if f != nil {
					doc = f.doc
				}
				s.res <- frameResult{doc: doc, err: err}
				if err != nil {
					p.end = err // framing it again would give it again
					return
				}
				if f.toDocuments {
					return
				}
				continue
			}
			select {
			case jobs <- s:
			case <-p.stop:
				return
			case <-p.halt:
				return // s is in order: toDocuments takes its bytes from there
			}
		}
	}()
}

// nextParallel is nextDoc with workers: the next document in input order.
func (d *Decoder) nextParallel() (decodedDoc, error) {
	d.pipeMu.Lock()
	p, closed := d.pipe, d.closed
	d.pipeMu.Unlock()
	if closed {
		return decodedDoc{}, errClosed
	}
	if p == nil {
		d.startPipeline()
		d.pipeMu.Lock()
		p = d.pipe
		d.pipeMu.Unlock()
		if p == nil {
			return decodedDoc{}, errClosed
		}
	}
	for {
		if doc, ok := d.popQueue(); ok {
			return doc, nil
		}
		if d.switchAt != nil {
			d.toDocuments(p)
			return d.nextParallel()
		}
		var s *slot
		var ok bool
		select {
		case s, ok = <-p.order:
		case <-p.stop:
			return decodedDoc{}, errClosed
		}
		if !ok {
			return decodedDoc{}, p.end
		}
		var r frameResult
		select {
		case r = <-s.res:
		case <-p.stop:
			return decodedDoc{}, errClosed
		}
		switch {
		case s.f != nil && s.f.toDocuments:
			d.switchAt = s
		case s.f != nil && s.f.block:
			d.queue = r.docs
			if r.resume != nil {
				d.switchAt, d.resume = s, *r.resume
			}
		default:
			return r.doc, r.err
		}
	}
}

// toDocuments ends the framing by blocks: a block stopped short (its
// document at d.resume is one the framer by documents must cut, to give the
// same document or error as one worker would), or the framer found a line
// too long for a block. The framer is halted; what it had cut after
// d.switchAt is put back in front of what it had not read, and a new
// pipeline frames documents from there on.
func (d *Decoder) toDocuments(p *pipeline) {
	close(p.halt)
	<-p.framerDone // the framer's fields of d are the caller's from here on
	var rest []byte
	line, col := d.line, d.col
	if f := d.switchAt.f; f.block {
		rest = append(rest, f.buf[d.resume.at:f.end]...)
		line, col = d.resume.line, d.resume.col
	}
	later := func(s *slot) {
		if s != nil && s.f != nil && s.f.block {
			rest = append(rest, s.f.buf[s.f.at:s.f.end]...)
		}
	}
	for s := range p.order {
		later(s)
	}
	later(p.unsent)
	rest = append(rest, d.buf[d.start:d.n]...)
	d.buf, d.start, d.n, d.lent = rest, 0, len(rest), false
	d.line, d.col = line, col
	d.switchAt, d.noBlocks = nil, true
	p.once.Do(func() { close(p.stop) })
	d.pipeMu.Lock()
	if d.pipe == p {
		d.pipe = nil
	}
	d.pipeMu.Unlock()
}

// Close stops the workers of a decoder with workers and waits for them;
// the framer stops at its next document (after a read it may be blocked
// in). Next returns an error after Close. Close may be called more than
// once, also while Next waits.
func (d *Decoder) Close() {
	d.pipeMu.Lock()
	d.closed = true
	p := d.pipe
	d.pipeMu.Unlock()
	if p != nil {
		p.once.Do(func() { close(p.stop) })
		p.wg.Wait()
	}
}
