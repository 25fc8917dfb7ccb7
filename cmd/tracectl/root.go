package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"tracectl/internal/ingest"
	"tracectl/internal/render"
)

// Exit codes, documented in `tracectl --help` and the README.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitCheckFailed = 3
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError is a bad command line: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// checkFailedError is a --fail-on check that failed: exit 3. The command has
// already printed why.
type checkFailedError struct{ msg string }

func (e *checkFailedError) Error() string { return e.msg }

// hintError carries a hint printed after the error line.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// globalOptions are the flags every command has.
type globalOptions struct {
	color   string
	quiet   bool
	noPager bool

	pager *pager // the running pager, if any
}

// Main runs tracectl with args and returns the exit code.
func Main(args []string, streams *render.IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, streams)
}

func run(ctx context.Context, args []string, streams *render.IOStreams) int {
	opts := &globalOptions{}
	root := newRootCmdWith(streams, opts)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	// The output ends, and the user leaves the pager, before any error is
	// printed: it would be lost behind the pager's screen.
	if opts.pager.wait() {
		var check *checkFailedError
		if !errors.As(err, &check) {
			return exitOK // q pressed: what was not shown is not an error
		}
	}
	return reportError(streams, err)
}

// reportError prints err the house way and maps it to an exit code.
func reportError(streams *render.IOStreams, err error) int {
	if err == nil {
		return exitOK
	}
	var check *checkFailedError
	if errors.As(err, &check) {
		if check.msg != "" {
			fmt.Fprintf(streams.ErrOut, "tracectl: check failed: %s\n", check.msg)
		}
		return exitCheckFailed
	}
	var failed *ingest.FailedInputs
	if errors.As(err, &failed) {
		return exitError // each input's error was printed as it happened
	}
	printError(streams, err)
	var usage *usageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		return exitUsage
	}
	return exitError
}

// printError prints err the house way: the error line, the spot in the
// input for bad JSON, and the hint that names the fix.
func printError(streams *render.IOStreams, err error) {
	fmt.Fprintf(streams.ErrOut, "tracectl: error: %s\n", strings.TrimRight(err.Error(), "\n"))
	printErrorContext(streams, err)
	printQueryContext(streams, err)
	var hint interface{ Hint() string }
	if errors.As(err, &hint) && hint.Hint() != "" {
		fmt.Fprintf(streams.ErrOut, "tracectl: hint: %s\n", hint.Hint())
	}
}

// isCobraUsageError recognises the errors cobra and pflag return for bad
// command lines, which are not typed.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func newRootCmd(streams *render.IOStreams) *cobra.Command {
	return newRootCmdWith(streams, &globalOptions{})
}

func newRootCmdWith(streams *render.IOStreams, opts *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "tracectl",
		Short: "Read, check and convert LLM-application traces",
		Long: `tracectl reads MLflow (2.x and 3.x), OpenTelemetry (OTLP JSON), Jaeger and
Zipkin (v2) trace files, OpenTelemetry Python console dumps, Langfuse exports
and LangSmith runs, shows what happened, converts them to MLflow or OTLP,
sends them to OTLP receivers and gates CI pipelines.

Inputs are files, directories (their *.json, *.jsonl and *.ndjson files, in
name order, subdirectories too), "-" for stdin, or nothing (stdin). Every
schema can be mixed in one run. gzip and zstd inputs (stdin too) are read as
they are; line:col in errors count in the decompressed text.

On a terminal, reading that lasts more than a second shows a progress bar on
stderr (not with --quiet), and show, roots, status, preview, spans and check
page their output through $TRACECTL_PAGER, $PAGER or less -R (LESS=FRX when
unset); --no-pager or PAGER=cat prints straight to the terminal.

Exit codes:
  0  success
  1  error (bad input, unreadable file)
  2  usage error (bad flags or arguments)
  3  a check failed (check, status --fail-on, diff gates)`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := streams.SetColorMode(opts.color); err != nil {
				return &usageError{err}
			}
			streams.Quiet = opts.quiet
			opts.pager = startPager(cmd, streams, opts.noPager)
			gateTerminal(streams)
			return nil
		},
	}
	root.PersistentFlags().StringVar(&opts.color, "color", "auto", "color output: auto, always or never")
	root.PersistentFlags().BoolVarP(&opts.quiet, "quiet", "q", false, "print no warnings, progress bar or progress lines (errors are always printed)")
	root.PersistentFlags().BoolVar(&opts.noPager, "no-pager", false, "do not send output to a pager (on a terminal it goes to $PAGER, else less -R)")
	info, _ := debug.ReadBuildInfo()
	root.Version = versionText(version, info)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{cleanFlagError(err)} })
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)

	root.AddCommand(newVersionCmd(streams))
	addReadCommands(root, streams)
	root.AddCommand(NewCheckCmd(streams))
	root.AddCommand(NewDiffCmd(streams))
	root.AddCommand(NewReportCmd(streams))
	root.AddCommand(newConvertCmd(streams))
	root.AddCommand(newCollectCmd(streams))
	root.AddCommand(NewSendCmd(streams))
	root.AddCommand(newCompletionCmd(streams))
	return root
}

func newVersionCmd(streams *render.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the tracectl version",
		Long: `Print the tracectl version: the one stamped at build time (make build
stamps git describe), else the module version, then the VCS revision the
binary was built from (marked "modified" when the tree had changes) and the
Go version.`,
		Example: "  tracectl version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(streams.Out, versionText(version, info))
			return err
		},
	}
}

// versionText is the version line: "tracectl VERSION (REVISION[, modified],
// GOVERSION)", VERSION being the stamped one, else the module's, else "dev".
func versionText(stamped string, info *debug.BuildInfo) string {
	v := stamped
	if info == nil {
		return "tracectl " + v
	}
	if (v == "" || v == "dev") && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	var parts []string
	var rev string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, "revision "+rev)
		if modified {
			parts = append(parts, "modified")
		}
	}
	if info.GoVersion != "" {
		parts = append(parts, info.GoVersion)
	}
	if len(parts) == 0 {
		return "tracectl " + v
	}
	return "tracectl " + v + " (" + strings.Join(parts, ", ") + ")"
}

// cleanFlagError says what a flag value should be instead of passing on
// the Go parser's words (`strconv.ParseInt: parsing "x": invalid syntax`).
func cleanFlagError(err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) {
		return err
	}
	name := "--" + ive.GetFlag().Name
	want := "a valid value"
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange):
		want = "a number in range"
	case errors.As(err, &ne) && ne.Func == "ParseBool":
		want = "true or false"
	case errors.As(err, &ne) && ne.Func == "ParseFloat":
		want = "a number"
	case errors.As(err, &ne):
		want = "a whole number"
	case ive.GetFlag().Value.Type() == "duration":
		want = "a duration such as 500ms, 30s or 5m"
	default:
		return err // a flag's own message (its Set error) says it
	}
	return fmt.Errorf("invalid argument %q for %s: want %s", ive.GetValue(), name, want)
}
