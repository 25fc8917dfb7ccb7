package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"tracectl/internal/render"
	"tracectl/internal/spanjson/spanjsontest"
)

// convertBytes runs convert on in (stdin) and returns stdout and stderr.
func convertBytes(t *testing.T, schema string, in []byte) ([]byte, string) {
	t.Helper()
	streams, stdin, out, errOut := render.Test()
	stdin.Write(in)
	if err := runConvert(context.Background(), &convertOptions{Schema: schema, streams: streams}); err != nil {
		t.Fatalf("convert --schema %s: %v\n%s", schema, err, errOut)
	}
	return bytes.Clone(out.Bytes()), errOut.String()
}

// TestConvertRoundTripsGeneratedTraces: on generated MLflow v3 traces, each
// of v3 -> v2 -> v3, v3 -> otlp -> v3, v2 -> v3 -> v2 and otlp -> v3 -> otlp
// gives back the canonical original byte for byte, or the first step
// reported a loss and everything OTLP can hold still came back.
func TestConvertRoundTripsGeneratedTraces(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		var gen bytes.Buffer
		if err := spanjsontest.WriteV3Trace(&gen, 300, seed); err != nil {
			t.Fatal(err)
		}
		v3, _ := convertBytes(t, "v3", gen.Bytes())
		v2, _ := convertBytes(t, "v2", v3)
		otlp, _ := convertBytes(t, "otlp", v3)
		originals := map[string][]byte{"v3": v3, "v2": v2, "otlp": otlp}
		for _, path := range [][2]string{{"v3", "v2"}, {"v3", "otlp"}, {"v2", "v3"}, {"otlp", "v3"}} {
			from, via := path[0], path[1]
			t.Run(fmt.Sprintf("seed %d %s-%s-%s", seed, from, via, from), func(t *testing.T) {
				orig := originals[from]
				if again, _ := convertBytes(t, from, orig); !bytes.Equal(again, orig) {
					t.Fatalf("%s -> %s is not stable", from, from)
				}
				mid, warnings := convertBytes(t, via, orig)
				back, _ := convertBytes(t, from, mid)
				if bytes.Equal(back, orig) {
					return
				}
				if !strings.Contains(warnings, ": dropped ") {
					t.Fatalf("round trip changed the trace with no loss reported:\n%s\n%s", clipBytes(orig), clipBytes(back))
				}
				projOrig, _ := convertBytes(t, "otlp", orig)
				projBack, _ := convertBytes(t, "otlp", back)
				if !bytes.Equal(projOrig, projBack) {
					t.Errorf("round trip lost more than it reported (%s):\n%s\n%s", warnings, clipBytes(projOrig), clipBytes(projBack))
				}
			})
		}
	}
}

func clipBytes(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
