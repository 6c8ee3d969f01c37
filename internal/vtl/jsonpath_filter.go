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
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// JSONPath filters, [?(...)], as Jayway JsonPath (API Gateway's) reads them, the part
// templates use:
//
//	[?(@.price < 10)]                 a comparison: == != < <= > >=, numbers by value,
//	                                  strings by their characters, true, false, null
//	[?(@.isbn)]                       the path exists in the element
//	[?(@.name =~ /^pet.*/i)]          a regular expression (RE2) the whole string matches
//	[?(@.a > 1 && !(@.b == 'x') || $.all)]   && before ||, ! and parentheses
//
// @ is the element the filter tests (each of an array's; an object itself), $ the document.
// A path that leads nowhere satisfies no comparison but !=. Jayway's other operators (in,
// nin, size, empty, subsetof, anyof, noneof) are refused.

type filterOp uint8

const (
	filterOr filterOp = iota
	filterAnd
	filterNot
	filterExists
	filterCompare
)

type jpFilter struct {
	op          filterOp
	left, right *jpFilter // || && ! (left)
	a, b        filterOperand
	cmp         string
	re          *regexp.Regexp
}

// filterOperand is a path from @ or $, or a literal.
type filterOperand struct {
	path *jsonPath
	root bool
	lit  any
}

const maxFilterDepth = 32

type filterParser struct {
	s     string
	i     int
	depth int
}

// parseFilter parses the text after '?' in a bracket.
func parseFilter(in string) (*jpFilter, error) {
	p := &filterParser{s: in}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i < len(p.s) {
		return nil, errors.New("JSONPath filter: unexpected " + strconv.Quote(p.s[p.i:]))
	}
	return f, nil
}

func (p *filterParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *filterParser) eat(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *filterParser) or() (*jpFilter, error) {
	left, err := p.and()
	for err == nil && p.eat("||") {
		var right *jpFilter
		if right, err = p.and(); err == nil {
			left = &jpFilter{op: filterOr, left: left, right: right}
		}
	}
	return left, err
}

func (p *filterParser) and() (*jpFilter, error) {
	left, err := p.unary()
	for err == nil && p.eat("&&") {
		var right *jpFilter
		if right, err = p.unary(); err == nil {
			left = &jpFilter{op: filterAnd, left: left, right: right}
		}
	}
	return left, err
}

func (p *filterParser) unary() (*jpFilter, error) {
	if p.depth++; p.depth > maxFilterDepth {
		return nil, errors.New("JSONPath filter: nested too deep")
	}
	defer func() { p.depth-- }()
	switch {
	case p.eat("!") && !strings.HasPrefix(p.s[p.i:], "="):
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &jpFilter{op: filterNot, left: f}, nil
	case p.eat("("):
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, errors.New("JSONPath filter: ) expected")
		}
		return f, nil
	}
	a, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.skip()
	for _, op := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if !p.eat(op) {
			continue
		}
		f := &jpFilter{op: filterCompare, a: a, cmp: op}
		if op == "=~" {
			f.re, err = p.regexp()
		} else {
			f.b, err = p.operand()
		}
		return f, err
	}
	if a.path == nil {
		return nil, errors.New("JSONPath filter: a literal alone tests nothing")
	}
	if rest := p.s[p.i:]; rest != "" && rest[0] != ')' && rest[0] != '&' && rest[0] != '|' {
		word, _, _ := strings.Cut(rest, " ")
		return nil, errors.New("JSONPath filter: operator " + strconv.Quote(word) + " is not supported")
	}
	return &jpFilter{op: filterExists, a: a}, nil
}

// operand reads @path, $path, a number, a quoted string, true, false or null.
func (p *filterParser) operand() (filterOperand, error) {
	p.skip()
	if p.i >= len(p.s) {
		return filterOperand{}, errors.New("JSONPath filter: operand expected")
	}
	switch c := p.s[p.i]; c {
	case '@', '$':
		j := p.i + 1
		for j < len(p.s) {
			if p.s[j] == '[' {
				end := bracketEnd(p.s, j)
				if end < 0 {
					return filterOperand{}, errors.New("JSONPath filter: unclosed [")
				}
				j = end + 1
				continue
			}
			if strings.IndexByte(" \t)=!<>&|", p.s[j]) >= 0 {
				break
			}
			j++
		}
		path, err := compileJSONPath("$" + p.s[p.i+1:j])
		if err != nil {
			return filterOperand{}, err
		}
		p.i = j
		return filterOperand{path: path, root: c == '$'}, nil
	case '\'', '"':
		var b strings.Builder
		j := p.i + 1
		for ; j < len(p.s) && p.s[j] != c; j++ {
			if p.s[j] == '\\' && j+1 < len(p.s) {
				j++
			}
			b.WriteByte(p.s[j])
		}
		if j >= len(p.s) {
			return filterOperand{}, errors.New("JSONPath filter: unclosed string")
		}
		p.i = j + 1
		return filterOperand{lit: b.String()}, nil
	}
	j := p.i
	for j < len(p.s) && strings.IndexByte(" \t)=!<>&|", p.s[j]) < 0 {
		j++
	}
	word := p.s[p.i:j]
	p.i = j
	switch word {
	case "true":
		return filterOperand{lit: true}, nil
	case "false":
		return filterOperand{lit: false}, nil
	case "null":
		return filterOperand{lit: nil}, nil
	}
	if n, err := strconv.ParseInt(word, 10, 64); err == nil {
		return filterOperand{lit: n}, nil
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		return filterOperand{lit: f}, nil
	}
	return filterOperand{}, errors.New("JSONPath filter: " + strconv.Quote(word) + " is not a path or a value")
}

// regexp reads /pattern/ with an optional i flag, matched against the whole string as
// Java's Matcher.matches does.
func (p *filterParser) regexp() (*regexp.Regexp, error) {
	p.skip()
	if p.i >= len(p.s) || p.s[p.i] != '/' {
		return nil, errors.New("JSONPath filter: =~ takes a /regular expression/")
	}
	end := strings.LastIndexByte(p.s[p.i+1:], '/')
	if end < 0 {
		return nil, errors.New("JSONPath filter: unclosed /regular expression/")
	}
	pattern := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	flags := ""
	if p.i < len(p.s) && p.s[p.i] == 'i' {
		flags = "(?i)"
		p.i++
	}
	re, err := regexp.Compile(flags + `^(?:` + pattern + `)$`)
	if err != nil {
		return nil, errors.New("JSONPath filter: " + err.Error())
	}
	return re, nil
}

// match reports whether the element cur passes the filter; root is the document.
func (f *jpFilter) match(root, cur any, visited *int) bool {
	if *visited > maxPathVisits {
		return false
	}
	switch f.op {
	case filterOr:
		return f.left.match(root, cur, visited) || f.right.match(root, cur, visited)
	case filterAnd:
		return f.left.match(root, cur, visited) && f.right.match(root, cur, visited)
	case filterNot:
		return !f.left.match(root, cur, visited)
	case filterExists:
		v, ok := f.a.value(root, cur, visited)
		if l, isList := v.(*List); ok && isList && !f.a.path.definite {
			return len(l.Items) > 0
		}
		return ok
	}
	a, okA := f.a.value(root, cur, visited)
	if f.re != nil {
		s, isString := a.(string)
		return okA && isString && f.re.MatchString(s)
	}
	b, okB := f.b.value(root, cur, visited)
	switch f.cmp {
	case "==":
		return okA && okB && filterEqual(a, b)
	case "!=":
		return !okA || !okB || !filterEqual(a, b)
	}
	if !okA || !okB {
		return false
	}
	c, ok := compare(a, b)
	if !ok {
		return false
	}
	switch f.cmp {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func (o *filterOperand) value(root, cur any, visited *int) (any, bool) {
	if o.path == nil {
		return o.lit, true
	}
	base := cur
	if o.root {
		base = root
	}
	*visited++
	v, ok := o.path.eval(base, visited)
	return unwrap(v), ok
}

// filterEqual is JSONPath's ==: values of the same kind, numbers by value; a string is never
// equal to a number (Velocity's == would compare their string forms).
func filterEqual(a, b any) bool {
	if isNumber(a) != isNumber(b) {
		return false
	}
	switch a.(type) {
	case string:
		if _, ok := b.(string); !ok {
			return false
		}
	case bool:
		if _, ok := b.(bool); !ok {
			return false
		}
	}
	return valuesEqual(a, b, 0)
}
