package manager_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"tracectl/internal/manager"
)

func printTrace(_ context.Context, mt *manager.ManagerTrace) error {
	info := mt.Trace.Info
	fmt.Printf("%s %s: %d spans, request=%s response=%s\n", info.State, mt.Trace.Name(), len(mt.Trace.Spans), info.RequestPreview, info.ResponsePreview)
	for _, s := range mt.Trace.Spans {
		fmt.Println(" ", s.Name(), s.SpanType(), s.Status().Code)
	}
	return nil
}

func ExampleTracer() {
	tr := manager.NewTracer(manager.ExporterFunc(printTrace), manager.WithTracingEnabled(true))
	defer tr.Close()

	ctx, root := tr.StartSpan(context.Background(), "answer",
		manager.WithSpanType("CHAIN"), manager.WithInputs(map[string]any{"question": "2+2?"}))
	_, llm := tr.StartSpan(ctx, "llm", manager.WithSpanType("LLM"))
	llm.SetOutputs("4")
	llm.End()
	root.SetOutputs("4")
	root.End() // pops the trace and exports it
	// Output:
	// OK answer: 2 spans, request={"question":"2+2?"} response="4"
	//   answer CHAIN UNSET
	//   llm LLM UNSET
}

func ExampleNewSpanProcessor() {
	p := manager.NewSpanProcessor(manager.ExporterFunc(printTrace), manager.WithTracingEnabled(true))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer tp.Shutdown(context.Background())

	tracer := tp.Tracer("example")
	ctx, root := tracer.Start(context.Background(), "handler")
	_, child := tracer.Start(ctx, "db query")
	child.End()
	root.End()
	// Output:
	// OK handler: 2 spans, request= response=
	//   handler UNKNOWN UNSET
	//   db query UNKNOWN UNSET
}
