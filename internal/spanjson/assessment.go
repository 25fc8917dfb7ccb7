package spanjson

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// Assessment is an MLflow assessment (formats.md §2.6, formats-more.md
// §8.2): feedback (from a human, an LLM judge or code) or an expectation
// (ground truth) on a trace or one of its spans. TraceInfo keeps the
// assessments as the JSON they were read as (a write gives them back
// verbatim); ParseAssessment reads one for display, and its JSON form is
// the canonical one readers of other formats (Langfuse scores) produce.
type Assessment struct {
	AssessmentID   string            `json:"assessment_id,omitempty"`
	Name           string            `json:"assessment_name"`
	TraceID        string            `json:"trace_id"`
	SpanID         string            `json:"span_id,omitempty"`
	Source         AssessmentSource  `json:"source"`
	CreateTime     string            `json:"create_time,omitempty"`
	LastUpdateTime string            `json:"last_update_time,omitempty"`
	Feedback       *AssessmentValue  `json:"feedback,omitempty"`
	Expectation    *AssessmentValue  `json:"expectation,omitempty"`
	Rationale      string            `json:"rationale,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	// Valid is false once another assessment overrides this one; nil
	// when the input does not say.
	Valid     *bool  `json:"valid,omitempty"`
	Overrides string `json:"overrides,omitempty"`
}

// AssessmentSource says who made an assessment: SourceType HUMAN,
// LLM_JUDGE or CODE, SourceID a user, model or function name.
type AssessmentSource struct {
	SourceType string `json:"source_type"`
	SourceID   string `json:"source_id,omitempty"`
}

// AssessmentValue is a feedback or expectation value (any JSON) and, for
// feedback that could not be computed, its error (any JSON, usually
// {"error_code", "error_message"}).
type AssessmentValue struct {
	Value json.RawMessage `json:"value"`
	Error json.RawMessage `json:"error,omitempty"`
}

// Assessment kinds, as Kind returns them.
const (
	AssessmentFeedback    = "feedback"
	AssessmentExpectation = "expectation"
)

// Kind is AssessmentFeedback or AssessmentExpectation, "" when the
// assessment holds neither.
func (a Assessment) Kind() string {
	switch {
	case a.Feedback != nil:
		return AssessmentFeedback
	case a.Expectation != nil:
		return AssessmentExpectation
	}
	return ""
}

// Value is the feedback's or the expectation's value and error.
func (a Assessment) Value() AssessmentValue {
	switch {
	case a.Feedback != nil:
		return *a.Feedback
	case a.Expectation != nil:
		return *a.Expectation
	}
	return AssessmentValue{}
}

// ParseAssessment reads one assessment of TraceInfo.Assessments. It is
// tolerant as the readers are: the name as assessment_name or name, the
// source type as source_type or sourceType, times as ISO text or as
// milliseconds (create_time_ms, last_update_time_ms), camelCase members.
// ok is false when raw is not a JSON object.
func ParseAssessment(raw []byte) (a Assessment, ok bool) {
	v := gjson.ParseBytes(raw)
	if !gjson.ValidBytes(raw) || !v.IsObject() {
		return Assessment{}, false
	}
	// Texts as a JSON writer writes them (bytes that are not UTF-8 as
	// U+FFFD), so that the parsed form and its JSON agree.
	text := func(r gjson.Result) string {
		if r.Type == gjson.String {
			return asWritten(r.Str)
		}
		if r.Exists() && r.Type != gjson.Null {
			return asWritten(r.Raw)
		}
		return ""
	}
	value := func(r gjson.Result) *AssessmentValue {
		if !r.Exists() || r.Type == gjson.Null {
			return nil
		}
		av := &AssessmentValue{Value: json.RawMessage("null")}
		if r.IsObject() {
			if x := r.Get("value"); x.Exists() {
				av.Value = json.RawMessage(x.Raw)
			}
			if x := r.Get("error"); x.Exists() && x.Type != gjson.Null {
				av.Error = json.RawMessage(x.Raw)
			}
		} else {
			av.Value = json.RawMessage(r.Raw)
		}
		return av
	}
	v.ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "assessment_id", "assessmentId":
			a.AssessmentID = text(val)
		case "assessment_name", "assessmentName", "name":
			if a.Name == "" || k.Str != "name" {
				a.Name = text(val)
			}
		case "trace_id", "traceId":
			a.TraceID = text(val)
		case "span_id", "spanId":
			a.SpanID = text(val)
		case "source":
			a.Source.SourceType = text(firstOf(val, "source_type", "sourceType"))
			a.Source.SourceID = text(firstOf(val, "source_id", "sourceId"))
		case "create_time", "createTime":
			a.CreateTime = text(val)
		case "create_time_ms":
			a.CreateTime = msText(val)
		case "last_update_time", "lastUpdateTime":
			a.LastUpdateTime = text(val)
		case "last_update_time_ms":
			a.LastUpdateTime = msText(val)
		case "feedback":
			a.Feedback = value(val)
		case "expectation":
			a.Expectation = value(val)
		case "rationale":
			a.Rationale = text(val)
		case "metadata":
			if val.IsObject() {
				a.Metadata = map[string]string{}
				val.ForEach(func(mk, mv gjson.Result) bool {
					a.Metadata[asWritten(mk.Str)] = text(mv)
					return true
				})
			}
		case "valid":
			if val.IsBool() {
				b := val.Bool()
				a.Valid = &b
			}
		case "overrides":
			a.Overrides = text(val)
		}
		return true
	})
	return a, true
}

// firstOf is the first of keys that v has.
func firstOf(v gjson.Result, keys ...string) gjson.Result {
	for _, k := range keys {
		if r := v.Get(gjson.Escape(k)); r.Exists() {
			return r
		}
	}
	return gjson.Result{}
}

// msText is a time in milliseconds as ISO-8601 text; what is not a whole
// number is kept as it is.
func msText(v gjson.Result) string {
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	if err != nil {
		if v.Type == gjson.String {
			return asWritten(v.Str)
		}
		return asWritten(v.Raw)
	}
	return time.UnixMilli(n).UTC().Format("2006-01-02T15:04:05.000Z")
}
