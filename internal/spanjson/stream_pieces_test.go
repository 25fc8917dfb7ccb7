package spanjson

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A streamed span list decoded in pieces (spansInPieces) must give what
// one goroutine in order gives: the same spans, warnings (at the same
// places) and errors. These inputs put in the list what makes a piece
// stop or a guess of where a span begins go wrong.

// v3ListDoc is an MLflow 3 trace of n spans whose span list is streamed,
// with what quirk(i) gives in place of span i when it is not "" (a span's
// JSON or any other list item). sep goes between items.
func v3ListDoc(n int, sep string, quirk func(i int) string) []byte {
	const tid = "EqYuoDur8jEVJ2hOWc3flQ=="
	id := func(i int) string {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i+1))
		return base64.StdEncoding.EncodeToString(b[:])
	}
	var b bytes.Buffer
	b.WriteString(`{"info":{"trace_id":"tr-12a62ea03babf2311527684e59cddf95","request_time":"2025-06-01T12:00:00.000Z","execution_duration_ms":5,"state":"OK"},"data":{"spans":[`)
	writeListItems(&b, n, ","+sep, quirk, func(i int) string {
		parent := ""
		if i > 0 {
			parent = id((i - 1) / 3)
		}
		return fmt.Sprintf(`{"trace_id":%q,"span_id":%q,"parent_span_id":%q,"name":"op-%d","start_time_unix_nano":%d,"end_time_unix_nano":%d,`+
			`"events":[],"status":{"code":"STATUS_CODE_OK","message":""},"attributes":{"mlflow.spanType":"\"LLM\"","note":"\"%s\""}}`,
			tid, id(i), parent, i%7, 1748779200000000000+i, 1748779200000005000+i, strings.Repeat("x", 200+i%50))
	})
	b.WriteString("]}}\n")
	return b.Bytes()
}

// withPieceBytes makes the pieces of a window n bytes.
func withPieceBytes(t *testing.T, n int) {
	old := pieceBytes
	pieceBytes = n
	t.Cleanup(func() { pieceBytes = old })
}

func TestSpanListInPiecesEqualsOne(t *testing.T) {
	withPieceBytes(t, 2048)
	none := func(int) string { return "" }
	span := func(i int, members string) string {
		return fmt.Sprintf(`{"trace_id":"EqYuoDur8jEVJ2hOWc3flQ==","span_id":"AAAAAAAA%04d","name":"quirk-%d","start_time_unix_nano":%d,"end_time_unix_nano":%d%s}`,
			i%10000, i, 1748779200000000000+i, 1748779200000005000+i, members)
	}
	every := func(k int, q func(i int) string) func(int) string {
		return func(i int) string {
			if i > 0 && i%k == 0 {
				return q(i)
			}
			return ""
		}
	}
	// Links whose first key is the spans' first key: a guess may take a
	// link for a span.
	links := every(5, func(i int) string {
		return span(i, `,"links":[{"trace_id":"EqYuoDur8jEVJ2hOWc3flQ==","span_id":"AAAAAAAAAAE="},{"trace_id":"EqYuoDur8jEVJ2hOWc3flQ==","span_id":"AAAAAAAAAAI="},{"trace_id":"EqYuoDur8jEVJ2hOWc3flQ==","span_id":"AAAAAAAAAAM="}]`)
	})
	// A string that holds what a span's start looks like, escaped as JSON
	// must escape it.
	lookalike := every(4, func(i int) string {
		return span(i, `,"attributes":{"note":"\"},{\\\"trace_id\\\":\\\"x\\\"}\""}`)
	})
	inputs := map[string][]byte{
		"plain":             v3ListDoc(3000, "", none),
		"pretty":            v3ListDoc(3000, "\n    ", none),
		"links like spans":  v3ListDoc(3000, "", links),
		"lookalike strings": v3ListDoc(3000, " ", lookalike),
		"a span that warns": v3ListDoc(3000, "\n", every(37, func(i int) string { return span(i, `,"status":{"code":"STATUS_CODE_NOPE"}`) })),
		"ids that warn": v3ListDoc(3000, "\n  ", every(53, func(i int) string {
			return strings.Replace(span(i, ""), `"span_id":"AAAAAAAA`, `"span_id":"<redacted>`, 1)
		})),
		"items that are no span": v3ListDoc(3000, "", every(61, func(i int) string { return "42" })),
		"escaped keys":           v3ListDoc(3000, "", every(43, func(i int) string { return strings.Replace(span(i, ""), `"name"`, `"na\u006de"`, 1) })),
		"bad JSON late":          v3ListDoc(3000, "\n", func(i int) string { return map[bool]string{true: span(i, `,"x":[}`)}[i == 2851] }),
		"truncated":              v3ListDoc(3000, "", none)[:1_300_000],
	}
	// The list's last separator doubled, far into the list.
	plain := inputs["plain"]
	at := bytes.LastIndex(plain, []byte(`},{"trace_id"`))
	inputs["bad comma late"] = append(append(append([]byte{}, plain[:at]...), `},,`...), plain[at+2:]...)
	// MLflow 2 spans begin with "name", as their events do: a guess may
	// take an event for a span.
	inputs["v2 with events"] = v2WithEvents(t, 2500)

	before := piecesKept.Load()
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct{ chunk, minBuf int }{{64 << 10, readChunk}, {1000, 512}} {
				checkWorkersEqualOne(t, data, name, c.chunk, c.minBuf)
			}
		})
	}
	if piecesKept.Load() == before {
		t.Fatal("no piece of a span list was decoded by a helper")
	}
}

// The pieces are kept on a clean list, and a wrong guess is found and
// read again in order.
func TestSpanListPiecesCounted(t *testing.T) {
	withPieceBytes(t, 2048)
	decode := func(data []byte) (kept, missed int64) {
		k0, m0 := piecesKept.Load(), piecesMissed.Load()
		if _, err := decodeWithWorkers(data, "t.json", 64<<10, readChunk, 2); err != nil {
			t.Fatal(err)
		}
		return piecesKept.Load() - k0, piecesMissed.Load() - m0
	}
	if kept, missed := decode(v3ListDoc(3000, "", func(int) string { return "" })); kept < 8 || missed != 0 {
		t.Errorf("clean list: %d pieces kept, %d missed; want at least 8 kept, none missed", kept, missed)
	}
	if _, missed := decode(v2WithEvents(t, 2500)); missed == 0 {
		t.Error("MLflow 2 spans with events: no guess missed; the test no longer tries a wrong guess")
	}
}

// v2WithEvents is an MLflow 2 trace of n spans, each with three events.
func v2WithEvents(t *testing.T, n int) []byte {
	t.Helper()
	docs, err := DecodeAll(bytes.NewReader(v3ListDoc(n, "", func(int) string { return "" })), "gen")
	if err != nil {
		t.Fatal(err)
	}
	tr := docs[0].Traces[0]
	for i, s := range tr.Spans {
		d := s.Data()
		for k := range 3 {
			d.Events = append(d.Events, Event{Name: fmt.Sprintf("ev-%d", k), Time: d.StartTime + int64(k)})
		}
		tr.Spans[i] = NewSpan(d)
	}
	out, _, err := AppendTrace(nil, SchemaMLflowV2, &tr)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", " "); err != nil {
		t.Fatal(err)
	}
	return pretty.Bytes()
}
