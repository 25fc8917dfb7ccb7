// Package render turns traces into what people read: span trees, tables,
// waterfalls, previews and JSON output. It also owns IOStreams, the single
// answer to every terminal question (TTY, color, width).
package render
