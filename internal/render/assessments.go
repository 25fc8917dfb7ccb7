package render

import (
	"encoding/json"
	"strings"

	"tracectl/internal/spanjson"
)

// The assessments (feedback and expectations) of a trace, as `show` lists
// them: a short table in text, the objects as read in JSON.

// assessmentValueClip is the widest a value cell grows; the rationale takes
// what the line leaves (pipeClip in a pipe).
const assessmentValueClip = 40

// AssessmentsJSON is the trace's assessments for `show -o json`: each the
// MLflow assessment object as it was read (every member kept), nil when
// the trace has none.
func (v *TraceView) AssessmentsJSON() []json.RawMessage {
	var out []json.RawMessage
	for _, raw := range v.Trace.Info.Assessments {
		if json.Valid(raw) {
			out = append(out, raw)
		} else {
			b, _ := json.Marshal(string(raw))
			out = append(out, b)
		}
	}
	return out
}

// showAssessments writes the ASSESSMENT table under the header: name (with
// "(invalid)" once overridden), kind, value (or the error of feedback that
// failed), source and rationale, clipped. Nothing when there are none.
func (p *Printer) showAssessments(v *TraceView) {
	if len(v.Trace.Info.Assessments) == 0 {
		return
	}
	cols := []column{{header: "ASSESSMENT"}, {header: "KIND"}, {header: "VALUE"}, {header: "SOURCE"}, {header: "RATIONALE"}}
	for _, raw := range v.Trace.Info.Assessments {
		a, ok := spanjson.ParseAssessment(raw)
		if !ok {
			cols[0].cells = append(cols[0].cells, "?")
			cols[1].cells = append(cols[1].cells, "")
			cols[2].cells = append(cols[2].cells, clip(string(raw), assessmentValueClip))
			cols[3].cells = append(cols[3].cells, "")
			cols[4].cells = append(cols[4].cells, "")
			continue
		}
		name := orDash(a.Name)
		if a.Valid != nil && !*a.Valid {
			name += " (invalid)"
		}
		cols[0].cells = append(cols[0].cells, clip(name, assessmentValueClip))
		cols[1].cells = append(cols[1].cells, orDash(a.Kind()))
		cols[2].cells = append(cols[2].cells, clip(assessmentValueText(a.Value()), assessmentValueClip))
		cols[3].cells = append(cols[3].cells, clip(orDash(strings.TrimSpace(a.Source.SourceType+" "+a.Source.SourceID)), assessmentValueClip))
		cols[4].cells = append(cols[4].cells, a.Rationale)
	}
	// The rationale, last, takes what the other columns leave.
	used := 0
	for _, c := range cols[:4] {
		w := width(c.header)
		for _, cell := range c.cells {
			w = max(w, width(Printable(cell)))
		}
		used += w + 2
	}
	if allEmpty(cols[4].cells) {
		cols = cols[:4]
	} else {
		for r, s := range cols[4].cells {
			cols[4].cells[r] = orDash(clip(s, p.clipWidth(used)))
		}
	}
	p.writeTable(cols)
	p.w.WriteByte('\n')
}

// assessmentValueText is a value as one line: a JSON string as its text,
// any other value as its compact JSON, an error as "error: " and its
// message (or its JSON).
func assessmentValueText(v spanjson.AssessmentValue) string {
	if len(v.Error) > 0 && string(v.Error) != "null" {
		var e struct {
			Code    string `json:"error_code"`
			Message string `json:"error_message"`
		}
		if json.Unmarshal(v.Error, &e) == nil && (e.Message != "" || e.Code != "") {
			return "error: " + strings.TrimSpace(e.Code+" "+e.Message)
		}
		return "error: " + compactJSON(spanjson.DecodeValue(string(v.Error)))
	}
	if len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) == nil {
		return s
	}
	var x any
	if json.Unmarshal(v.Value, &x) != nil {
		return string(v.Value)
	}
	return compactJSON(x)
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
