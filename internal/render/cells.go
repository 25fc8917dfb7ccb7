package render

import (
	"strconv"
	"time"
)

// Cells of the roots table kept apart from the table code (tables.go), so
// the columns and the way they are drawn change independently.

// StartCell is the trace's start in the roots table: UTC to the
// millisecond, "-" when unknown.
func (j RootJSON) StartCell() string {
	ns, err := strconv.ParseInt(j.StartTime, 10, 64)
	if err != nil || ns == 0 {
		return "-"
	}
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000Z")
}

// TokensCell is the trace's total tokens (spanjson.TraceGenAIOf) with
// thousands separators, "-" when unknown.
func (j RootJSON) TokensCell() string {
	if j.TotalTokens == nil {
		return "-"
	}
	return groupDigits(*j.TotalTokens)
}
