package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"

	"tracectl/internal/render"
	"tracectl/internal/render/rendertest"
)

var update = flag.Bool("update", false, "rewrite golden files and completions")

// repoRoot is the module root, relative to this package's directory.
const repoRoot = "../.."

// repoAbs is repoRoot made absolute, for tests that change directory.
var repoAbs = func() string {
	p, err := filepath.Abs(repoRoot)
	if err != nil {
		panic(err)
	}
	return p
}()

func TestMain(m *testing.M) {
	// testscript.Main either runs the tests (through leakChecked.Run) or,
	// in a process a script started as "tracectl", runs Main and exits
	// without any leak check.
	testscript.Main(leakChecked{m}, map[string]func(){
		"tracectl": func() { os.Exit(Main(os.Args[1:], render.System())) },
	})
}

// leakChecked runs the tests and then fails the run when a goroutine
// outlives them (goleak), the way goleak.VerifyTestMain would, but returns
// the exit code to testscript.Main instead of exiting.
type leakChecked struct{ m *testing.M }

func (l leakChecked) Run() (code int) {
	goleak.VerifyTestMain(l.m, goleak.Cleanup(func(c int) { code = c }))
	return code
}

// TestScripts runs the end-to-end scripts in testdata/script. Where
// ../shared/samples is beside the checkout, each script finds the real
// goldenSamples under $WORK/samples (copied into its work directory, never
// into the repository) and the condition [samples] holds; the scripts that
// read them skip without it.
func TestScripts(t *testing.T) {
	_, noSamples := os.Stat(filepath.Join(repoAbs, sharedSamplesDir))
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			dir := filepath.Join(env.WorkDir, "samples")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if noSamples == nil {
				if err := copyGoldenSamples(dir); err != nil {
					return err
				}
			}
			env.Setenv("SAMPLES", dir)
			// The reproducers of past wrong results, where shared/ is beside
			// the checkout (repro.txtar skips without them).
			env.Setenv("REPRO", filepath.Join(repoAbs, "../shared/repro"))
			env.Setenv("NO_COLOR", "")
			env.Setenv("CLICOLOR_FORCE", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// junit FILE TESTS FAILURES parses a JUnit report back and
			// checks its totals and that each suite's add up.
			"junit": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: junit FILE TESTS FAILURES")
				}
				ts.Check(checkJUnitFile(ts.MkAbs(args[0]), args[1], args[2]))
			},
			// compress gzip|zstd SRC DST [CUT] writes SRC compressed to DST,
			// less its last CUT bytes (a truncated file).
			"compress": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 3 || len(args) > 4 {
					ts.Fatalf("usage: compress gzip|zstd SRC DST [CUT]")
				}
				data, err := compressFor(args[0], []byte(ts.ReadFile(args[1])))
				ts.Check(err)
				if len(args) == 4 {
					cut, err := strconv.Atoi(args[3])
					ts.Check(err)
					data = data[:len(data)-cut]
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), data, 0o644))
			},
			// exitcode N CMD ARGS... runs CMD and checks its exit code is N.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				err := ts.Exec(args[1], args[2:]...)
				got := 0
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					got = exitErr.ExitCode()
				} else if err != nil {
					ts.Fatalf("%v", err)
				}
				if strconv.Itoa(got) != args[0] {
					ts.Fatalf("exit code %d, want %s", got, args[0])
				}
			},
		},
		// [repro]: shared/repro is beside the checkout; [samples]:
		// shared/samples is, and $WORK/samples holds its goldenSamples.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "repro":
				_, err := os.Stat(filepath.Join(repoAbs, "../shared/repro"))
				return err == nil, nil
			case "samples":
				return noSamples == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		RequireExplicitExec: true,
	})
}

// copyGoldenSamples copies the goldenSamples of sharedSamplesDir into dir,
// a script's work directory.
func copyGoldenSamples(dir string) error {
	for _, s := range goldenSamples {
		b, err := os.ReadFile(filepath.Join(repoAbs, sharedSamplesDir, s.file))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, s.file), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// runMain runs tracectl in-process on buffers (not a terminal).
func runMain(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	streams, in, out, errOut := render.Test()
	in.WriteString(stdin)
	code = Main(args, streams)
	return out.String(), errOut.String(), code
}

// checkGolden compares got with the golden file at path (relative to the
// repository root), or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	rendertest.CheckGolden(t, filepath.Join(repoAbs, path), got, *update, "go test ./cmd/tracectl -update")
}

// TestCompletionsMatchCommands fails when the committed completion scripts
// in completions/ drift from what the command tree generates; run
// `make completions` (or go test -update) to refresh them.
func TestCompletionsMatchCommands(t *testing.T) {
	for _, s := range completionShells {
		t.Run(s.shell, func(t *testing.T) {
			out, errOut, code := runMain(t, "", "completion", s.shell)
			if code != 0 {
				t.Fatalf("completion %s: exit %d: %s", s.shell, code, errOut)
			}
			if !strings.Contains(out, "tracectl") {
				t.Fatalf("completion %s does not mention tracectl", s.shell)
			}
			checkGolden(t, filepath.Join("completions", s.file), []byte(out))
		})
	}
}

// TestCompletionOffersCommandsAndFlags checks what the scripts ask tracectl
// for at completion time: every command, and each read command's flags.
func TestCompletionOffersCommandsAndFlags(t *testing.T) {
	out, _, code := runMain(t, "", "__complete", "")
	if code != 0 {
		t.Fatalf("__complete: exit %d", code)
	}
	for _, c := range []string{"show", "roots", "status", "preview", "spans", "completion", "version", "convert", "collect"} {
		if !strings.Contains(out, c+"\t") {
			t.Errorf("command %q not offered:\n%s", c, out)
		}
	}
	tests := map[string][]string{
		"show":    {"--depth", "--errors-only", "--attributes", "--events", "--no-fold", "--output", "--color"},
		"status":  {"--fail-on"},
		"preview": {"--width"},
		"spans":   {"--type", "--status", "--name", "--min-duration", "--sort"},
	}
	for cmd, flags := range tests {
		out, _, _ := runMain(t, "", "__complete", cmd, "--")
		for _, f := range flags {
			if !strings.Contains(out, f+"\t") && !strings.Contains(out, f+"\n") {
				t.Errorf("%s: flag %s not offered:\n%s", cmd, f, out)
			}
		}
	}
	out, _, _ = runMain(t, "", "__complete", "spans", "--sort", "")
	if got := strings.Fields(strings.Split(out, ":")[0]); gocmp.Diff([]string{"start", "duration", "name", "none"}, got) != "" {
		t.Errorf("--sort completions = %q", got)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	tests := [][]string{
		{"show", "--depth", "-1"},
		{"show", "--bogus"},
		{"show", "-o", "yaml"},
		{"status", "--fail-on", "warning"},
		{"spans", "--sort", "size"},
		{"spans", "--status", "fine"},
		{"spans", "--name", "[a-"},
		{"spans", "--min-duration", "soon"},
		{"preview", "--width", "-3"},
		{"completion", "tcsh"},
		{"completion"},
		{"--color", "sometimes", "roots"},
	}
	for _, args := range tests {
		_, errOut, code := runMain(t, "", args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut)
		}
		if !strings.HasPrefix(errOut, "tracectl: error: ") {
			t.Errorf("%q: stderr %q lacks the error prefix", args, errOut)
		}
	}
}

func TestNoInputFromATerminalIsAUsageError(t *testing.T) {
	streams, _, _, errOut := render.Test()
	streams.InTTY = true
	if code := Main([]string{"roots"}, streams); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut.String(), "tracectl: error: no input") || !strings.Contains(errOut.String(), "tracectl: hint: ") {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestMissingFileExits1WithHint(t *testing.T) {
	_, errOut, code := runMain(t, "", "show", filepath.Join(t.TempDir(), "nope.json"))
	if code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(errOut, "nope.json: no such file or directory") || !strings.Contains(errOut, "tracectl: hint: ") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, c := range []string{"show", "roots", "status", "preview", "spans", "completion"} {
		out, _, code := runMain(t, "", c, "--help")
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "tracectl "+c) {
			t.Errorf("%s --help (exit %d) has no examples:\n%s", c, code, out)
		}
	}
}

// compressFor compresses data with gzip or zstd.
func compressFor(kind string, data []byte) ([]byte, error) {
	var b bytes.Buffer
	var w io.WriteCloser
	switch kind {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "zstd":
		zw, err := zstd.NewWriter(&b)
		if err != nil {
			return nil, err
		}
		w = zw
	default:
		return nil, fmt.Errorf("unknown compression %q", kind)
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
