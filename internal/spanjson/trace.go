package spanjson

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Trace-info metadata and tag keys (formats.md §5.1).
const (
	MetaSchemaVersion  = "mlflow.trace_schema.version"
	MetaTraceInputs    = "mlflow.traceInputs"
	MetaTraceOutputs   = "mlflow.traceOutputs"
	MetaTokenUsage     = "mlflow.trace.tokenUsage"
	TagTraceName       = "mlflow.traceName"
	TagLinkedPrompts   = "mlflow.linkedPrompts"
	PreviewMaxLength   = 1000
	ExperimentLocation = "MLFLOW_EXPERIMENT"
)

// TraceInfo is the trace-level record: a superset of MLflow 2 and MLflow 3
// trace info (formats.md §2).
type TraceInfo struct {
	// TraceID is the MLflow id: "tr-" + 32 hex in MLflow 3; MLflow 2's
	// request_id is kept as it was (32 hex). An id that was not decodable
	// (e.g. "<redacted>") is kept verbatim.
	TraceID         string
	ClientRequestID string
	ExperimentID    string
	// LocationType is trace_location.type (MLFLOW_EXPERIMENT, INFERENCE_TABLE,
	// …); Location keeps the whole trace_location object when it is not a
	// plain experiment location.
	LocationType      string
	Location          json.RawMessage
	RequestTime       time.Time     // zero when unknown
	ExecutionDuration time.Duration // zero when unknown or in progress
	HasDuration       bool          // false: duration absent (in progress)
	State             TraceState
	RequestPreview    string
	ResponsePreview   string
	Metadata          map[string]string
	// RawMetadata names the metadata keys whose value was not a JSON string
	// in the input (Databricks writes "is_truncated": false); their Metadata
	// value is the JSON text, written back unquoted.
	RawMetadata map[string]bool
	Tags        map[string]string
	Assessments []json.RawMessage // passed through verbatim
	Extra       Extras
	// Derived says the info was not read but made from the spans by
	// DeriveInfo (OTLP, a TraceData, a bare span list): a loader derives
	// it again from every span of an assembled trace, and a writer does
	// not count its sub-millisecond precision as lost (the spans keep it).
	Derived bool
}

// Trace is a trace's info and its spans.
type Trace struct {
	Info  TraceInfo
	Spans []Span
}

// ID returns the trace's MLflow id: the info's, else "tr-" and the
// OpenTelemetry trace id of its spans; "" for a trace without either.
func (t *Trace) ID() string {
	if t.Info.TraceID != "" {
		return t.Info.TraceID
	}
	if len(t.Spans) > 0 {
		return t.Spans[0].TraceID().MLflowID()
	}
	return ""
}

// Name returns the trace name tag, or the first root span's name.
func (t *Trace) Name() string {
	if n := t.Info.Tags[TagTraceName]; n != "" {
		return n
	}
	for _, s := range t.Spans {
		if s.IsRoot() {
			return s.Name()
		}
	}
	return ""
}

// PromptVersion is a registered prompt version (formats.md §7).
type PromptVersion struct {
	Name                 string            `json:"name"`
	Version              int               `json:"version"`
	Template             string            `json:"template,omitempty"`
	CommitMessage        string            `json:"commit_message,omitempty"`
	Description          string            `json:"description,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	Aliases              []string          `json:"aliases,omitempty"`
	Variables            []string          `json:"variables,omitempty"`
	UserID               string            `json:"user_id,omitempty"`
	CreationTimestamp    int64             `json:"creation_timestamp,omitempty"`     // unix ms
	LastUpdatedTimestamp int64             `json:"last_updated_timestamp,omitempty"` // unix ms
}

// URI returns "prompts:/<name>/<version>".
func (p PromptVersion) URI() string { return fmt.Sprintf("prompts:/%s/%d", p.Name, p.Version) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
