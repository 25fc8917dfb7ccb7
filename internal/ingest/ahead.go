package ingest

import (
	"bytes"
	"context"
	"io"
	"sync"

	"tracectl/internal/spanjson"
)

// Many small inputs (an export directory of one file per trace) are
// decoded ahead, several at once: one worker per Options.Workers decodes a
// whole file into its documents while the assembler takes the inputs
// before it, in input order, exactly as it would take them read one at a
// time (the same documents, then the same error). Big files and streams
// are read as they come (their documents are decoded on workers by the
// Decoder itself).

// aheadMax is the size up to which a file is decoded ahead.
const aheadMax = 1 << 20

// Files decoded ahead go to the workers in batches of consecutive files,
// up to aheadBatchBytes of them or aheadBatchFiles, and the assembler
// waits for a batch, not for each file. One file at a time, each of the
// 20,000 files of an export directory was three goroutine hand-offs:
// `status` over it made about 2,800 nanosleep calls and 3,500 context
// switches, in batches 700-1,000 and 1,700-2,200 (1.70-1.77 s -> 1.41-1.62 s).
const (
	aheadBatchBytes = 256 << 10
	aheadBatchFiles = 64
)

// decodedInput is one input decoded ahead: its documents, then the
// decoder's error (nil: the input ended), or the error that kept it from
// being read at all.
type decodedInput struct {
	docs    []*spanjson.Document
	err     error
	openErr error
	done    chan struct{} // its batch's: closed when every input of the batch is decoded
	last    bool          // the last input of its batch
}

// sliceDecoder hands on the documents of an input decoded ahead.
type sliceDecoder struct {
	docs []*spanjson.Document
	err  error
}

func (d *sliceDecoder) Next() (*spanjson.Document, error) {
	if len(d.docs) > 0 {
		doc := d.docs[0]
		d.docs[0] = nil
		d.docs = d.docs[1:]
		return doc, nil
	}
	if d.err != nil {
		return nil, d.err
	}
	return nil, io.EOF
}

// aheadDecoder decodes small files ahead of the assembler, at most window
// batches ahead of it.
type aheadDecoder struct {
	slots []*decodedInput // by input index: nil for an input read as it comes
	room  chan struct{}   // a token per batch decoded and not all taken yet
	stop  chan struct{}
	wg    sync.WaitGroup
}

// aheadBatch is a batch of inputs to decode ahead: order[lo:hi] are their
// indices.
type aheadBatch struct{ lo, hi int }

// startDecodingAhead starts decoding the small files among inputs, when
// there are several inputs and several workers.
//
// What it keeps for the whole read is a few objects, not a few per input:
// an export directory of 20,000 files kept 5 MB of small objects alive
// (a job, a copy of its Input and a result each), which every collection
// marked again.
func startDecodingAhead(ctx context.Context, inputs []Input, opts Options) *aheadDecoder {
	p := &aheadDecoder{}
	if opts.Workers <= 1 || len(inputs) < 2 || !opts.plainDecoder {
		return p
	}
	var order []int // the inputs decoded ahead
	var batches []aheadBatch
	var batchSize int64
	lo := 0
	for i, in := range inputs {
		if in.Path == "" || in.Reader != nil {
			continue
		}
		size, regular := in.Size()
		if !regular || size > aheadMax {
			continue
		}
		if n := len(order) - lo; n > 0 && (batchSize+size > aheadBatchBytes || n == aheadBatchFiles) {
			batches = append(batches, aheadBatch{lo, len(order)})
			lo, batchSize = len(order), 0
		}
		order = append(order, i)
		batchSize += size
	}
	if len(order) == 0 {
		return p
	}
	batches = append(batches, aheadBatch{lo, len(order)})
	results := make([]decodedInput, len(order))
	p.slots = make([]*decodedInput, len(inputs))
	for _, b := range batches {
		done := make(chan struct{})
		for k := b.lo; k < b.hi; k++ {
			results[k].done = done
			p.slots[order[k]] = &results[k]
		}
		results[b.hi-1].last = true
	}
	p.room = make(chan struct{}, 4*opts.Workers)
	p.stop = make(chan struct{})
	jobs := make(chan aheadBatch)
	p.wg.Add(1)
	go func() { // hands the batches out in order, window permitting
		defer p.wg.Done()
		defer close(jobs)
		for _, b := range batches {
			select {
			case p.room <- struct{}{}:
			case <-p.stop:
				return
			}
			select {
			case jobs <- b:
			case <-p.stop:
				return
			}
		}
	}()
	for range opts.Workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var blocks spanjson.Blocks // this worker's, filled by its files in turn
			for b := range jobs {
				for k := b.lo; k < b.hi; k++ {
					decodeAhead(ctx, inputs[order[k]], &results[k], opts, &blocks)
				}
				close(results[b.lo].done)
			}
		}()
	}
	return p
}

// decodeAhead reads in whole as readInput would: opened, sniffed, decoded.
// Its batch's done is closed by the worker after the batch's last input.
func decodeAhead(ctx context.Context, in Input, s *decodedInput, opts Options, blocks *spanjson.Blocks) {
	if err := ctx.Err(); err != nil {
		s.openErr = err
		return
	}
	var dec *spanjson.Decoder
	data, whole := in.readWhole()
	if whole && compressionOf(data) == Uncompressed {
		dec = opts.decoderBytes(data, in.Name)
	} else {
		var r io.Reader
		var size int64
		if whole {
			r = bytes.NewReader(data) // compressed: decompressed by sniff
		} else {
			rc, err := in.Open()
			if err != nil {
				s.openErr = err
				return
			}
			defer rc.Close()
			size, _ = in.Size()
			r = &ctxReader{ctx: ctx, r: rc}
		}
		r, err := sniff(r, in.Name, size)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			s.openErr = err
			return
		}
		dec = opts.decoder(r, in.Name)
	}
	dec.SetSmall() // at most aheadMax: read whole, its documents decoded without the framer's scan
	dec.ShareBlocks(blocks)
	for {
		doc, err := dec.Next()
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			return
		}
		s.docs = append(s.docs, doc)
	}
}

// take returns input i decoded ahead (wait on its done), or nil when it
// is read as it comes.
func (p *aheadDecoder) take(i int) *decodedInput {
	if p.slots == nil || p.slots[i] == nil {
		return nil
	}
	s := p.slots[i]
	p.slots[i] = nil
	if s.last {
		<-p.room // the window moves on (the token may be put after this wait starts)
	}
	return s
}

// close stops decoding ahead and waits for the workers.
func (p *aheadDecoder) close() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
}
