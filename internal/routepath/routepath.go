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

// Package routepath parses the route path syntax of API.md: "/" for the root, or
// "/"-separated segments, each a literal or a {param}, with a greedy {name+} only last. The
// compiler checks routes with it and the proxy builds its route trees with it, so both read
// a path the same way.
package routepath

import (
	"fmt"
	"strings"
)

// Segment is one segment of a route path.
type Segment struct {
	Literal string // set for literal segments
	Param   string // set for {param} and {param+}
	Greedy  bool
}

// Parse splits a route path into segments, "/" has none, segments
// are non-empty, a parameter is a whole segment named [A-Za-z_][A-Za-z0-9_]*, a greedy one is
// last, and no name repeats.
func Parse(path string) ([]Segment, error) {
	if path == "/" {
		return nil, nil
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q must start with /", path)
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]Segment, 0, len(parts))
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("path %q has an empty segment", path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if !validParamName(name) {
				return nil, fmt.Errorf("path %q: %q is not a parameter name", path, name)
			}
			if greedy && i != len(parts)-1 {
				return nil, fmt.Errorf("path %q: greedy {%s+} must be the last segment", path, name)
			}
			for _, s := range segs {
				if s.Param == name {
					return nil, fmt.Errorf("path %q names parameter %q twice", path, name)
				}
			}
			segs = append(segs, Segment{Param: name, Greedy: greedy})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path %q: segment %q mixes a literal and a parameter", path, p)
		default:
			segs = append(segs, Segment{Literal: p})
		}
	}
	return segs, nil
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Shape is the path with parameter names erased: "/pets/{}", "/files/{+}". Two routes with
// the same shape and an overlapping method can never be told apart.
func Shape(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		switch {
		case s.Greedy:
			b.WriteString("{+}")
		case s.Param != "":
			b.WriteString("{}")
		default:
			b.WriteString(s.Literal)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Params returns the parameter names of segs.
func Params(segs []Segment) map[string]bool {
	out := map[string]bool{}
	for _, s := range segs {
		if s.Param != "" {
			out[s.Param] = true
		}
	}
	return out
}
