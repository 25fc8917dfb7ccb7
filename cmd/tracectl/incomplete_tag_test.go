package main

import (
	"testing"

	"tracectl/internal/collect"
	"tracectl/internal/spanjson"
)

// collect writes the marker the OTLP reader recognises.
func TestIncompleteTagMatches(t *testing.T) {
	if collect.TagIncomplete != spanjson.TagIncomplete {
		t.Fatalf("collect.TagIncomplete %q != spanjson.TagIncomplete %q", collect.TagIncomplete, spanjson.TagIncomplete)
	}
}
