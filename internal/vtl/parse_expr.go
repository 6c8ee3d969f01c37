/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package vtl

import (
	"strings"
)

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// word consumes the keyword w when it stands alone (not the start of a longer word).
func (p *parser) word(w string) bool {
	if !strings.HasPrefix(p.src[p.pos:], w) {
		return false
	}
	if e := p.pos + len(w); e < len(p.src) && isWordChar(p.src[e]) {
		return false
	}
	p.pos += len(w)
	return true
}

// reference parses $name, $!name, ${name}, $!{name} with properties, indexes and method
// calls, starting at the '$' at i. It reports ok=false, consuming nothing, when no
// reference starts there (the '$' is then text). In text (lenient), a '[' that does not
// make an index ends the reference instead of failing, as "$price[USD]" should print.
func (p *parser) reference(i int, lenient bool) (ref *refExpr, quiet bool, end int, ok bool) {
	start := i
	src := p.src
	i++
	if i < len(src) && src[i] == '!' {
		quiet = true
		i++
	}
	braced := false
	if i < len(src) && src[i] == '{' {
		braced = true
		i++
	}
	if i >= len(src) || !isLetter(src[i]) && src[i] != '_' {
		return nil, false, start, false
	}
	j := i
	for j < len(src) && isIdentChar(src[j]) {
		j++
	}
	ref = &refExpr{off: p.base + start, name: src[i:j]}
	ref.slot = p.slot(ref.name)
	i = j
	for i < len(src) {
		c := src[i]
		if c == '.' && i+1 < len(src) && (isLetter(src[i+1]) || src[i+1] == '_') {
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			part := refPart{off: p.base + i + 1, kind: partProp, name: src[i+1 : j], key: newTapeKey(src[i+1 : j]), scope: scopeProps[src[i+1:j]]}
			i = j
			if i < len(src) && src[i] == '(' {
				part.kind = partMethod
				p.pos = i + 1
				part.args = p.args(')', "method call")
				i = p.pos
			}
			ref.parts = append(ref.parts, part)
			continue
		}
		if c == '[' {
			idx, next, good := p.index(i, lenient)
			if !good {
				break
			}
			ref.parts = append(ref.parts, refPart{off: p.base + i, kind: partIndex, args: []expr{idx}})
			i = next
			continue
		}
		break
	}
	if braced {
		if i >= len(src) || src[i] != '}' {
			return nil, false, start, false
		}
		i++
	}
	ref.props = len(ref.parts) > 0
	for k := range ref.parts {
		ref.props = ref.props && ref.parts[k].kind == partProp
	}
	return ref, quiet, i, true
}

// index parses "[expr]" at i. Lenient, a failure reports good=false instead of failing.
func (p *parser) index(i int, lenient bool) (e expr, next int, good bool) {
	if lenient {
		defer func() {
			if r := recover(); r != nil {
				if _, isParse := r.(parseError); !isParse {
					panic(r)
				}
				e, next, good = nil, i, false
			}
		}()
	}
	p.pos = i + 1
	e = p.expr()
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ']' {
		p.fail(p.base+i, "unclosed [ of an index")
	}
	return e, p.pos + 1, true
}

// args parses comma-separated expressions up to the closing byte.
func (p *parser) args(closing byte, what string) []expr {
	open := p.pos - 1
	var out []expr
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == closing {
		p.pos++
		return out
	}
	for {
		out = append(out, p.expr())
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.fail(p.base+open, "unclosed %s", what)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return out
		default:
			p.fail(p.base+p.pos, "expected , or %c in %s", closing, what)
		}
	}
}

// expr parses an expression: || over && over equality over comparison over + - over
// * / % over unary ! and - over primaries. Velocity's word forms (or and eq ne lt gt le ge
// not) are accepted too.
func (p *parser) expr() expr {
	p.enter(p.base + p.pos)
	defer p.leave()
	return p.orExpr()
}

func (p *parser) orExpr() expr {
	l := p.andExpr()
	for {
		p.skipSpace()
		off := p.base + p.pos
		if p.op("||") || p.word("or") {
			l = &binExpr{off: off, op: opOr, l: l, r: p.andExpr()}
			continue
		}
		return l
	}
}

func (p *parser) andExpr() expr {
	l := p.eqExpr()
	for {
		p.skipSpace()
		off := p.base + p.pos
		if p.op("&&") || p.word("and") {
			l = &binExpr{off: off, op: opAnd, l: l, r: p.eqExpr()}
			continue
		}
		return l
	}
}

func (p *parser) op(s string) bool {
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *parser) eqExpr() expr {
	l := p.relExpr()
	for {
		p.skipSpace()
		off := p.base + p.pos
		switch {
		case p.op("==") || p.word("eq"):
			l = &binExpr{off: off, op: opEq, l: l, r: p.relExpr()}
		case p.op("!=") || p.word("ne"):
			l = &binExpr{off: off, op: opNe, l: l, r: p.relExpr()}
		default:
			return l
		}
	}
}

func (p *parser) relExpr() expr {
	l := p.addExpr()
	for {
		p.skipSpace()
		off := p.base + p.pos
		var op binOp
		switch {
		case p.op("<=") || p.word("le"):
			op = opLe
		case p.op(">=") || p.word("ge"):
			op = opGe
		case p.op("<") || p.word("lt"):
			op = opLt
		case p.op(">") || p.word("gt"):
			op = opGt
		default:
			return l
		}
		l = &binExpr{off: off, op: op, l: l, r: p.addExpr()}
	}
}

func (p *parser) addExpr() expr {
	l := p.mulExpr()
	for {
		p.skipSpace()
		off := p.base + p.pos
		switch {
		case p.op("+"):
			l = &binExpr{off: off, op: opAdd, l: l, r: p.mulExpr()}
		case p.op("-"):
			l = &binExpr{off: off, op: opSub, l: l, r: p.mulExpr()}
		default:
			return l
		}
	}
}

func (p *parser) mulExpr() expr {
	l := p.unary()
	for {
		p.skipSpace()
		off := p.base + p.pos
		var op binOp
		switch {
		case p.op("*"):
			op = opMul
		case p.op("/"):
			op = opDiv
		case p.op("%"):
			op = opMod
		default:
			return l
		}
		l = &binExpr{off: off, op: op, l: l, r: p.unary()}
	}
}

func (p *parser) unary() expr {
	p.skipSpace()
	off := p.base + p.pos
	if p.pos < len(p.src) && p.src[p.pos] == '!' && (p.pos+1 >= len(p.src) || p.src[p.pos+1] != '=') {
		p.pos++
		p.enter(off)
		defer p.leave()
		return &unaryExpr{off: off, x: p.unary()}
	}
	if p.word("not") {
		p.enter(off)
		defer p.leave()
		return &unaryExpr{off: off, x: p.unary()}
	}
	if p.pos < len(p.src) && p.src[p.pos] == '-' {
		p.pos++
		p.enter(off)
		defer p.leave()
		x := p.unary()
		if lit, ok := x.(*litExpr); ok {
			switch v := lit.val.(type) {
			case int64:
				return &litExpr{off: off, val: -v}
			case float64:
				return &litExpr{off: off, val: -v}
			}
		}
		return &unaryExpr{off: off, neg: true, x: x}
	}
	return p.primary()
}

func (p *parser) primary() expr {
	p.skipSpace()
	off := p.base + p.pos
	if p.pos >= len(p.src) {
		p.fail(off, "expression expected, found the end of the template")
	}
	c := p.src[p.pos]
	switch {
	case c == '$':
		ref, _, end, ok := p.reference(p.pos, false)
		if !ok {
			p.fail(off, "a reference needs a name after $")
		}
		p.pos = end
		return ref
	case c == '"' || c == '\'':
		return p.stringLit()
	case isDigit(c):
		return p.number()
	case c == '(':
		p.pos++
		e := p.expr()
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			p.fail(off, "unclosed (")
		}
		p.pos++
		return e
	case c == '[':
		return p.listOrRange()
	case c == '{':
		return p.mapLit()
	case p.word("true"):
		return &litExpr{off: off, val: true}
	case p.word("false"):
		return &litExpr{off: off, val: false}
	case p.word("null"):
		return &litExpr{off: off, val: nil}
	}
	p.fail(off, "unexpected %q in an expression", string(rune(c)))
	return nil
}
