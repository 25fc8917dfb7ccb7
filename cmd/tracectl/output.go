package main

import (
	"bufio"

	"tracectl/internal/render"
)

// jsonStream writes a read command's -o json or -o jsonl output as the
// traces come: what a trace wrote reaches the output stream when endTrace
// is called, so the reader at the other end of a pipe gets each trace as
// soon as it is complete. The bytes are those of writeJSONEach over the
// same values (a test compares them).
type jsonStream struct {
	bw *bufio.Writer
	jw *render.JSONWriter
}

func newJSONStream(streams *render.IOStreams, output string) *jsonStream {
	bw := bufio.NewWriterSize(streams.Out, 64<<10)
	return &jsonStream{bw: bw, jw: render.NewJSONWriter(bw, output == outputJSONL)}
}

// write adds one value.
func (s *jsonStream) write(v any) error { return s.jw.Write(v) }

// endTrace sends on what the current trace wrote.
func (s *jsonStream) endTrace() error { return s.bw.Flush() }

// close ends the output (the array's "]" for -o json) and sends it on.
func (s *jsonStream) close() error {
	if err := s.jw.Close(); err != nil {
		return err
	}
	return s.bw.Flush()
}
