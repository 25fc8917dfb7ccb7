package query

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Check is one named assertion of `tracectl check`: every trace in scope
// must match Query (Expect) or must not match it (forbid).
type Check struct {
	Name   string
	Expect bool   // true: expect; false: forbid
	Query  *Query // the expression
	Traces *Query // the traces in scope; nil: every trace
}

// Kind is "expect" or "forbid".
func (c *Check) Kind() string {
	if c.Expect {
		return "expect"
	}
	return "forbid"
}

// ParseSpec reads a spec file: a "checks" list whose items have a name, an
// expect or a forbid expression, and optionally traces (an expression that
// scopes the check to the traces that match it). Errors are *Error values
// placed at file:line:col, in expressions too.
func ParseSpec(file string, data []byte) ([]Check, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty spec: want a \"checks\" list"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nodeError(file, data, doc, "want a mapping with a \"checks\" list")
	}
	var list *yaml.Node
	for k := 0; k+1 < len(doc.Content); k += 2 {
		key := doc.Content[k]
		if key.Value != "checks" {
			return nil, nodeError(file, data, key, "unknown key %q: a spec has a \"checks\" list", key.Value)
		}
		list = doc.Content[k+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		at := doc
		if list != nil {
			at = list
		}
		return nil, nodeError(file, data, at, "\"checks\" must be a non-empty list of checks")
	}
	var checks []Check
	names := map[string]int{}
	for _, item := range list.Content {
		c, err := parseCheck(file, data, item)
		if err != nil {
			return nil, err
		}
		if line, dup := names[c.Name]; dup {
			return nil, nodeError(file, data, item, "check %q is named twice (first on line %d)", c.Name, line)
		}
		names[c.Name] = item.Line
		checks = append(checks, c)
	}
	return checks, nil
}

func parseCheck(file string, data []byte, item *yaml.Node) (Check, error) {
	var c Check
	if item.Kind != yaml.MappingNode {
		return c, nodeError(file, data, item, "a check is a mapping with name and expect or forbid")
	}
	var expr, scope *yaml.Node
	for k := 0; k+1 < len(item.Content); k += 2 {
		key, val := item.Content[k], item.Content[k+1]
		if val.Kind != yaml.ScalarNode {
			return c, nodeError(file, data, val, "%s must be text", key.Value)
		}
		switch key.Value {
		case "name":
			c.Name = val.Value
		case "expect", "forbid":
			if expr != nil {
				return c, nodeError(file, data, key, "a check has one expect or forbid; make another check")
			}
			expr, c.Expect = val, key.Value == "expect"
		case "traces":
			scope = val
		default:
			return c, nodeError(file, data, key, "unknown key %q: a check has name, expect or forbid, and traces", key.Value)
		}
	}
	if expr == nil {
		return c, nodeError(file, data, item, "check %q has no expect or forbid", c.Name)
	}
	if c.Name == "" {
		c.Name = strings.TrimSpace(expr.Value)
	}
	var err error
	if c.Query, err = parseAt(file, data, expr); err != nil {
		return c, err
	}
	if scope != nil {
		if c.Traces, err = parseAt(file, data, scope); err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseAt parses the expression of a YAML scalar and places an error in
// the file: the scalar's line and column plus the error's within it.
func parseAt(file string, data []byte, n *yaml.Node) (*Query, error) {
	q, err := Parse(n.Value)
	var e *Error
	if !errors.As(err, &e) {
		return q, err
	}
	line, col := n.Line, n.Column
	switch n.Style {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		col++ // the opening quote
	case yaml.LiteralStyle, yaml.FoldedStyle:
		line++ // the text starts on the next line, indented
		col = 1
	}
	switch {
	case n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle:
		// The block's lines keep what they have beyond its indentation.
		col = indentOf(fileLine(data, line)) + 1
		line += e.Line - 1
	case e.Line > 1:
		// A quoted or plain scalar over several lines: each continuation
		// line loses its leading blanks.
		line += e.Line - 1
		col = indentOf(fileLine(data, line)) + 1
	}
	col += e.Col - 1
	src := fileLine(data, line)
	return nil, &Error{File: file, Line: line, Col: col, Msg: e.Msg, Source: src, SourceCol: col}
}

func fileLine(data []byte, line int) string {
	for k := 1; k < line; k++ {
		i := strings.IndexByte(string(data), '\n')
		if i < 0 {
			return ""
		}
		data = data[i+1:]
	}
	if i := strings.IndexByte(string(data), '\n'); i >= 0 {
		data = data[:i]
	}
	return strings.TrimRight(string(data), "\r")
}

func indentOf(s string) int {
	return utf8.RuneCountInString(s) - utf8.RuneCountInString(strings.TrimLeft(s, " \t"))
}

func nodeError(file string, data []byte, n *yaml.Node, format string, a ...any) *Error {
	return &Error{File: file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, a...), Source: fileLine(data, n.Line), SourceCol: n.Column}
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into an Error
// at that line.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
		return &Error{File: file, Line: line, Col: 1, Msg: "bad YAML: " + msg}
	}
	return &Error{File: file, Msg: "bad YAML: " + msg}
}
