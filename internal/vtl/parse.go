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
	"fmt"
	"strings"
)

// MaxTemplateSize is API Gateway's limit on a mapping template: 300 KB.
const MaxTemplateSize = 300 * 1024

// maxDepth bounds the nesting of blocks and expressions, so that no template can exhaust
// the parser's or the evaluator's stack.
const maxDepth = 100

// Template is a parsed template, safe for concurrent evaluations.
type Template struct {
	src   string
	nodes []node
	names []string // variable slots, by name
	paths pathCache
	// ctxKeys and ctxAll are what ContextKeys answers.
	ctxKeys []string
	ctxAll  bool
	// velocityVars: the template reads $velocityCount or $velocityHasNext.
	velocityVars bool
}

// Source returns the template's text.
func (t *Template) Source() string { return t.src }

// Static reports whether the template is text only, with nothing to evaluate (no reference,
// directive, comment or escape): whatever the environment, it renders as its source.
func (t *Template) Static() bool {
	var b strings.Builder
	for _, n := range t.nodes {
		tn, ok := n.(*textNode)
		if !ok {
			return false
		}
		b.WriteString(tn.text)
	}
	return b.String() == t.src
}

// The variables every template has, in their fixed slots.
const (
	slotInput = iota
	slotUtil
	slotContext
	slotStageVariables
	slotForeach
	slotVelocityCount
	slotVelocityHasNext
	numFixedSlots
)

var fixedNames = [numFixedSlots]string{"input", "util", "context", "stageVariables", "foreach", "velocityCount", "velocityHasNext"}

type parser struct {
	src   string // the text being parsed: the template, or a string literal's content
	base  int    // offset of src in the template
	pos   int
	depth int
	top   string // the whole template, for error positions
	slots map[string]int
	names *[]string
	text  []byte // pending literal output
}

// parseError is what the parser panics with; Parse recovers it and nothing else.
type parseError struct{ err *Error }

func (p *parser) fail(off int, format string, args ...any) {
	line, col := lineCol(p.top, off)
	panic(parseError{&Error{Kind: KindSyntax, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}})
}

// Parse parses a template. A template over MaxTemplateSize, or one that does not parse, is
// refused with an *Error carrying the line and column of the problem.
func Parse(src string) (t *Template, err error) {
	if len(src) > MaxTemplateSize {
		return nil, &Error{Kind: KindLimit, Line: 1, Column: 1, Msg: fmt.Sprintf("template is %d bytes, more than the 300 KB allowed", len(src))}
	}
	names := append([]string(nil), fixedNames[:]...)
	// depth -1: the template's own top level is no nesting; 100 #if within each other are.
	p := &parser{src: src, top: src, slots: make(map[string]int), names: &names, depth: -1}
	for i, n := range names {
		p.slots[n] = i
	}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			t, err = nil, pe.err
		}
	}()
	nodes, term, off := p.block()
	if term != "" {
		p.fail(off, "#%s without a matching #if or #foreach", term)
	}
	t = &Template{src: src, nodes: nodes, names: names}
	t.ctxKeys, t.ctxAll, t.velocityVars, err = scanRefs(src, nodes)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (p *parser) slot(name string) int {
	if i, ok := p.slots[name]; ok {
		return i
	}
	i := len(*p.names)
	*p.names = append(*p.names, name)
	p.slots[name] = i
	return i
}

func (p *parser) enter(off int) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(off, "nesting deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// flush turns the pending text into a node.
func (p *parser) flush(nodes []node) []node {
	if len(p.text) == 0 {
		return nodes
	}
	nodes = append(nodes, &textNode{off: p.base + p.pos, text: string(p.text)})
	p.text = p.text[:0]
	return nodes
}

// block parses nodes up to the end of the input or a #end, #else or #elseif, which it
// consumes and reports with its offset. #end and #else eat the rest of their line when it
// is blank, as Velocity 1.x does; #elseif's condition is left to the caller.
func (p *parser) block() (nodes []node, term string, termOff int) {
	p.enter(p.base + p.pos)
	defer p.leave()
	saved := p.text
	p.text = nil
	defer func() { p.text = saved }()
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '$':
			start := p.pos
			if ref, quiet, end, ok := p.reference(start, true); ok {
				nodes = p.flush(nodes)
				nodes = append(nodes, &refNode{off: p.base + start, quiet: quiet, raw: p.src[start:end], ref: ref})
				p.pos = end
			} else {
				p.text = append(p.text, '$')
				p.pos++
			}
		case '\\':
			nodes = p.backslashes(nodes)
		case '#':
			var n node
			var stop bool
			nodes, n, term, stop = p.hash(nodes)
			if stop {
				return runs(p.flush(nodes)), term, n.offset()
			}
			if n != nil {
				nodes = p.flush(nodes)
				nodes = append(nodes, n)
			}
		default:
			end := p.pos + 1
			for end < len(p.src) && p.src[end] != '$' && p.src[end] != '#' && p.src[end] != '\\' {
				end++
			}
			p.text = append(p.text, p.src[p.pos:end]...)
			p.pos = end
		}
	}
	return runs(p.flush(nodes)), "", 0
}

// backslashes handles a run of backslashes: before a reference it makes an escaped
// reference, before a directive half of them print and an odd one prints the directive's
// name as text, anywhere else they are text.
func (p *parser) backslashes(nodes []node) []node {
	start := p.pos
	end := start
	for end < len(p.src) && p.src[end] == '\\' {
		end++
	}
	n := end - start
	if end < len(p.src) && p.src[end] == '$' {
		if ref, quiet, refEnd, ok := p.reference(end, true); ok {
			nodes = p.flush(nodes)
			rn := &refNode{off: p.base + end, quiet: quiet, raw: p.src[end:refEnd], ref: ref}
			nodes = append(nodes, &escRefNode{off: p.base + start, backslashes: n, ref: rn})
			p.pos = refEnd
			return nodes
		}
	}
	if end < len(p.src) && p.src[end] == '#' {
		if name, nameEnd := p.directiveName(end + 1); isDirective(name) {
			p.text = append(p.text, strings.Repeat("\\", n/2)...)
			if n%2 == 1 {
				p.text = append(p.text, p.src[end:nameEnd]...)
				p.pos = nameEnd
			} else {
				p.pos = end
			}
			return nodes
		}
	}
	p.text = append(p.text, p.src[start:end]...)
	p.pos = end
	return nodes
}

func isDirective(name string) bool {
	switch name {
	case "set", "if", "elseif", "else", "end", "foreach", "break", "stop",
		"macro", "parse", "include", "evaluate", "define":
		return true
	}
	return false
}

// directiveName reads a directive's name at i (after the #): a word, or a word in braces.
func (p *parser) directiveName(i int) (name string, end int) {
	if i < len(p.src) && p.src[i] == '{' {
		j := i + 1
		for j < len(p.src) && isWordChar(p.src[j]) {
			j++
		}
		if j == i+1 || j >= len(p.src) || p.src[j] != '}' || !isLetter(p.src[i+1]) {
			return "", i
		}
		return p.src[i+1 : j], j + 1
	}
	j := i
	for j < len(p.src) && isWordChar(p.src[j]) {
		j++
	}
	if j == i || !isLetter(p.src[i]) {
		return "", i
	}
	return p.src[i:j], j
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isWordChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}

// isIdentChar: Velocity 1.7 identifiers take letters, digits, '_' and '-'.
func isIdentChar(c byte) bool { return isWordChar(c) || c == '-' }

// eatLineEnd consumes blanks and one line break after a directive, when the directive
// ends its line (Velocity 1.x's rule); otherwise nothing.
func (p *parser) eatLineEnd() {
	i := p.pos
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	switch {
	case i < len(p.src) && p.src[i] == '\n':
		p.pos = i + 1
	case i+1 < len(p.src) && p.src[i] == '\r' && p.src[i+1] == '\n':
		p.pos = i + 2
	case i < len(p.src) && p.src[i] == '\r':
		p.pos = i + 1
	}
}

// hash handles a '#': a comment, a directive, a block terminator (stop set), or text.
func (p *parser) hash(nodes []node) (_ []node, n node, term string, stop bool) {
	start := p.pos
	src := p.src
	if start+1 < len(src) {
		switch src[start+1] {
		case '#': // ## to the end of the line, newline included
			i := strings.IndexByte(src[start:], '\n')
			if i < 0 {
				p.pos = len(src)
			} else {
				p.pos = start + i + 1
			}
			return nodes, nil, "", false
		case '*':
			i := strings.Index(src[start+2:], "*#")
			if i < 0 {
				p.fail(p.base+start, "unclosed comment #*")
			}
			p.pos = start + 2 + i + 2
			return nodes, nil, "", false
		case '[':
			if strings.HasPrefix(src[start:], "#[[") {
				i := strings.Index(src[start+3:], "]]#")
				if i < 0 {
					p.fail(p.base+start, "unclosed literal block #[[")
				}
				p.text = append(p.text, src[start+3:start+3+i]...)
				p.pos = start + 3 + i + 3
				return nodes, nil, "", false
			}
		}
	}
	name, end := p.directiveName(start + 1)
	off := p.base + start
	switch name {
	case "end", "else":
		p.pos = end
		p.eatLineEnd()
		return nodes, &breakNode{off: off}, name, true
	case "elseif":
		p.pos = end
		return nodes, &breakNode{off: off}, name, true
	case "set":
		p.trimLineStart(start)
		p.pos = end
		return nodes, p.set(off), "", false
	case "if":
		p.pos = end
		return nodes, p.ifDirective(off), "", false
	case "foreach":
		p.pos = end
		return nodes, p.foreach(off), "", false
	case "break":
		p.pos = end
		return nodes, &breakNode{off: off}, "", false
	case "stop":
		p.pos = end
		return nodes, &stopNode{off: off}, "", false
	case "macro", "parse", "include", "evaluate", "define":
		p.fail(off, "#%s is not supported in mapping templates", name)
	}
	// Not a directive: the '#' and whatever follows are text.
	p.text = append(p.text, '#')
	p.pos = start + 1
	return nodes, nil, "", false
}

// trimLineStart drops the blanks before a #set that starts its line: Velocity 1.x prints
// nothing of a #set line.
func (p *parser) trimLineStart(hash int) {
	j := hash
	for j > 0 && (p.src[j-1] == ' ' || p.src[j-1] == '\t') {
		j--
	}
	if j > 0 && p.src[j-1] != '\n' && p.src[j-1] != '\r' {
		return
	}
	if n := hash - j; n > 0 && n <= len(p.text) {
		p.text = p.text[:len(p.text)-n]
	}
}

// open expects the '(' that starts a directive's arguments.
func (p *parser) open(off int, name string) {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		p.fail(off, "#%s needs its arguments in parentheses", name)
	}
	p.pos++
}

func (p *parser) close(name string) {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ')' {
		p.fail(p.base+p.pos, "missing ) to close #%s", name)
	}
	p.pos++
}

func (p *parser) set(off int) node {
	p.open(off, "set")
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '$' {
		p.fail(p.base+p.pos, "#set needs a reference to assign, as #set($x = 1)")
	}
	ref, _, end, ok := p.reference(p.pos, false)
	if !ok {
		p.fail(p.base+p.pos, "#set needs a reference to assign, as #set($x = 1)")
	}
	if len(ref.parts) > 0 && ref.parts[len(ref.parts)-1].kind == partMethod {
		p.fail(p.base+p.pos, "#set cannot assign to a method call")
	}
	p.pos = end
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '=' || (p.pos+1 < len(p.src) && p.src[p.pos+1] == '=') {
		p.fail(p.base+p.pos, "#set needs = after the reference")
	}
	p.pos++
	val := p.expr()
	p.close("set")
	p.eatLineEnd()
	return &setNode{off: off, target: ref, value: val}
}

func (p *parser) cond(off int, name string) expr {
	p.open(off, name)
	e := p.expr()
	p.close(name)
	p.eatLineEnd()
	return e
}

func (p *parser) ifDirective(off int) node {
	n := &ifNode{off: off}
	c := p.cond(off, "if")
	for {
		body, term, termOff := p.block()
		n.conds = append(n.conds, c)
		n.blocks = append(n.blocks, body)
		switch term {
		case "end":
			return n
		case "elseif":
			c = p.cond(termOff, "elseif")
		case "else":
			els, term2, term2Off := p.block()
			if term2 == "" {
				p.fail(off, "unclosed #if")
			}
			if term2 != "end" {
				p.fail(term2Off, "#%s after #else", term2)
			}
			if els == nil {
				els = []node{}
			}
			n.els = els
			return n
		default:
			p.fail(off, "unclosed #if")
		}
	}
}

func (p *parser) foreach(off int) node {
	p.open(off, "foreach")
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '$' {
		p.fail(p.base+p.pos, "#foreach needs a loop variable, as #foreach($item in $list)")
	}
	ref, _, end, ok := p.reference(p.pos, false)
	if !ok || len(ref.parts) > 0 {
		p.fail(p.base+p.pos, "#foreach needs a plain loop variable, as #foreach($item in $list)")
	}
	p.pos = end
	p.skipSpace()
	if !p.word("in") {
		p.fail(p.base+p.pos, "#foreach needs 'in' after the loop variable")
	}
	iter := p.expr()
	p.close("foreach")
	p.eatLineEnd()
	body, term, _ := p.block()
	if term != "end" {
		if term == "" {
			p.fail(off, "unclosed #foreach")
		}
		p.fail(off, "#%s inside #foreach without #if", term)
	}
	return &foreachNode{off: off, slot: ref.slot, name: ref.name, iter: iter, body: body, flat: flatLoop(ref.slot, body)}
}
