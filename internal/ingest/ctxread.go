package ingest

import (
	"context"
	"io"
)

// ctxReader stops reading a file once ctx is done (Ctrl-C), so a long
// document does not delay the cleanup of partial output.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxStreamReader reads a stream in a goroutine so that Ctrl-C ends a read
// that waits for a slow producer; the blocked read is abandoned with the
// process.
type ctxStreamReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
	res chan readResult
}

type readResult struct {
	n   int
	err error
}

func (s *ctxStreamReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.res == nil {
		s.res = make(chan readResult, 1)
	}
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	buf := s.buf[:len(p)]
	go func() {
		n, err := s.r.Read(buf)
		s.res <- readResult{n, err}
	}()
	select {
	case r := <-s.res:
		return copy(p, buf[:r.n]), r.err
	case <-s.ctx.Done():
		s.buf = nil // the abandoned read still owns buf
		return 0, s.ctx.Err()
	}
}
