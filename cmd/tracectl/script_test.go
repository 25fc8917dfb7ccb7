package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"tracectl/internal/render"
)

// TestMain lets testscript run the test binary as the `tracectl` command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tracectl": func() { os.Exit(Main(os.Args[1:], render.System())) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. $SAMPLES is
// the repository's testdata/samples directory.
func TestScripts(t *testing.T) {
	samples, err := filepath.Abs(filepath.Join("..", "..", "testdata", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", samples)
			return nil
		},
	})
}
