package render

import (
	"testing"

	"tracectl/internal/spanjson"
)

// FuzzPreviews feeds arbitrary root-span inputs/outputs and info previews
// to the preview extraction: it must never panic and must return text the
// payload could have produced (no invented content for empty payloads).
func FuzzPreviews(f *testing.F) {
	f.Add(`{"messages":[{"role":"user","content":"hi"}]}`, `{"choices":[{"message":{"content":"yo"}}]}`, "")
	f.Add(`{"request":{"input":[{"role":"user","content":[{"type":"input_text","text":"a"}]}]}}`, `{"output":[{"content":[{"text":"b"}]}]}`, `{"x":`)
	f.Add(`[1,2,{"messages":null}]`, `"plain"`, "text preview")
	f.Add(`{"messages":[{"role":"user","content":[1,{"text":2}]}]}`, `{"choices":[{"message":{"content":[{"text":null}]}}]}`, "")
	f.Fuzz(func(t *testing.T, in, out, info string) {
		var attrs []spanjson.Attribute
		if in != "" {
			attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrInputs, Value: in})
		}
		if out != "" {
			attrs = append(attrs, spanjson.Attribute{Key: spanjson.AttrOutputs, Value: out})
		}
		s := spanjson.NewSpan(spanjson.SpanData{SpanID: spanjson.SpanID{1}, Name: "root", StartTime: 1, EndTime: 2, Attributes: spanjson.NewAttributes(attrs)})
		tree, _ := spanjson.BuildTree([]spanjson.Span{s})
		v := NewTraceView("fuzz", spanjson.SchemaMLflowV3, "", &spanjson.Trace{Info: spanjson.TraceInfo{RequestPreview: info}, Spans: []spanjson.Span{s}}, tree)
		req, resp := v.Previews()
		if in == "" && info == "" && req != "" {
			t.Errorf("request preview %q from nothing", req)
		}
		if out == "" && resp != "" {
			t.Errorf("response preview %q from nothing", resp)
		}
		_ = clip(req, 20)
	})
}
