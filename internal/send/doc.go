// Package send exports traces as OTLP to a receiver (an OpenTelemetry
// Collector, Jaeger, Tempo, Phoenix, an MLflow server, tracectl collect):
// bounded batches, OTLP/HTTP (protobuf or JSON) or OTLP/gRPC through the
// OpenTelemetry modules' own types, gzip, retries with backoff on the
// answers the OTLP specification calls retryable (honouring Retry-After
// and gRPC RetryInfo), and the counts of what was accepted and refused.
//
// It takes pdata (spanjson.PdataFromTrace makes it from the model) and
// knows nothing of files: `tracectl send` reads them.
package send
