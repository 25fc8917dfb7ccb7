package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/collect"
	"tracectl/internal/ingest"
	"tracectl/internal/spanjson"
)

// assembled is what both assemblers must agree on for a trace.
type assembled struct {
	ID, State string
	Start     int64
	Duration  int64
	Spans     []string
}

func summarizeAssembled(t *spanjson.Trace) assembled {
	a := assembled{ID: t.Info.TraceID, State: string(t.Info.State), Start: t.Info.RequestTime.UnixNano(), Duration: int64(t.Info.ExecutionDuration)}
	for _, s := range t.Spans {
		a.Spans = append(a.Spans, s.Name())
	}
	slices.Sort(a.Spans)
	return a
}

// TestCollectAssemblesLikeIngest: the OTLP traffic A, B, A (trace A's spans
// in two requests with B's between) gives the same traces through the files
// path (ingest, every read command and convert) and through collect's live
// assembler, with the same info from spanjson's rules.
func TestCollectAssemblesLikeIngest(t *testing.T) {
	docs := []string{
		otlpLine(traceA, "0000000000000002", "0000000000000001", "child", 20, 30),
		otlpStatusLine(traceB, "00000000000000b1", "", "other", 5, 6, 2),
		otlpLine(traceA, "0000000000000001", "", "root", 10, 40),
		otlpLine(traceA, "0000000000000003", "", "second-root", 35, 50),
	}
	var viaIngest []assembled
	err := ingest.Read(context.Background(), []ingest.Input{{Name: "abA.jsonl", Reader: strings.NewReader(strings.Join(docs, "\n"))}}, ingest.Options{},
		func(tr *ingest.Trace) error {
			viaIngest = append(viaIngest, summarizeAssembled(tr.Trace))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	a := collect.NewAssembler(collect.AssemblerConfig{})
	for _, d := range docs {
		parsed, err := spanjson.DecodeAll(strings.NewReader(d), "request")
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range parsed[0].Traces {
			a.Add(tr.Spans)
		}
	}
	var viaCollect []assembled
	for _, ct := range a.Drain() {
		viaCollect = append(viaCollect, summarizeAssembled(&ct.Trace))
	}
	byID := func(x, y assembled) int { return strings.Compare(x.ID, y.ID) }
	slices.SortFunc(viaIngest, byID)
	slices.SortFunc(viaCollect, byID)
	want := []assembled{
		{ID: "tr-" + traceB, State: "ERROR", Start: 5, Duration: 1, Spans: []string{"other"}},
		{ID: "tr-" + traceA, State: "OK", Start: 10, Duration: 40, Spans: []string{"child", "root", "second-root"}},
	}
	slices.SortFunc(want, byID)
	if diff := cmp.Diff(want, viaIngest); diff != "" {
		t.Errorf("ingest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(viaIngest, viaCollect); diff != "" {
		t.Errorf("collect differs from ingest (-ingest +collect):\n%s", diff)
	}
}
