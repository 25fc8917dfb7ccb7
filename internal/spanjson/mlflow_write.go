package spanjson

// appendMLflowV2 writes t as an MLflow 2 trace ({"info","data"}), canonical
// compact form.
func appendMLflowV2(dst []byte, t *Trace) ([]byte, []Loss, error) {
	return dst, nil, ErrNotImplemented
}

// appendMLflowV3 writes t as an MLflow 3 trace ({"info","data"}), canonical
// compact form.
func appendMLflowV3(dst []byte, t *Trace) ([]byte, []Loss, error) {
	return dst, nil, ErrNotImplemented
}
