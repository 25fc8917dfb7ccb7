package main

// Placeholders for commands that are being built in parallel; each is
// replaced by its own file.

import (
	"errors"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

var errNotBuilt = errors.New("this command is not built yet")

func stubCmd(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func newConvertCmd(_ *render.IOStreams) *cobra.Command {
	return stubCmd("convert", "Convert traces between MLflow v2, MLflow v3 and OTLP JSON")
}
