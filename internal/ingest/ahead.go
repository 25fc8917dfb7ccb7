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

// decodedInput is one input decoded ahead: its documents, then the
// decoder's error (nil: the input ended), or the error that kept it from
// being read at all.
type decodedInput struct {
	docs    []*spanjson.Document
	err     error
	openErr error
	done    chan struct{}
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
// inputs ahead of it.
type aheadDecoder struct {
	slots []*decodedInput // by input index: nil for an input read as it comes
	room  chan struct{}   // a token per input decoded and not taken yet
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startDecodingAhead starts decoding the small files among inputs, when
// there are several inputs and several workers.
func startDecodingAhead(ctx context.Context, inputs []Input, opts Options) *aheadDecoder {
	p := &aheadDecoder{}
	if opts.Workers <= 1 || len(inputs) < 2 || !opts.plainDecoder {
		return p
	}
	type job struct {
		in Input
		s  *decodedInput
	}
	var order []job
	p.slots = make([]*decodedInput, len(inputs))
	for i, in := range inputs {
		if in.Path == "" || in.Reader != nil {
			continue
		}
		if size, regular := in.Size(); !regular || size > aheadMax {
			continue
		}
		p.slots[i] = &decodedInput{done: make(chan struct{})}
		order = append(order, job{in, p.slots[i]})
	}
	if len(order) == 0 {
		return p
	}
	p.room = make(chan struct{}, 4*opts.Workers)
	p.stop = make(chan struct{})
	jobs := make(chan job)
	p.wg.Add(1)
	go func() { // hands the inputs out in order, window permitting
		defer p.wg.Done()
		defer close(jobs)
		for _, j := range order {
			select {
			case p.room <- struct{}{}:
			case <-p.stop:
				return
			}
			select {
			case jobs <- j:
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
			for j := range jobs {
				decodeAhead(ctx, j.in, j.s, opts, &blocks)
			}
		}()
	}
	return p
}

// decodeAhead reads in whole as readInput would: opened, sniffed, decoded.
func decodeAhead(ctx context.Context, in Input, s *decodedInput, opts Options, blocks *spanjson.Blocks) {
	defer close(s.done)
	if err := ctx.Err(); err != nil {
		s.openErr = err
		return
	}
	var dec *spanjson.Decoder
	var r io.Reader
	var size int64
	if data, ok := in.readWhole(); ok {
		if compressionOf(data) == Uncompressed {
			dec = opts.decoderBytes(data, in.Name)
		}
		r = bytes.NewReader(data) // compressed: decompressed below
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
	if dec == nil {
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
	<-p.room // the window moves on (the token may be put after this wait starts)
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
