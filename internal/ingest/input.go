package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"tracectl/internal/spanjson"
)

// Input is one input: a file or standard input.
type Input struct {
	Name string // the file name; "<stdin>" for standard input
	Path string // the file name; "" for standard input
	// Reader is standard input (or, in tests, any reader); nil for a file.
	Reader io.Reader
	// Counter, when set, is added the bytes read from the input as they
	// are read (compressed bytes for a compressed input, so that they add
	// up to its Size): what a progress bar shows.
	Counter *atomic.Int64

	err error // why Open fails (a directory without trace files)
	// file is what a file input's stat said, for all the copies of the
	// Input that Inputs made; nil for an Input made elsewhere, which asks
	// each time.
	file *fileFacts
}

// fileFacts are what a file input's stat said: whether it is a regular
// file, and its size. An export directory of 20,000 traces asked them of
// each file four times over before reading it (tracectl's GC set-up, the
// read-ahead): one stat does now.
type fileFacts struct {
	once    sync.Once
	regular bool
	size    int64
}

// facts returns the facts of a file input, looked up once; nil when the
// Input was not made by Inputs.
func (in Input) facts() *fileFacts {
	if in.file == nil {
		return nil
	}
	in.file.once.Do(func() {
		if st, err := os.Stat(in.Path); err == nil {
			in.file.set(st)
		}
	})
	return in.file
}

// know takes the facts of a file from st, which the caller has looked up.
func (ff *fileFacts) know(st os.FileInfo) { ff.once.Do(func() { ff.set(st) }) }

func (ff *fileFacts) set(st os.FileInfo) {
	if st.Mode().IsRegular() {
		ff.regular, ff.size = true, st.Size()
	}
}

// readWhole reads all of a regular file input of known size that has
// something in it (see readWhole in open_unix.go), counting its bytes;
// ok is false for any other input, or when it cannot be read so: Open then
// reads it and says why.
func (in Input) readWhole() (data []byte, ok bool) {
	if in.Path == "" || in.err != nil {
		return nil, false
	}
	ff := in.facts()
	if ff == nil || !ff.regular || ff.size == 0 {
		return nil, false
	}
	if data, ok = readWhole(in.Path, ff.size); ok && in.Counter != nil {
		in.Counter.Add(int64(len(data)))
	}
	return data, ok
}

// ErrStdinTwice is returned by Inputs when "-" is given more than once.
var ErrStdinTwice = errors.New("standard input (-) can be read only once")

// Inputs turns command-line arguments into inputs: each file, "-" for
// stdin, stdin when there is no argument, and the trace files of a
// directory (see dirInputs) in name order.
func Inputs(args []string, stdin io.Reader) ([]Input, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	ins := make([]Input, 0, len(args))
	stdinSeen := false
	for _, a := range args {
		if a == "-" {
			if stdinSeen {
				return nil, ErrStdinTwice
			}
			stdinSeen = true
			ins = append(ins, Input{Name: "<stdin>", Reader: stdin})
			continue
		}
		fi, err := os.Stat(a)
		if err == nil && fi.IsDir() {
			ins = append(ins, dirInputs(a)...)
			continue
		}
		in := fileInputAt(a)
		if err == nil {
			in.file.know(fi) // not a second stat when read
		}
		ins = append(ins, in)
	}
	return ins, nil
}

// fileInputAt is the input of the file at path.
func fileInputAt(path string) Input {
	return Input{Name: path, Path: path, file: new(fileFacts)}
}

// Error is an input that could not be read, with a hint that names the fix.
type Error struct {
	Err  error
	hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint names the fix ("" for none).
func (e *Error) Hint() string { return e.hint }

func hinted(err error, hint string) error { return &Error{Err: err, hint: hint} }

// Open opens in for reading (not a directory). It does not decompress:
// the reader of the input does, whatever its name (sniff).
func (in Input) Open() (io.ReadCloser, error) {
	if in.err != nil {
		return nil, in.err
	}
	var rc io.ReadCloser
	if in.Path == "" {
		rc = io.NopCloser(in.Reader)
	} else {
		open := os.Open
		ff := in.facts()
		regular := ff != nil && ff.regular // a moment ago: never polled, not a directory
		if regular {
			open = openFile
		}
		f, err := open(in.Path)
		if err != nil {
			return nil, hinted(fmt.Errorf("cannot read %s: %w", in.Path, unwrapPathError(err)), "check the file name; use - to read standard input")
		}
		if !regular {
			if fi, err := f.Stat(); err == nil && fi.IsDir() {
				f.Close()
				return nil, hinted(fmt.Errorf("%s: is a directory", in.Path), fmt.Sprintf("name the directory itself as an argument, or the trace files in it, e.g. %s", ShellName(in.Path)+string(filepath.Separator)+"*.json"))
			}
		}
		rc = f
	}
	if in.Counter != nil {
		rc = &countingReader{rc: rc, n: in.Counter}
	}
	return rc, nil
}

// countingReader adds the bytes read to n.
type countingReader struct {
	rc io.ReadCloser
	n  *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

// sniff wraps r so that the decoder reads its JSON text: a gzip or zstd
// input (found by its first bytes, whatever its name) is decompressed, and
// positions in errors are then in the decompressed text.
//
// size is the input's size when it is a regular file (0 when unknown):
// the text of an uncompressed one says how many bytes are left to read
// (see lenReader), so the decoder never grows a buffer past them.
func sniff(r io.Reader, name string, size int64) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 512)
	magic, _ := br.Peek(4)
	switch c := compressionOf(magic); c {
	case Uncompressed:
		if size > 0 {
			return &lenReader{r: br, left: size}, nil
		}
		return br, nil
	case Gzip, Zstd:
		dr, err := decompress(br, c, name)
		if err != nil {
			return nil, decodeError(name, err)
		}
		return dr, nil
	default:
		return nil, hinted(
			fmt.Errorf("%s: the input is not JSON: it looks %s-compressed", name, c),
			fmt.Sprintf("decompress it first, e.g. %s %s | tracectl …", unpackCommand(c), ShellName(name)))
	}
}

// lenReader reads a text of known size and says how much of it is left
// (Len, as a bytes.Reader does), which spanjson.Decoder asks of its reader.
// Without it a 693 MB Jaeger file read through the ingest's wrappers grew
// the decoder's buffer by doubling to 1 GB: 2 GB allocated instead of
// 1.2 GB.
type lenReader struct {
	r    io.Reader
	left int64
}

func (l *lenReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left = max(l.left-int64(n), 0)
	return n, err
}

// Len is the number of bytes left to read, as far as the size said.
func (l *lenReader) Len() int { return int(min(l.left, math.MaxInt)) }

// unpackCommand is the shell command that writes a c-compressed file's
// text to stdout.
func unpackCommand(c Compression) string {
	if c == Zip {
		return "unzip -p"
	}
	return "bzcat"
}

// IsStream reports whether in is read as a stream (a pipe, a terminal, a
// socket), where traces are handed on as they complete, rather than as a
// regular file, read to its end.
func (in Input) IsStream() bool {
	if in.Path == "" {
		switch in.Reader.(type) {
		case *strings.Reader, *bytes.Reader, *bytes.Buffer:
			return false // an in-memory reader (tests) holds all its data: a file
		}
	}
	_, regular := in.Size()
	return !regular
}

// Size is the size of a regular-file input; ok is false for anything else.
func (in Input) Size() (int64, bool) {
	if ff := in.facts(); ff != nil {
		return ff.size, ff.regular
	}
	var st os.FileInfo
	var err error
	if in.Path != "" {
		st, err = os.Stat(in.Path)
	} else if f, ok := in.Reader.(*os.File); ok {
		st, err = f.Stat()
	} else {
		return 0, false
	}
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	return st.Size(), true
}

// StoredCompression is the compression of a regular-file input, read
// from its first bytes without moving its offset; Uncompressed for
// anything else (a stream cannot be peeked at without reading it).
func (in Input) StoredCompression() Compression {
	if _, ok := in.Size(); !ok {
		return Uncompressed
	}
	var f *os.File
	if in.Path != "" {
		var err error
		if f, err = openFile(in.Path); err != nil { // a regular file (Size)
			return Uncompressed
		}
		defer f.Close()
	} else {
		f = in.Reader.(*os.File) // Size found it is one
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return Uncompressed
	}
	magic := make([]byte, 4)
	n, _ := f.ReadAt(magic, off)
	return compressionOf(magic[:n])
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// looksBinary reports whether text has bytes JSON text never has: NUL,
// other control characters than whitespace, or bytes that are not UTF-8.
func looksBinary(text string) bool {
	if !utf8.ValidString(text) {
		return true
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// ShellName is name as a shell word for a hint ("FILE" for stdin).
func ShellName(name string) string {
	if name == "<stdin>" {
		return "FILE"
	}
	if strings.ContainsAny(name, " \t'\"$`\\|&;<>()*?[]{}!#~") {
		return "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
	}
	return name
}

// decodeError keeps a located error as it is (the command prints the
// offending line of a syntax error) and names the input in any other.
func decodeError(name string, err error) error {
	var ce *CompressedError
	if errors.As(err, &ce) {
		// Said once, by the decompressor: the decoder's "name: " prefix
		// would repeat the name.
		return hinted(ce, fmt.Sprintf("test the file with %s -t %s", ce.Compression, ShellName(name)))
	}
	var se *spanjson.SyntaxError
	if errors.As(err, &se) {
		if looksBinary(se.LineText) {
			return hinted(err, "the input looks binary, not JSON text: is it compressed or the wrong file?")
		}
		return err
	}
	if strings.HasPrefix(err.Error(), name+":") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
