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

// pipeline is the running framer and workers of a decoder with workers.
type pipeline struct {
	order chan chan frameResult // one per document, in input order
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup // the workers
	end   error          // the framer's last result (io.EOF or an error), set before order is closed
}

type frameResult struct {
	doc decodedDoc
	err error
}

type job struct {
	f   *frame
	res chan frameResult
}

// startPipeline runs the framer and the workers. The window (documents cut and
// not yet taken by Next) is twice the workers plus two.
func (d *Decoder) startPipeline() {
	d.pipeMu.Lock()
	defer d.pipeMu.Unlock()
	if d.closed {
		return
	}
	p := &pipeline{order: make(chan chan frameResult, 2*d.workers+2), stop: make(chan struct{}), end: errClosed}
	d.pipe = p
	jobs := make(chan job)
	for range d.workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-p.stop:
					return
				case j, ok := <-jobs:
					if !ok {
						return
					}
					doc, err := j.f.decode()
					j.res <- frameResult{doc, err} // buffered: never blocks
				}
			}
		}()
	}
	// The framer exits after the input's last document or its first
	// error, or at Close (a read it is blocked in returns first).
	go func() {
		defer close(jobs)
		defer close(p.order)
		for {
			f, err := d.frameNext()
			res := make(chan frameResult, 1)
			select {
			case p.order <- res:
			case <-p.stop:
				return
			}
			if err != nil || f.decoded {
				var doc decodedDoc
				if f != nil {
					doc = f.doc
				}
				res <- frameResult{doc, err}
				if err != nil {
					p.end = err // framing it again would give it again
					return
				}
				continue
			}
			select {
			case jobs <- job{f, res}:
			case <-p.stop:
				return
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
	var res chan frameResult
	var ok bool
	select {
	case res, ok = <-p.order:
	case <-p.stop:
		return decodedDoc{}, errClosed
	}
	if !ok {
		return decodedDoc{}, p.end
	}
	select {
	case r := <-res:
		return r.doc, r.err
	case <-p.stop:
		return decodedDoc{}, errClosed
	}
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
