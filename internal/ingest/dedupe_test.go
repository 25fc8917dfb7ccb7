package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracectl/internal/spanjson"
)

func testSpan(id, parent byte, name string, start, end int64) spanjson.Span {
	d := spanjson.SpanData{Name: name, StartTime: start, EndTime: end}
	d.TraceID[15] = 1
	d.SpanID[7] = id
	d.ParentID[7] = parent
	return spanjson.NewSpan(d)
}

func names(spans []spanjson.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

func TestDropCopies(t *testing.T) {
	snapshot := testSpan(1, 0, "run (running)", 10, 0)
	ended := testSpan(1, 0, "run", 10, 20)
	child := testSpan(2, 1, "step", 11, 12)
	otherStart := testSpan(1, 0, "run again", 30, 40)
	tests := []struct {
		name  string
		spans []spanjson.Span
		held  int
		want  []string
	}{
		{"a copy goes", []spanjson.Span{ended, child, child}, 2, []string{"run", "step"}},
		{"snapshot held, ended record replaces it in place", []spanjson.Span{snapshot, child, ended}, 2, []string{"run", "step"}},
		{"ended held, a later snapshot goes", []spanjson.Span{ended, child, snapshot}, 2, []string{"run", "step"}},
		{"among the extras too", []spanjson.Span{child, snapshot, snapshot, ended}, 1, []string{"step", "run"}},
		{"another start is another span", []spanjson.Span{snapshot, otherStart}, 1, []string{"run (running)", "run again"}},
		{"two ended records stay for the tree", []spanjson.Span{ended, otherStart}, 1, []string{"run", "run again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(dropCopies(append([]spanjson.Span(nil), tt.spans...), tt.held))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A console dump prints an unfinished snapshot of a span (end_time null)
// and later its finished record, and a finished span twice: the trace
// handed on has each span once, ended, and its derived info is OK.
func TestReadConsoleSnapshot(t *testing.T) {
	var traces []*Trace
	var warnings []string
	in := Input{Name: "console_snapshot.json", Path: "../../testdata/spanjson/console_snapshot.json"}
	err := Read(context.Background(), []Input{in}, Options{Tree: true, Warn: func(w spanjson.Warning) { warnings = append(warnings, w.String()) }},
		func(t *Trace) error {
			traces = append(traces, t)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 1 || len(warnings) != 0 {
		t.Fatalf("%d traces, warnings %q", len(traces), warnings)
	}
	tr := traces[0]
	if got := names(tr.Spans); !cmp.Equal(got, []string{"run", "step"}) {
		t.Fatalf("spans %q", got)
	}
	run := tr.Spans[0]
	if run.EndTime() != 1738404000300002000 || run.Status().Code != spanjson.StatusOK {
		t.Errorf("run %+v", run.Data())
	}
	if v, _ := run.Attributes().String("phase"); v != "finished" {
		t.Errorf("phase %q: the finished record must win", v)
	}
	info := tr.Info
	if !info.Derived || info.State != spanjson.StateOK || info.ExecutionDuration != 300001*time.Microsecond {
		t.Errorf("info %+v", info)
	}
	if tr.Schema != spanjson.SchemaOTelConsole || !strings.Contains(tr.Shape, "console") {
		t.Errorf("schema %s, shape %q", tr.Schema, tr.Shape)
	}
}
