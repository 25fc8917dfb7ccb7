package spanjson

import (
	"io"
	"sync"
)

// streamChunk is how much written JSON WriteTrace holds before handing it
// to its writer, at the next span boundary.
const streamChunk = 256 << 10

// streamOut passes a writer's buffer on to w between spans, so a trace of
// any size is never held whole as JSON. The zero value keeps everything in
// the buffer (AppendTrace). The first write error is kept and stops output.
type streamOut struct {
	w   io.Writer
	err *error
}

// flush hands b to the writer once it holds streamChunk bytes and returns
// the buffer to continue with.
func (o streamOut) flush(b []byte) []byte {
	if o.w == nil || len(b) < streamChunk {
		return b
	}
	if *o.err == nil {
		_, *o.err = o.w.Write(b)
	}
	return b[:0]
}

// writeBufs holds WriteTrace's buffers: a fresh one per trace was 10 GB
// of allocation, a fifth of the CPU time, converting a dump of 20,000
// small traces. w.Write never keeps them (io.Writer's contract).
var writeBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 2*streamChunk)
	return &b
}}

// WriteTrace writes t to w in schema exactly as AppendTrace would append it
// (one line of canonical compact JSON, no trailing newline), handing the
// JSON to w in pieces of about 256 KB between spans, so memory does not grow
// with the trace's written size. It reports what the schema could not carry.
func WriteTrace(w io.Writer, schema Schema, t *Trace) ([]Loss, error) {
	var werr error
	out := streamOut{w: w, err: &werr}
	pooled := writeBufs.Get().(*[]byte)
	buf := (*pooled)[:0]
	defer func() {
		if cap(buf) <= 4*streamChunk { // a trace with a huge span does not pin its buffer
			*pooled = buf[:0]
			writeBufs.Put(pooled)
		}
	}()
	var losses []Loss
	var err error
	switch schema {
	case SchemaMLflowV2, SchemaMLflowV3:
		mw := mlflowWriter{schema: schema, b: buf, out: out}
		if schema == SchemaMLflowV2 {
			mw.traceV2(t)
		} else {
			mw.traceV3(t)
		}
		buf, losses = mw.b, mw.loss.list()
	case SchemaOTLP:
		buf, losses, err = appendOTLPTo(buf, out, t)
	default:
		_, losses, err = AppendTrace(nil, schema, t) // the error naming the schemas
	}
	if err != nil {
		return losses, err
	}
	if werr == nil {
		_, werr = w.Write(buf)
	}
	return losses, werr
}
