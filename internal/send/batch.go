package send

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// batch is one export request's worth of spans.
type batch struct {
	td    ptrace.Traces
	spans int
}

// batcher packs traces into batches of at most maxSpans spans and about
// maxBytes bytes (protobuf size), keeping a trace in one batch when it
// fits in one: a trace is started in a new batch rather than split, and
// only a trace too big for any batch is split, span by span (OTLP lets a
// trace's spans arrive in several requests). A single span bigger than
// maxBytes goes alone.
type batcher struct {
	maxSpans, maxBytes int
	emit               func(batch)

	cur        ptrace.Traces
	curSpans   int
	curBytes   int
	sizer      ptrace.ProtoMarshaler
	lastSS     ptrace.ScopeSpans // where the last split span went
	lastSource [2]int            // its resource and scope index in the trace being split
	splitting  bool
}

func newBatcher(maxSpans, maxBytes int, emit func(batch)) *batcher {
	return &batcher{maxSpans: maxSpans, maxBytes: maxBytes, emit: emit, cur: ptrace.NewTraces()}
}

// add takes td (it is moved from, not copied).
func (b *batcher) add(td ptrace.Traces) {
	n := td.SpanCount()
	if n == 0 {
		return
	}
	size := b.sizer.TracesSize(td)
	if n <= b.maxSpans && size <= b.maxBytes {
		if b.curSpans+n > b.maxSpans || b.curBytes+size > b.maxBytes {
			b.flush()
		}
		td.ResourceSpans().MoveAndAppendTo(b.cur.ResourceSpans())
		b.curSpans += n
		b.curBytes += size
		b.splitting = false
		if b.curSpans == b.maxSpans {
			b.flush()
		}
		return
	}
	b.split(td)
}

// split adds td span by span, each measured with its resource and scope
// (an overestimate when spans share them, which errs on the small side).
func (b *batcher) split(td ptrace.Traces) {
	b.splitting = false
	rss := td.ResourceSpans()
	for ri := range rss.Len() {
		rs := rss.At(ri)
		sss := rs.ScopeSpans()
		for si := range sss.Len() {
			ss := sss.At(si)
			spans := ss.Spans()
			for k := range spans.Len() {
				one := ptrace.NewTraces()
				ors := one.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(ors.Resource())
				ors.SetSchemaUrl(rs.SchemaUrl())
				oss := ors.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(oss.Scope())
				oss.SetSchemaUrl(ss.SchemaUrl())
				spans.At(k).CopyTo(oss.Spans().AppendEmpty())
				size := b.sizer.TracesSize(one)
				if b.curSpans > 0 && (b.curSpans+1 > b.maxSpans || b.curBytes+size > b.maxBytes) {
					b.flush()
				}
				if b.splitting && b.lastSource == [2]int{ri, si} {
					spans.At(k).MoveTo(b.lastSS.Spans().AppendEmpty())
				} else {
					one.ResourceSpans().MoveAndAppendTo(b.cur.ResourceSpans())
					last := b.cur.ResourceSpans().At(b.cur.ResourceSpans().Len() - 1)
					b.lastSS = last.ScopeSpans().At(0)
					b.lastSource = [2]int{ri, si}
					b.splitting = true
				}
				b.curSpans++
				b.curBytes += size
			}
		}
	}
	b.splitting = false
}

// flush emits the batch being filled, if any.
func (b *batcher) flush() {
	if b.curSpans == 0 {
		return
	}
	b.emit(batch{td: b.cur, spans: b.curSpans})
	b.cur = ptrace.NewTraces()
	b.curSpans, b.curBytes = 0, 0
	b.splitting = false
}
