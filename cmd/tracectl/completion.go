package main

import (
	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

// completionShells are the shells `tracectl completion` writes scripts for,
// and the file each script is committed as under completions/.
var completionShells = []struct{ shell, file string }{
	{"bash", "tracectl.bash"},
	{"zsh", "_tracectl"},
	{"fish", "tracectl.fish"},
	{"powershell", "tracectl.ps1"},
}

// newCompletionCmd builds `tracectl completion SHELL`.
func newCompletionCmd(streams *render.IOStreams) *cobra.Command {
	shells := make([]string, 0, len(completionShells))
	for _, s := range completionShells {
		shells = append(shells, s.shell)
	}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Generate shell completions",
		Long: `Write the completion script for a shell to standard output. The same
scripts are in the completions/ directory of the source tree.`,
		Example: `  tracectl completion bash > /etc/bash_completion.d/tracectl
  tracectl completion zsh > "${fpath[1]}/_tracectl"
  tracectl completion fish > ~/.config/fish/completions/tracectl.fish
  tracectl completion powershell | Out-String | Invoke-Expression`,
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("completion needs one shell: bash, zsh, fish or powershell (e.g. tracectl completion bash)")
			}
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return usageErrorf("unknown shell %q: want bash, zsh, fish or powershell", args[0])
			}
			return nil
		},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			out := streams.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usageErrorf("unknown shell %q: want bash, zsh, fish or powershell", args[0])
		},
	}
}
