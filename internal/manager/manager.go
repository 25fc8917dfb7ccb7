// Package manager holds traces while they are being built: spans arrive one
// by one (from a running program, an OTLP stream or a file being loaded) and
// a trace leaves in one piece when it is complete, or through Config.OnExpire
// when it times out or is pushed out. It also has the tracer and the
// OpenTelemetry SDK integration.
package manager

import (
	"errors"
	"time"

	"tracectl/internal/spanjson"
)

var errNotImplemented = errors.New("manager: not implemented")

// ManagerTrace is a trace as it leaves the manager.
type ManagerTrace struct {
	Trace   spanjson.Trace
	Prompts []spanjson.PromptVersion
}

// Config sets the manager's bounds (see ConfigFromEnv).
type Config struct {
	Timeout       time.Duration // 0: TTL mode; >0: timeout mode
	CheckInterval time.Duration // how often overdue traces are looked for
	TTL           time.Duration // TTL mode: how long a trace may stay
	MaxSize       int           // TTL mode: how many traces may stay
	OnExpire      func(*ManagerTrace)
}

// Manager is the in-memory trace manager.
type Manager struct{}

// Instance returns the process-wide manager, built on first use.
func Instance() *Manager { panic(errNotImplemented) }

// Reset drops the process-wide manager; the next Instance builds anew.
func Reset() {}

// New returns an independent manager.
func New(cfg Config) *Manager { panic(errNotImplemented) }

// ConfigFromEnv reads the MLFLOW_TRACE_* variables.
func ConfigFromEnv() Config { return Config{} }

// RegisterTrace stores an empty trace under info.TraceID and maps otelTraceID to it.
func (m *Manager) RegisterTrace(otelTraceID spanjson.TraceID, info spanjson.TraceInfo) {}

// RegisterSpan stores a *LiveSpan in its trace.
func (m *Manager) RegisterSpan(s spanjson.ActiveSpan) error { return errNotImplemented }

// SpanFromID returns the live span, or nil.
func (m *Manager) SpanFromID(traceID, spanID string) *spanjson.LiveSpan { return nil }

// RootSpanID returns the root span's id, or "".
func (m *Manager) RootSpanID(traceID string) string { return "" }

// PopTrace removes and returns the trace, or nil.
func (m *Manager) PopTrace(otelTraceID spanjson.TraceID) *ManagerTrace { return nil }

// RegisterPrompt links a prompt version to a trace.
func (m *Manager) RegisterPrompt(traceID string, p spanjson.PromptVersion) error {
	return errNotImplemented
}

// Close stops the cleanup goroutine and waits for it.
func (m *Manager) Close() error { return nil }
