//go:build unix

package ingest

import (
	"os"
	"syscall"
)

// openFile opens a regular file for reading as os.Open does, less what
// os.Open does for files that can be polled (pipes, terminals): fcntl
// calls and an epoll_ctl that fails for a regular file. With fileFacts,
// reading a file of an export directory went from 24 system calls to 7
// (a stat, an open, an fcntl, three reads, a close). Never for a file
// that may be a pipe: Ctrl-C ends a read from one through the poller.
func openFile(path string) (*os.File, error) {
	fd, err := openFD(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openFD opens a file for reading: its descriptor, the open retried when
// a signal interrupted it.
func openFD(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// readWhole reads all of a regular file whose size was size a moment ago
// (size > 0) with read calls on its descriptor: no *os.File, no read that
// only fills a buffer of the first bytes, and no read at the end to see it
// once the bytes the size said are in and a read came back short. A file
// of an export directory takes four system calls (a stat before, an open,
// a read, a close) where os.Open, a peek at its first bytes and reading to
// the end took seven. ok is false when the file cannot be opened or read:
// the caller reads it the usual way, whose errors say what went wrong.
func readWhole(path string, size int64) (data []byte, ok bool) {
	fd, err := openQuick(path)
	if err != nil {
		return nil, false
	}
	defer closeQuick(fd)
	buf := make([]byte, size+1) // +1: a file that grew since is read on, not cut
	n := 0
	for {
		m, err := readQuick(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		n += m
		switch {
		case m == 0, n < len(buf) && int64(n) >= size:
			return buf[:n], true // the end, or all the size said and no more
		case n == len(buf):
			buf = append(buf, make([]byte, len(buf))...) // it grew: read on
		}
		// Short of the size: a read may stop before the end; read on.
	}
}
