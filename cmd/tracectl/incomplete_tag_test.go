package main

import (
	"testing"

	"tracectl/internal/manager"
	"tracectl/internal/spanjson"
)

// collect writes the marker the OTLP reader recognises.
func TestIncompleteTagMatches(t *testing.T) {
	if manager.TagIncomplete != spanjson.TagIncomplete {
		t.Fatalf("manager.TagIncomplete %q != spanjson.TagIncomplete %q", manager.TagIncomplete, spanjson.TagIncomplete)
	}
}
