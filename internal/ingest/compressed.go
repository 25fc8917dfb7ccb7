package ingest

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how an input is compressed, found from its first bytes
// (never from its name: stdin has none, and names lie).
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
	// Bzip2 and Zip are recognised to say so, not read.
	Bzip2
	Zip
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Bzip2:
		return "bzip2"
	case Zip:
		return "zip"
	}
	return "uncompressed"
}

// compressionOf names the compression of an input that starts with magic.
// JSON text starts with whitespace, '{' or '[', none of which begins these.
func compressionOf(magic []byte) Compression {
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return Gzip
	case len(magic) >= 4 && string(magic[:4]) == "\x28\xb5\x2f\xfd":
		return Zstd
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		return Bzip2
	case len(magic) >= 4 && string(magic[:4]) == "PK\x03\x04":
		return Zip
	}
	return Uncompressed
}

// zstdMaxWindow bounds the memory a zstd frame may ask for (its window),
// so a hostile header cannot make the reader allocate gigabytes; zstd -19
// and --long=27 stay under it.
const zstdMaxWindow = 1 << 28

// decompress returns the decompressed text of src, compressed as c. Errors
// of the compressed data (truncated, corrupt, bad checksum) come out of
// Read as *CompressedError naming the input; errors of src itself (a
// cancelled read) come out as they are.
func decompress(src io.Reader, c Compression, name string) (io.Reader, error) {
	rec := &errRecorder{r: src}
	var (
		r   io.Reader
		err error
	)
	switch c {
	case Gzip:
		// klauspost's gzip reads concatenated members (gzip a; gzip b; cat)
		// as one text, like gunzip, and runs without goroutines.
		r, err = gzip.NewReader(rec)
	case Zstd:
		// One decoder, no goroutines: nothing to close when reading stops
		// early, and JSON decoding, not zstd, is the slow half of reading.
		var d *zstd.Decoder
		d, err = zstd.NewReader(rec, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		r = d
	default:
		return nil, fmt.Errorf("%s: cannot read %s-compressed input", name, c)
	}
	cr := &compressedReader{r: r, src: rec, c: c, name: name}
	if err != nil {
		return nil, cr.wrap(err)
	}
	return cr, nil
}

// compressedReader is the decompressed text of an input.
type compressedReader struct {
	r    io.Reader
	src  *errRecorder
	c    Compression
	name string
	n    int64 // decompressed bytes handed out
}

func (cr *compressedReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	if err != nil && err != io.EOF {
		err = cr.wrap(err)
	}
	return n, err
}

// wrap turns an error of the compressed data into a *CompressedError and
// leaves the source's own errors (Ctrl-C, a failing disk) as they are.
func (cr *compressedReader) wrap(err error) error {
	if cr.src.err != nil && errors.Is(err, cr.src.err) {
		return err
	}
	if err == io.EOF { // an empty input: no header at all
		err = io.ErrUnexpectedEOF
	}
	return &CompressedError{Name: cr.name, Compression: cr.c, Offset: cr.n, Err: err}
}

// CompressedError is compressed data that cannot be decompressed.
type CompressedError struct {
	Name        string
	Compression Compression
	Offset      int64 // decompressed bytes read before the error
	Err         error
}

func (e *CompressedError) Error() string {
	what := e.Err.Error()
	if errors.Is(e.Err, io.ErrUnexpectedEOF) {
		what = "the data ends early (truncated file?)"
	}
	return fmt.Sprintf("%s: bad %s data after %d bytes of decompressed text: %s", e.Name, e.Compression, e.Offset, what)
}

func (e *CompressedError) Unwrap() error { return e.Err }

// errRecorder remembers the last error of the source under a decompressor,
// so that its errors are told from those of the compressed data.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
