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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// JSONPath as API Gateway reads it (Jayway JsonPath), the subset templates use:
//
//	$                  the whole document
//	$.a.b  a.b         children by name (a path without $ is read as $.path, as Jayway does)
//	$['a']  $["a b"]   children by quoted name
//	$.a[0]  $.a[-1]    array elements, negative from the end
//	$.a[*]  $.a.*      every element or value
//	$.a[0,2]  $['a','b']  several indexes or names
//	$.a[1:3]  $.a[:2]  $.a[-2:]   array slices
//	$..b  $..*         deep scan
//
//	$.a[?(@.b > 1)]    filters (jsonpath_filter.go)
//
// Functions (.length()) are refused. A definite path (names and single indexes only) yields
// one value or nothing; any other yields a list of the matches.

type jpKind uint8

const (
	jpNames jpKind = iota
	jpIndexes
	jpWildcard
	jpSlice
	jpDeep       // deep scan for names, or every descendant when names is nil
	jpFilterStep // [?(...)]: the elements of an array (or an object itself) that pass
)

type jpStep struct {
	kind    jpKind
	names   []string
	indexes []int
	from    int
	to      int
	hasFrom bool
	hasTo   bool
	filter  *jpFilter
}

// maxPathVisits stops a path's evaluation once it has visited this many values, the
// evaluator's default work cap: filters whose own paths scan the document (@..x for each of
// $..*) would otherwise multiply it before the work is charged.
const maxPathVisits = defaultMaxSteps

type jsonPath struct {
	steps    []jpStep
	definite bool
}

func compileJSONPath(p string) (*jsonPath, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return nil, errors.New("empty JSONPath")
	}
	if p[0] != '$' {
		if p[0] == '.' || p[0] == '[' {
			p = "$" + p
		} else {
			p = "$." + p
		}
	}
	jp := &jsonPath{definite: true}
	i := 1
	for i < len(p) {
		switch {
		case strings.HasPrefix(p[i:], ".."):
			i += 2
			if i < len(p) && p[i] == '*' {
				jp.steps = append(jp.steps, jpStep{kind: jpDeep})
				i++
			} else if i < len(p) && p[i] == '[' {
				jp.steps = append(jp.steps, jpStep{kind: jpDeep})
			} else {
				name, next := dotName(p, i)
				if name == "" {
					return nil, errors.New("JSONPath: a name must follow '..'")
				}
				jp.steps = append(jp.steps, jpStep{kind: jpDeep, names: []string{name}})
				i = next
			}
			jp.definite = false
		case p[i] == '.':
			i++
			if i < len(p) && p[i] == '*' {
				jp.steps = append(jp.steps, jpStep{kind: jpWildcard})
				jp.definite = false
				i++
				continue
			}
			name, next := dotName(p, i)
			if name == "" {
				return nil, errors.New("JSONPath: a name must follow '.'")
			}
			if strings.HasSuffix(name, "()") {
				return nil, errors.New("JSONPath functions are not supported")
			}
			jp.steps = append(jp.steps, jpStep{kind: jpNames, names: []string{name}})
			i = next
		case p[i] == '[':
			end := bracketEnd(p, i)
			if end < 0 {
				return nil, errors.New("JSONPath: unclosed [")
			}
			st, err := bracket(strings.TrimSpace(p[i+1 : end]))
			if err != nil {
				return nil, err
			}
			if st.kind != jpNames && st.kind != jpIndexes || len(st.names)+len(st.indexes) != 1 {
				jp.definite = false
			}
			jp.steps = append(jp.steps, st)
			i = end + 1
		default:
			return nil, errors.New("JSONPath: unexpected " + strconv.Quote(p[i:i+1]))
		}
	}
	return jp, nil
}

func dotName(p string, i int) (string, int) {
	j := i
	for j < len(p) && p[j] != '.' && p[j] != '[' {
		j++
	}
	return strings.TrimSpace(p[i:j]), j
}

// bracketEnd finds the ']' closing the '[' at i, skipping quoted names and the brackets a
// filter's paths hold.
func bracketEnd(p string, i int) int {
	var quote byte
	depth := 0
	for j := i + 1; j < len(p); j++ {
		c := p[j]
		switch {
		case quote != 0:
			switch c {
			case '\\':
				j++
			case quote:
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return j
			}
			depth--
		}
	}
	return -1
}

func bracket(in string) (jpStep, error) {
	switch {
	case in == "*":
		return jpStep{kind: jpWildcard}, nil
	case strings.HasPrefix(in, "?"):
		if strings.Count(in, "[?") >= maxFilterDepth {
			return jpStep{}, errors.New("JSONPath filter: filters nested too deep")
		}
		f, err := parseFilter(in[1:])
		if err != nil {
			return jpStep{}, err
		}
		return jpStep{kind: jpFilterStep, filter: f}, nil
	case in == "":
		return jpStep{}, errors.New("JSONPath: empty []")
	case in[0] == '\'' || in[0] == '"':
		var names []string
		for in != "" {
			q := in[0]
			if q != '\'' && q != '"' {
				return jpStep{}, errors.New("JSONPath: expected a quoted name")
			}
			var b strings.Builder
			j := 1
			for ; j < len(in) && in[j] != q; j++ {
				if in[j] == '\\' && j+1 < len(in) {
					j++
				}
				b.WriteByte(in[j])
			}
			if j >= len(in) {
				return jpStep{}, errors.New("JSONPath: unclosed quoted name")
			}
			names = append(names, b.String())
			in = strings.TrimSpace(in[j+1:])
			if in != "" {
				if in[0] != ',' {
					return jpStep{}, errors.New("JSONPath: expected , between names")
				}
				in = strings.TrimSpace(in[1:])
			}
		}
		return jpStep{kind: jpNames, names: names}, nil
	case strings.Contains(in, ":"):
		parts := strings.Split(in, ":")
		if len(parts) > 3 || len(parts) == 3 && strings.TrimSpace(parts[2]) != "" && strings.TrimSpace(parts[2]) != "1" {
			return jpStep{}, errors.New("JSONPath: slices with a step are not supported")
		}
		st := jpStep{kind: jpSlice}
		var err error
		if s := strings.TrimSpace(parts[0]); s != "" {
			if st.from, err = strconv.Atoi(s); err != nil {
				return jpStep{}, errors.New("JSONPath: bad slice start")
			}
			st.hasFrom = true
		}
		if s := strings.TrimSpace(parts[1]); s != "" {
			if st.to, err = strconv.Atoi(s); err != nil {
				return jpStep{}, errors.New("JSONPath: bad slice end")
			}
			st.hasTo = true
		}
		return st, nil
	}
	st := jpStep{kind: jpIndexes}
	for _, s := range strings.Split(in, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return jpStep{}, errors.New("JSONPath: bad index " + strconv.Quote(s))
		}
		st.indexes = append(st.indexes, n)
	}
	return st, nil
}

// eval applies the path to root: a definite path gives its value and whether it exists,
// an indefinite one a list of every match.
func (jp *jsonPath) eval(root any, visited *int) (any, bool) {
	if jp.definite {
		v := root
		for _, st := range jp.steps {
			var ok bool
			if n, isNode := v.(*tapeNode); isNode && n.real() == nil {
				// Read off the tape: the usual $input.path('$.a.b') builds nothing.
				if v, ok = n.pathStep(&st); !ok {
					return nil, false
				}
				continue
			}
			v = unwrap(v)
			switch st.kind {
			case jpNames:
				m, isMap := v.(*Map)
				if !isMap {
					return nil, false
				}
				v, ok = m.Get(st.names[0])
			case jpIndexes:
				v, ok = listAt(v, st.indexes[0])
			}
			if !ok {
				return nil, false
			}
		}
		return v, true
	}
	// Other paths collect matches into a list, of real values.
	root = unwrap(root)
	cur := []any{root}
	for _, st := range jp.steps {
		var next []any
		for _, v := range cur {
			if *visited > maxPathVisits {
				break // the caller's charge fails: a filter's paths can multiply the work
			}
			next = st.apply(next, v, root, visited)
		}
		*visited += len(next)
		cur = next
	}
	return &List{Items: cur}, true
}

func listAt(v any, i int) (any, bool) {
	l, ok := v.(*List)
	if !ok {
		return nil, false
	}
	if i < 0 {
		i += len(l.Items)
	}
	if i < 0 || i >= len(l.Items) {
		return nil, false
	}
	return l.Items[i], true
}

func (st *jpStep) apply(out []any, v, root any, visited *int) []any {
	switch st.kind {
	case jpFilterStep:
		switch x := v.(type) {
		case *List:
			for _, it := range x.Items {
				if it = unwrap(it); st.filter.match(root, it, visited) {
					out = append(out, it)
				}
			}
		case *Map:
			if st.filter.match(root, x, visited) {
				out = append(out, x)
			}
		}
	case jpNames:
		if m, ok := v.(*Map); ok {
			for _, n := range st.names {
				if r, ok := m.Get(n); ok {
					out = append(out, r)
				}
			}
		}
	case jpIndexes:
		for _, i := range st.indexes {
			if r, ok := listAt(v, i); ok {
				out = append(out, r)
			}
		}
	case jpWildcard:
		switch x := v.(type) {
		case *Map:
			out = append(out, x.vals...)
		case *List:
			out = append(out, x.Items...)
		}
	case jpSlice:
		if l, ok := v.(*List); ok {
			n := len(l.Items)
			from, to := 0, n
			if st.hasFrom {
				from = st.from
			}
			if st.hasTo {
				to = st.to
			}
			if from < 0 {
				from = max(n+from, 0)
			}
			if to < 0 {
				to = n + to
			}
			to = min(to, n)
			if from < to {
				out = append(out, l.Items[from:to]...)
			}
		}
	case jpDeep:
		out = st.deep(out, v, 0, visited)
	}
	return out
}

// deep collects, in document order, the named children of v and of everything under it
// (or every descendant when the step has no names).
func (st *jpStep) deep(out []any, v any, depth int, visited *int) []any {
	if depth > maxJSONDepth || *visited > maxPathVisits {
		return out
	}
	*visited++
	switch x := v.(type) {
	case *Map:
		if st.names != nil {
			for _, n := range st.names {
				if r, ok := x.Get(n); ok {
					out = append(out, r)
				}
			}
		}
		for _, c := range x.vals {
			if st.names == nil {
				out = append(out, c)
			}
			out = st.deep(out, c, depth+1, visited)
		}
	case *List:
		for _, c := range x.Items {
			if st.names == nil {
				out = append(out, c)
			}
			out = st.deep(out, c, depth+1, visited)
		}
	}
	return out
}

// pathCache keeps a template's compiled JSONPaths: the path arguments of $input.json and
// $input.path are nearly always literals, so each compiles once per template.
type pathCache struct {
	m sync.Map
	n atomic.Int32
}

const pathCacheMax = 256

func (c *pathCache) get(p string) (*jsonPath, error) {
	if v, ok := c.m.Load(p); ok {
		return v.(*jsonPath), nil
	}
	jp, err := compileJSONPath(p)
	if err != nil {
		return nil, err
	}
	if c.n.Load() < pathCacheMax {
		if _, loaded := c.m.LoadOrStore(p, jp); !loaded {
			c.n.Add(1)
		}
	}
	return jp, nil
}
