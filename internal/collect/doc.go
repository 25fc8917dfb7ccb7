// Package collect is the OTLP/HTTP trace receiver behind `tracectl collect`:
// the HTTP handler (Collector), the Assembler that groups spans arriving in
// any order into whole traces, and the sinks that write each trace once
// (JSONLSink, DirSink).
//
// It lives apart from package manager so that programs embedding the tracer
// do not link the receiver and what it needs (an HTTP server, OTLP pdata,
// protobuf, gRPC status). It imports spanjson (and may import manager);
// neither imports collect.
package collect
