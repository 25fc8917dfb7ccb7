// Command tracectl reads, checks and converts LLM-application traces in
// MLflow (2.x, 3.x) and OpenTelemetry JSON formats.
package main

import (
	"os"

	"tracectl/internal/render"
)

func main() {
	batchGC = true // a process of its own: see tuneGCForLoad
	os.Exit(Main(os.Args[1:], render.System()))
}
