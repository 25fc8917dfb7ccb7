package ingest

import "syscall"

// mapFile maps the regular file at path read-only, whole. ok is false
// when it cannot be mapped (it is then read the usual way, whose errors
// say what went wrong), or is smaller than mapMin.
//
// The mapping is never undone: the traces decoded from it may point into
// it for as long as they live (see spanjson.NewDecoderMapped). Its pages
// are given back as the decoder passes them (releaseMapped). A file cut
// shorter by another process while it is mapped makes the reads of its
// lost pages fail with a signal that ends the process: tracectl reads
// trace files that are written once (its own outputs are renamed into
// place, never rewritten).
func mapFile(path string) (data []byte, ok bool) {
	fd, err := openFD(path)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size < mapMin || st.Size != int64(int(st.Size)) {
		return nil, false
	}
	data, err = syscall.Mmap(fd, 0, int(st.Size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	return data, true
}

// releaseMapped gives the pages of b, part of a read-only mapping of a
// file, back to the system; read again, they come back from the file. A
// failure changes nothing but memory.
func releaseMapped(b []byte) {
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
}

// unmapFile undoes mapFile for a mapping nothing points into.
func unmapFile(data []byte) { _ = syscall.Munmap(data) }
