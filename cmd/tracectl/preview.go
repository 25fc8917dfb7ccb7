package main

import (
	"context"

	"github.com/spf13/cobra"

	"tracectl/internal/render"
)

type previewOptions struct {
	streams *render.IOStreams
	ctx     context.Context
	inputs  []string
	output  string
	width   int
	where   string
}

// NewPreviewCmd builds `tracectl preview`.
func NewPreviewCmd(streams *render.IOStreams) *cobra.Command {
	opts := &previewOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "preview [FILE|-]...",
		Short: "Print each trace's request and response previews",
		Long: `Print each trace's request and response previews. They come from the root
span's inputs and outputs, or from the trace info. Chat-shaped payloads show
the words, not the JSON: the last user message of "messages" or of a
Responses-API "input", and "choices[0].message.content" or the Responses-API
"output[].content[].text". A plain-text preview in the trace info is kept.

--width clips each preview to that many columns (default: the terminal width,
or 200 in a pipe); with -o json the previews are whole unless --width is set.
Each trace is written as soon as it is complete, in every output format.`,
		Example: `  tracectl preview trace.json
  tracectl preview --width 60 traces/*.json
  tracectl preview -o jsonl dump.jsonl | jq -r .request`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			opts.inputs = args
			return runPreview(opts)
		},
	}
	cmd.Flags().IntVar(&opts.width, "width", 0, "clip previews to this many columns (0: automatic)")
	addOutputFlag(cmd, &opts.output)
	addWhereFlag(cmd, &opts.where, "preview only the traces that match")
	return cmd
}

func runPreview(opts *previewOptions) error {
	if err := checkOutput(opts.output); err != nil {
		return err
	}
	if opts.width < 0 {
		return usageErrorf("invalid --width %d: want 0 (automatic) or more", opts.width)
	}
	where, err := parseWhere(opts.where)
	if err != nil {
		return err
	}
	if opts.output != outputText {
		out := newJSONStream(opts.streams, opts.output)
		err := streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
			if !whereKeeps(where, v) {
				return nil
			}
			if err := out.write(v.PreviewJSON(opts.width)); err != nil {
				return err
			}
			return out.endTrace()
		})
		if fatal(err) {
			return err
		}
		return afterRead(err, out.close())
	}
	p := render.NewPrinter(opts.streams)
	limit, first := p.PreviewLimit(opts.width), true
	err = streamArgs(opts.ctx, opts.streams, opts.inputs, func(v *render.TraceView) error {
		if !whereKeeps(where, v) {
			return nil
		}
		p.PreviewRow(v.PreviewJSON(limit), first)
		first = false
		return p.Flush()
	})
	if fatal(err) {
		return err
	}
	return afterRead(err, p.Flush())
}
