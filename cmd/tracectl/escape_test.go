package main

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// evilTrace has a span name and status message with newlines, a tab and
// ANSI escape sequences.
const evilTrace = `{"spans": [{"trace_id": "AAAAAAAAAAAAAAAAAAAABA==", "span_id": "AAAAAAAAAAE=", "parent_span_id": null, "name": "evil\u001b[31mRED\u001b[0m\nsecond line\ttab", "start_time_unix_nano": 1700000000000000000, "end_time_unix_nano": 1700000000000999999, "status": {"code": "STATUS_CODE_ERROR", "message": "multi\nline\u001b[2Jmsg"}, "attributes": {"mlflow.spanInputs": "\"in\\u001b[1mput\""}, "events": [{"name": "ev\u001bil", "timestamp": 1700000000000000001, "attributes": {}}]}]}`

func TestTraceTextIsEscapedInEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"show", "--attributes", "--events"}, {"roots"}, {"spans"}, {"status"}, {"preview"},
		{"span", "--name", "*"}, {"show", "--critical-path", "--errors-only", "--metadata"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _, code := runMain(t, evilTrace, args...)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			if strings.ContainsAny(out, "\x1b\t") {
				t.Errorf("raw control characters from the data in the output:\n%q", out)
			}
			if strings.Contains(out, "second line") && !strings.Contains(out, `evil\x1b[31mRED\x1b[0m\nsecond line\ttab`) {
				t.Errorf("span name not escaped on one line:\n%s", out)
			}
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if strings.HasPrefix(line, "second line") || strings.HasPrefix(line, "line") {
					t.Errorf("a name or message broke the line:\n%s", out)
				}
			}
		})
	}
}

// TestGzipStdinIsRead: gzip on stdin is found by its first bytes and read
// like its text, escaped as ever.
func TestGzipStdinIsRead(t *testing.T) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(evilTrace))
	zw.Close()
	gzOut, gzErr, code := runMain(t, b.String(), "show")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, gzErr)
	}
	plainOut, plainErr, _ := runMain(t, evilTrace, "show")
	if gzOut != plainOut || gzErr != plainErr {
		t.Errorf("gzip stdin shows\n%s%s\nthe plain text\n%s%s", gzOut, gzErr, plainOut, plainErr)
	}
	if strings.Contains(gzOut, "\x1b[31m") || !strings.Contains(gzOut, `evil\x1b[31mRED`) {
		t.Errorf("span name not escaped:\n%s", gzOut)
	}
}

func TestBinaryErrorContextIsEscaped(t *testing.T) {
	_, errOut, code := runMain(t, "x\x00\x1b[2J\xff\xfe rest", "show")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if strings.ContainsAny(errOut, "\x00\x1b") || strings.Contains(errOut, "\xff") {
		t.Errorf("raw bytes of the input on stderr:\n%q", errOut)
	}
	if !strings.Contains(errOut, `x\x00\x1b[2J`) || !strings.Contains(errOut, "looks binary") {
		t.Errorf("stderr lacks the escaped context line or the hint:\n%s", errOut)
	}
}
