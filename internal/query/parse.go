package query

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Query is a parsed expression, ready to evaluate on any number of traces
// (concurrently too: evaluation keeps its state per call).
type Query struct {
	Source string
	set    setNode
	agg    *aggNode // nil: no pipeline
	nTrace int      // trace-level fields, each with its slot in evalState
}

// setNode is an expression that yields a span set.
type setNode interface{ position() int }

// selectNode is `{ cond }`; a nil cond selects every span.
type selectNode struct {
	cond condNode
	pos  int
}

// setOpNode is `L && R`, `L || R`, `L > R` or `L >> R` on span sets.
type setOpNode struct {
	op   tokKind
	l, r setNode
	pos  int
}

func (n *selectNode) position() int { return n.pos }
func (n *setOpNode) position() int  { return n.pos }

// condNode is a condition on one span.
type condNode interface{}

type andCond struct{ l, r condNode }
type orCond struct{ l, r condNode }
type notCond struct{ x condNode }
type constCond struct{ v bool }

// cmpCond is `field op literal`.
type cmpCond struct {
	f   *field
	op  tokKind
	lit value
	re  *regexp.Regexp // =~ and !~
}

// aggNode is `| fn(field) op literal`.
type aggNode struct {
	fn  string // count, sum, avg, min, max
	f   *field // nil for count
	op  tokKind
	lit value
	pos int
}

// Parse parses a query. A bad one gives an *Error with the column of the
// offending token.
func Parse(src string) (*Query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, q: &Query{Source: src}}
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek().pos, "empty expression: want a span selector such as { status = error }")
	}
	set, err := p.setExpr()
	if err != nil {
		return nil, err
	}
	p.q.set = set
	if p.peek().kind == tPipe {
		p.next()
		if p.q.agg, err = p.aggregate(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != tEOF {
		hint := ""
		if t.kind == tPipe {
			hint = ": one aggregate per expression"
		}
		return nil, p.errAt(t.pos, "unexpected %s%s", describe(t), hint)
	}
	return p.q, nil
}

// MustParse is Parse for expressions known to be good (tests, examples).
func MustParse(src string) *Query {
	q, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return q
}

type parser struct {
	src  string
	toks []token
	i    int
	q    *Query
	// depth bounds nesting, so a hostile expression cannot overflow the
	// stack of the recursive-descent parser or of the evaluator.
	depth int
}

const maxDepth = 200

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(pos int, format string, a ...any) error {
	return errorAt(p.src, pos, format, a...)
}

func (p *parser) expect(k tokKind, what string) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, p.errAt(t.pos, "want %s, found %s", what, describe(t))
	}
	return t, nil
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tIdent, tNumber, tDuration, tString:
		return fmt.Sprintf("%s %s", t.kind, t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// setExpr: setAnd { || setAnd }
func (p *parser) setExpr() (setNode, error) {
	l, err := p.setAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		t := p.next()
		r, err := p.setAnd()
		if err != nil {
			return nil, err
		}
		l = &setOpNode{op: tOr, l: l, r: r, pos: t.pos}
	}
	return l, nil
}

// setAnd: setStruct { && setStruct }
func (p *parser) setAnd() (setNode, error) {
	l, err := p.setStruct()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		t := p.next()
		r, err := p.setStruct()
		if err != nil {
			return nil, err
		}
		l = &setOpNode{op: tAnd, l: l, r: r, pos: t.pos}
	}
	return l, nil
}

// setStruct: setPrimary { (> | >>) setPrimary }
func (p *parser) setStruct() (setNode, error) {
	l, err := p.setPrimary()
	if err != nil {
		return nil, err
	}
	for k := p.peek().kind; k == tGt || k == tDesc; k = p.peek().kind {
		t := p.next()
		r, err := p.setPrimary()
		if err != nil {
			return nil, err
		}
		l = &setOpNode{op: k, l: l, r: r, pos: t.pos}
	}
	return l, nil
}

// setPrimary: { [cond] } | ( setExpr )
func (p *parser) setPrimary() (setNode, error) {
	t := p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch t.kind {
	case tLBrace:
		n := &selectNode{pos: t.pos}
		if p.peek().kind == tRBrace {
			p.next()
			return n, nil
		}
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		n.cond = c
		if e := p.peek(); e.kind != tRBrace {
			return nil, p.errAt(e.pos, "want } or an operator (&& ||), found %s", describe(e))
		}
		p.next()
		return n, nil
	case tLParen:
		s, err := p.setExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, ")"); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, p.errAt(t.pos, "want a span selector { ... }, found %s", describe(t))
}

// cond: condAnd { || condAnd }
func (p *parser) cond() (condNode, error) {
	l, err := p.condAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		r, err := p.condAnd()
		if err != nil {
			return nil, err
		}
		l = &orCond{l, r}
	}
	return l, nil
}

// condAnd: condUnary { && condUnary }
func (p *parser) condAnd() (condNode, error) {
	l, err := p.condUnary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		r, err := p.condUnary()
		if err != nil {
			return nil, err
		}
		l = &andCond{l, r}
	}
	return l, nil
}

// condUnary: ! condUnary | ( cond ) | true | false | field op literal
func (p *parser) condUnary() (condNode, error) {
	t := p.peek()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case t.kind == tNot:
		p.next()
		x, err := p.condUnary()
		if err != nil {
			return nil, err
		}
		return &notCond{x}, nil
	case t.kind == tLParen:
		p.next()
		c, err := p.cond()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, ")"); err != nil {
			return nil, err
		}
		return c, nil
	case t.kind == tIdent && (t.text == "true" || t.text == "false"):
		p.next()
		return &constCond{t.text == "true"}, nil
	case t.kind == tIdent:
		return p.comparison()
	}
	return nil, p.errAt(t.pos, "want a field (name, status, duration, type, span.KEY, ...), found %s", describe(t))
}

func (p *parser) comparison() (condNode, error) {
	ft := p.next()
	f, err := p.field(ft)
	if err != nil {
		return nil, err
	}
	ot := p.next()
	if !isCmpOp(ot.kind) {
		return nil, p.errAt(ot.pos, "want a comparison (= != < <= > >= =~ !~) after %s, found %s", ft.text, describe(ot))
	}
	c := &cmpCond{f: f, op: ot.kind}
	lt := p.next()
	if c.lit, err = p.literal(lt, f); err != nil {
		return nil, err
	}
	if err := p.checkCmp(f, ot, lt, c.lit); err != nil {
		return nil, err
	}
	if ot.kind == tRe || ot.kind == tNre {
		// Anchored as in TraceQL: the whole value must match.
		re, err := regexp.Compile(`^(?:` + c.lit.s + `)$`)
		if err != nil {
			return nil, p.errAt(lt.pos, "bad regular expression %s: %v", lt.text, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		c.re = re
	}
	return c, nil
}

func isCmpOp(k tokKind) bool {
	switch k {
	case tEq, tNeq, tLt, tLe, tGt, tGe, tRe, tNre:
		return true
	}
	return false
}

func isOrderOp(k tokKind) bool { return k == tLt || k == tLe || k == tGt || k == tGe }

// literal reads the value compared with f. Bare words are the values of
// f's enumeration (status = error), true, false and nil.
func (p *parser) literal(t token, f *field) (value, error) {
	switch t.kind {
	case tString:
		if f != nil && f.enum != nil {
			return strVal(strings.ToLower(t.str)), nil
		}
		if f != nil && f.upper {
			return strVal(strings.ToUpper(t.str)), nil
		}
		return strVal(t.str), nil
	case tNumber:
		return numVal(t.num), nil
	case tDuration:
		return durVal(t.dur), nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return boolVal(t.text == "true"), nil
		case "nil":
			return value{}, nil
		}
		if f != nil && f.enum != nil {
			return strVal(strings.ToLower(t.text)), nil
		}
		return value{}, p.errAt(t.pos, "unknown value %s: quote a string (\"%s\")", t.text, t.text)
	}
	return value{}, p.errAt(t.pos, "want a value (a string, number, duration, true, false or nil), found %s", describe(t))
}

// checkCmp refuses comparisons that can never hold, at the literal's
// column: a duration with a number, a status with a word it cannot have.
func (p *parser) checkCmp(f *field, op, lt token, lit value) error {
	if lit.k == vNone {
		if op.kind != tEq && op.kind != tNeq {
			return p.errAt(op.pos, "nil compares with = or != only")
		}
		return nil
	}
	if op.kind == tRe || op.kind == tNre {
		if lt.kind != tString {
			return p.errAt(lt.pos, "%s takes a regular expression in quotes, found %s", op.text, describe(lt))
		}
		if f.typ == vDur || f.typ == vNum {
			return p.errAt(op.pos, "%s is a %s: regular expressions match text fields", f.name, kindName(f.typ))
		}
		return nil
	}
	if lit.k == vBool && isOrderOp(op.kind) {
		return p.errAt(op.pos, "true and false compare with = or != only")
	}
	if f.enum != nil {
		if isOrderOp(op.kind) {
			return p.errAt(op.pos, "%s compares with = != =~ !~ only", f.name)
		}
		if lit.k != vStr || !containsStr(f.enum, lit.s) {
			return p.errAt(lt.pos, "%s is one of %s, not %s", f.name, strings.Join(f.enum, ", "), lt.text)
		}
		return nil
	}
	if f.typ != vAny && lit.k != f.typ {
		example := map[vkind]string{vDur: "a duration such as 500ms or 2s", vNum: "a number", vStr: "a string in quotes"}[f.typ]
		return p.errAt(lt.pos, "%s is a %s: compare it with %s, not %s", f.name, kindName(f.typ), example, lt.text)
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// aggregate: count() | sum(F) | avg(F) | min(F) | max(F), then op literal.
func (p *parser) aggregate() (*aggNode, error) {
	t := p.next()
	if t.kind != tIdent {
		return nil, p.errAt(t.pos, "want an aggregate (count(), sum(F), avg(F), min(F), max(F)) after |, found %s", describe(t))
	}
	n := &aggNode{fn: t.text, pos: t.pos}
	switch t.text {
	case "count", "sum", "avg", "min", "max":
	default:
		return nil, p.errAt(t.pos, "unknown aggregate %s: want count, sum, avg, min or max", t.text)
	}
	if _, err := p.expect(tLParen, "( after "+t.text); err != nil {
		return nil, err
	}
	if t.text != "count" {
		ft := p.next()
		if ft.kind != tIdent {
			return nil, p.errAt(ft.pos, "%s takes a field, e.g. %s(duration), found %s", t.text, t.text, describe(ft))
		}
		f, err := p.field(ft)
		if err != nil {
			return nil, err
		}
		if f.typ == vStr || f.enum != nil {
			return nil, p.errAt(ft.pos, "%s(%s): %s is not a number or a duration", t.text, ft.text, ft.text)
		}
		n.f = f
	}
	if _, err := p.expect(tRParen, ")"); err != nil {
		return nil, err
	}
	ot := p.next()
	if !isCmpOp(ot.kind) || ot.kind == tRe || ot.kind == tNre {
		return nil, p.errAt(ot.pos, "want a comparison (= != < <= > >=) after %s(), found %s", t.text, describe(ot))
	}
	n.op = ot.kind
	lt := p.next()
	lit, err := p.literal(lt, nil)
	if err != nil {
		return nil, err
	}
	want := vNum
	if n.f != nil && n.f.typ == vDur {
		want = vDur
	}
	if lit.k != want && !(n.f != nil && n.f.typ == vAny && (lit.k == vNum || lit.k == vDur)) {
		return nil, p.errAt(lt.pos, "%s() compares with %s, not %s", t.text, map[vkind]string{vNum: "a number", vDur: "a duration such as 2s"}[want], lt.text)
	}
	n.lit = lit
	return n, nil
}

// durationText prints a duration the way literals are written.
func durationText(d time.Duration) string { return d.String() }
