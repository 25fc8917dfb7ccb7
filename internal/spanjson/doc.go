// Package spanjson is tracectl's schema-neutral trace model (trace and span
// ids, immutable and live spans, trace info, prompts) and the JSON codecs that
// read and write it in every schema version: MLflow 2, MLflow 3, MLflow REST v3
// proto-JSON and OTLP JSON.
//
// The package imports nothing else from tracectl; the manager, the renderer
// and the commands build on it.
package spanjson
