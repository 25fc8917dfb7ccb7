package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The resource attribute tracectl.incomplete (collect's marker) makes the
// trace read from OTLP ERROR with the tag; writing it back loses nothing.
func TestOTLPIncompleteMarker(t *testing.T) {
	const doc = `{"resourceSpans":[{"resource":{"attributes":[{"key":"tracectl.incomplete","value":{"stringValue":"late spans"}}]},` +
		`"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7","name":"c","startTimeUnixNano":"1","endTimeUnixNano":"2","status":{"code":1}}]}]}]}`
	for _, tc := range []struct {
		name      string
		doc       string
		wantState TraceState
		wantTags  map[string]string
	}{
		{"marked", doc, StateError, map[string]string{TagIncomplete: "late spans"}},
		{"unmarked", strings.Replace(doc, "tracectl.incomplete", "service.name", 1), StateOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := DecodeAll(strings.NewReader(tc.doc), "in.json")
			if err != nil {
				t.Fatal(err)
			}
			tr := docs[0].Traces[0]
			if tr.Info.State != tc.wantState {
				t.Errorf("state = %s, want %s", tr.Info.State, tc.wantState)
			}
			if diff := cmp.Diff(tc.wantTags, tr.Info.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			_, losses, err := AppendTrace(nil, SchemaOTLP, &tr)
			if err != nil {
				t.Fatal(err)
			}
			if len(losses) != 0 {
				t.Errorf("OTLP → OTLP losses %v", losses)
			}
		})
	}
	// A tag the spans do not carry is still reported.
	docs, _ := DecodeAll(strings.NewReader(doc), "in.json")
	tr := docs[0].Traces[0]
	tr.Info.Tags = map[string]string{TagIncomplete: "late spans", "team": "a"}
	_, losses, _ := AppendTrace(nil, SchemaOTLP, &tr)
	if diff := cmp.Diff([]Loss{{Field: "info.tags", Count: 1}}, losses); diff != "" {
		t.Errorf("losses (-want +got):\n%s", diff)
	}
}
