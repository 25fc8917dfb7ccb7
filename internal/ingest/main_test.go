package ingest

import (
	"testing"

	"go.uber.org/goleak"
)

// Read starts goroutines (the manager's cleanup loop, a stream's document
// reader, its context-aware reads, trees built ahead): none may outlive the
// tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
