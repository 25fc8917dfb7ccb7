package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDuration
	tLBrace // {
	tRBrace // }
	tLParen // (
	tRParen // )
	tPipe   // |
	tAnd    // &&
	tOr     // ||
	tNot    // !
	tEq     // =
	tNeq    // !=
	tLt     // <
	tLe     // <=
	tGt     // >
	tGe     // >=
	tRe     // =~
	tNre    // !~
	tDesc   // >>
	tComma  // ,
)

var tokNames = [...]string{
	tEOF: "end of expression", tIdent: "name", tString: "string", tNumber: "number",
	tDuration: "duration", tLBrace: "{", tRBrace: "}", tLParen: "(", tRParen: ")",
	tPipe: "|", tAnd: "&&", tOr: "||", tNot: "!", tEq: "=", tNeq: "!=", tLt: "<",
	tLe: "<=", tGt: ">", tGe: ">=", tRe: "=~", tNre: "!~", tDesc: ">>", tComma: ",",
}

func (k tokKind) String() string { return tokNames[k] }

// token is one lexeme; pos is its byte offset in the expression.
type token struct {
	kind tokKind
	pos  int
	text string  // the source text (identifiers: the name)
	str  string  // tString: the unquoted value
	num  float64 // tNumber
	dur  time.Duration
}

// lex splits src into tokens. Identifiers take letters, digits and
// "_ . : -" after a letter, so `span.gen_ai.tool.name` and `trace:tag.env`
// are one token each.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '"' || c == '\'' || c == '`':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, pos: i, text: src[i : i+n], str: s})
			i += n
			continue
		case c >= '0' && c <= '9' || (c == '.' || c == '-') && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			t, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
			continue
		case isIdentStart(src, i):
			j := i
			for j < len(src) {
				r, n := utf8.DecodeRuneInString(src[j:])
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == ':' || r == '-' && j > i) {
					break
				}
				j += n
			}
			toks = append(toks, token{kind: tIdent, pos: i, text: src[i:j]})
			i = j
			continue
		}
		two := ""
		if i+1 < len(src) {
			two = src[i : i+2]
		}
		kind, n := tEOF, 2
		switch two {
		case "&&":
			kind = tAnd
		case "||":
			kind = tOr
		case "!=":
			kind = tNeq
		case "<=":
			kind = tLe
		case ">=":
			kind = tGe
		case "=~":
			kind = tRe
		case "!~":
			kind = tNre
		case ">>":
			kind = tDesc
		case "==":
			kind = tEq // forgiving: == means =
		}
		if kind == tEOF {
			n = 1
			switch c {
			case '{':
				kind = tLBrace
			case '}':
				kind = tRBrace
			case '(':
				kind = tLParen
			case ')':
				kind = tRParen
			case '|':
				kind = tPipe
			case '!':
				kind = tNot
			case '=':
				kind = tEq
			case '<':
				kind = tLt
			case '>':
				kind = tGt
			case ',':
				kind = tComma
			default:
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errorAt(src, i, "unexpected character %q", r)
			}
		}
		toks = append(toks, token{kind: kind, pos: i, text: src[i : i+n]})
		i += n
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}

func isIdentStart(src string, i int) bool {
	r, _ := utf8.DecodeRuneInString(src[i:])
	return unicode.IsLetter(r) || r == '_'
}

// lexString reads a quoted string at src[i]: "..." and '...' take Go
// escapes (\" \\ \n \t \uXXXX); `...` is raw, handy for regular
// expressions. n is the length of the literal in src.
func lexString(src string, i int) (s string, n int, err error) {
	q := src[i]
	j := i + 1
	for j < len(src) {
		switch src[j] {
		case '\\':
			if q == '`' {
				j++
				continue
			}
			j += 2
			continue
		case q:
			lit := src[i : j+1]
			if q == '`' {
				return lit[1 : len(lit)-1], len(lit), nil
			}
			body := lit[1 : len(lit)-1]
			if q == '\'' {
				// Go has no single-quoted strings: requote as "...".
				body = strings.ReplaceAll(strings.ReplaceAll(body, `\'`, `'`), `"`, `\"`)
			}
			v, uerr := strconv.Unquote(`"` + body + `"`)
			if uerr != nil {
				return "", 0, errorAt(src, i, "bad escape in string %s", lit)
			}
			return v, len(lit), nil
		case '\n':
			if q != '`' {
				return "", 0, errorAt(src, i, "string not closed before the end of the line")
			}
		}
		j++
	}
	return "", 0, errorAt(src, i, "string not closed")
}

// lexNumber reads a number or a duration (a number followed by a unit:
// ns, us, µs, ms, s, m, h; several parts such as 1m30s).
func lexNumber(src string, i int) (token, error) {
	j := i
	if src[j] == '-' {
		j++
	}
	for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == '_') {
		j++
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && src[k] >= '0' && src[k] <= '9' {
			for k < len(src) && src[k] >= '0' && src[k] <= '9' {
				k++
			}
			j = k
		}
	}
	k := j
	for k < len(src) {
		r, n := utf8.DecodeRuneInString(src[k:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.') {
			break
		}
		k += n
	}
	text := src[i:k]
	if k > j {
		d, err := time.ParseDuration(text)
		if err != nil {
			return token{}, errorAt(src, i, "bad duration %q: want a number and a unit (ns, us, ms, s, m, h), e.g. 500ms or 1m30s", text)
		}
		return token{kind: tDuration, pos: i, text: text, dur: d}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, errorAt(src, i, "bad number %q", text)
	}
	return token{kind: tNumber, pos: i, text: text, num: f}, nil
}

// Error is a bad expression or spec: where it is and what is wrong. File
// and Line are set for an expression read from a spec file.
type Error struct {
	File string
	Line int // 1-based; 0 for a command-line expression
	Col  int // 1-based, in characters
	Msg  string
	// Source is the expression's line, for a caret under Col (in the
	// expression: Col counts from the start of the spec file's line when
	// File is set, else from the start of the expression).
	Source    string
	SourceCol int // Col within Source
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 1:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// errorAt makes an Error at byte offset off of src: its line and column
// (in characters) within src.
func errorAt(src string, off int, format string, a ...any) *Error {
	off = min(max(off, 0), len(src))
	line, start := 1, 0
	for k := 0; k < off; k++ {
		if src[k] == '\n' {
			line, start = line+1, k+1
		}
	}
	end := strings.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += start
	}
	col := utf8.RuneCountInString(src[start:off]) + 1
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, a...), Source: src[start:end], SourceCol: col}
}
