package spanjson

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// The naming rule for one-file-per-trace output (`convert --dir` and
// `collect --dir`). It lives here, the lowest package, because it is a
// policy on trace ids that every writer must share: cmd's convert and
// collect's directory sink both import spanjson, while convert importing
// the OTLP receiver for it would turn the import graph sideways. Callers
// pass the id a reader of the file will see (WrittenTraceID).

// maxFileNameLen keeps trace file names well under every filesystem's limit.
const maxFileNameLen = 120

// TraceFileName names the file of a trace in an output directory: the trace
// id if it is made only of [A-Za-z0-9._-] (and is not "." or ".."), else the
// id with every other byte replaced by "_" plus 8 hex digits of a hash of
// the id, so that distinct ids keep distinct names and no id can reach
// outside the directory. taken is asked about candidate names in order
// ("x.json", "x-2.json", "x-3.json"…) and the first one it reports as free
// is returned; a caller that writes concurrently may claim the name inside
// taken (create the file exclusively) so that no two traces share a file.
func TraceFileName(traceID string, taken func(name string) bool) string {
	base, changed := sanitizeFileName(traceID)
	if changed {
		h := fnv.New32a()
		h.Write([]byte(traceID))
		base = fmt.Sprintf("%s-%08x", base, h.Sum32())
	}
	name := base + ".json"
	for n := 2; taken(name); n++ {
		name = fmt.Sprintf("%s-%d.json", base, n)
	}
	return name
}

// windowsReserved are device names Windows refuses as file names, whatever
// the extension.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// sanitizeFileName returns id made safe as a file-name stem and whether
// that changed it.
func sanitizeFileName(id string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok || (c == '.' && b.Len() == 0) { // no hidden files, no "." or ".."
			c = '_'
			changed = true
		}
		b.WriteByte(c)
	}
	s := b.String()
	if s == "" {
		s, changed = "trace", true
	}
	if len(s) > maxFileNameLen {
		s, changed = s[:maxFileNameLen], true
	}
	if windowsReserved[strings.ToUpper(strings.SplitN(s, ".", 2)[0])] {
		s, changed = "_"+s, true
	}
	return s, changed
}
