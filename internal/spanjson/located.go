package spanjson

import (
	"errors"

	"github.com/tidwall/gjson"
)

// locatedError is a decoding error that knows the byte offset, within its
// document, of the value it is about, so the document reader can report it
// at that line and column instead of at the start of the document.
type locatedError struct {
	index int
	err   error
}

func (e *locatedError) Error() string { return e.err.Error() }
func (e *locatedError) Unwrap() error { return e.err }

// located ties err to v's position, unless err already has a (deeper)
// position.
func located(v gjson.Result, err error) error {
	if err == nil {
		return nil
	}
	var le *locatedError
	if errors.As(err, &le) {
		return err
	}
	return &locatedError{index: v.Index, err: err}
}

// errorIndex returns the position err is tied to.
func errorIndex(err error) (int, bool) {
	var le *locatedError
	if errors.As(err, &le) {
		return le.index, true
	}
	return 0, false
}
