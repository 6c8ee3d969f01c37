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
	"strconv"
	"strings"
)

func (p *parser) number() expr {
	start := p.pos
	src := p.src
	i := start
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	isFloat := false
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		isFloat = true
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			isFloat = true
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	p.pos = i
	off := p.base + start
	if isFloat {
		f, err := strconv.ParseFloat(src[start:i], 64)
		if err != nil {
			p.fail(off, "bad number %s", src[start:i])
		}
		return &litExpr{off: off, val: f}
	}
	n, err := strconv.ParseInt(src[start:i], 10, 64)
	if err != nil {
		p.fail(off, "number %s is too large", src[start:i])
	}
	return &litExpr{off: off, val: n}
}

// stringLit parses '...' (literal) or "..." (interpolated: references and directives
// inside are rendered). A doubled quote stands for one; a backslash keeps the next
// character from ending the string and is itself kept, as in Velocity 1.7.
func (p *parser) stringLit() expr {
	start := p.pos
	q := p.src[start]
	off := p.base + start
	i := start + 1
	doubled := false
	for {
		if i >= len(p.src) {
			p.fail(off, "unclosed string")
		}
		c := p.src[i]
		if c == '\\' && i+1 < len(p.src) {
			i += 2
			continue
		}
		if c == q {
			if i+1 < len(p.src) && p.src[i+1] == q {
				doubled = true
				i += 2
				continue
			}
			break
		}
		i++
	}
	content := p.src[start+1 : i]
	p.pos = i + 1
	if doubled {
		content = strings.ReplaceAll(content, string([]byte{q, q}), string(q))
	}
	if q == '\'' || !strings.ContainsAny(content, "$#\\") {
		return &litExpr{off: off, val: content}
	}
	sub := &parser{src: content, base: off + 1, depth: p.depth, top: p.top, slots: p.slots, names: p.names}
	nodes, term, termOff := sub.block()
	if term != "" {
		p.fail(termOff, "#%s without a matching #if or #foreach", term)
	}
	if len(nodes) == 1 {
		if t, ok := nodes[0].(*textNode); ok {
			return &litExpr{off: off, val: t.text}
		}
	}
	return &strExpr{off: off, nodes: nodes}
}

func (p *parser) listOrRange() expr {
	off := p.base + p.pos
	p.pos++
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return &listExpr{off: off}
	}
	first := p.expr()
	p.skipSpace()
	if p.op("..") {
		to := p.expr()
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ']' {
			p.fail(off, "unclosed range [")
		}
		p.pos++
		return &rangeExpr{off: off, from: first, to: to}
	}
	items := []expr{first}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.fail(off, "unclosed list [")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
			items = append(items, p.expr())
		case ']':
			p.pos++
			return &listExpr{off: off, items: items}
		default:
			p.fail(p.base+p.pos, "expected , or ] in a list")
		}
	}
}

func (p *parser) mapLit() expr {
	off := p.base + p.pos
	p.pos++
	m := &mapExpr{off: off}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return m
	}
	for {
		k := p.expr()
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			p.fail(p.base+p.pos, "expected : after a map key")
		}
		p.pos++
		v := p.expr()
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.fail(off, "unclosed map {")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return m
		default:
			p.fail(p.base+p.pos, "expected , or } in a map")
		}
	}
}
