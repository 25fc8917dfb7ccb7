package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"tracectl/internal/render"
)

// While it runs, collect prints a line per trace written and per rejected
// request on stderr, says at once what the chosen schema cannot carry, and
// -q silences all that but not the counters at exit.
func TestCollectLiveLines(t *testing.T) {
	postBad := func(addr string) {
		resp, err := http.Post("http://"+addr+"/v1/traces", "application/x-protobuf", bytes.NewReader([]byte{0xff, 0xff}))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("bad body: status %d", resp.StatusCode)
		}
	}
	t.Run("line", func(t *testing.T) {
		opts := &collectOptions{out: t.TempDir() + "/o.jsonl", schema: "v3"}
		addr, stop := startCollect(t, opts)
		postExport(t, addr, collectRequest(), false)
		postBad(addr)
		err, errOut := stop()
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []string{
			`(?m)^\d\d:\d\d:\d\d\.\d{3}  tr-aa0+01  root  3 spans  1\.00s  OK$`,
			`(?m)^\d\d:\d\d:\d\d\.\d{3}  tr-aa0+02  -  1 span  \d.*  ERROR  \(no root span at shutdown\)$`,
			`(?m)^tracectl: rejected: http 400 from 127\.0\.0\.1:\d+: malformed protobuf ExportTraceServiceRequest`,
			`(?m)^tracectl: warning: schema v3 cannot carry \S+: it is dropped`,
		} {
			if !regexp.MustCompile(re).MatchString(errOut) {
				t.Errorf("stderr lacks %s:\n%s", re, errOut)
			}
		}
		// Each loss is said once, when it first happens.
		seen := map[string]int{}
		for _, m := range regexp.MustCompile(`schema v3 cannot carry (\S+): it is dropped`).FindAllStringSubmatch(errOut, -1) {
			if seen[m[1]]++; seen[m[1]] > 1 {
				t.Errorf("the loss of %s is said twice", m[1])
			}
		}
	})
	t.Run("quiet", func(t *testing.T) {
		streams, _, _, _ := render.Test()
		streams.Quiet = true
		opts := &collectOptions{out: t.TempDir() + "/o.jsonl", schema: "v3", streams: streams}
		addr, stop := startCollect(t, opts)
		postExport(t, addr, collectRequest(), false)
		postBad(addr)
		err, errOut := stop()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(errOut, "tr-aa0") || strings.Contains(errOut, "rejected:") || strings.Contains(errOut, "warning:") {
			t.Errorf("-q printed live lines:\n%s", errOut)
		}
		if !strings.Contains(errOut, "4 spans received") {
			t.Errorf("-q dropped the counters:\n%s", errOut)
		}
	})
	t.Run("tree", func(t *testing.T) {
		opts := &collectOptions{out: t.TempDir() + "/o.jsonl", print: "tree"}
		addr, stop := startCollect(t, opts)
		postExport(t, addr, collectRequest(), false)
		time.Sleep(10 * time.Millisecond)
		if err, _ := stop(); err != nil {
			t.Fatal(err)
		}
		out := opts.streams.Out.(*bytes.Buffer).String()
		for _, want := range []string{"root ", "└─ child-a", "grandchild", "orphan"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
	})
}
