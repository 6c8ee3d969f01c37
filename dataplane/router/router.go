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

// Package router matches a request path and method to one of an API's routes. A Tree is
// compiled once per applied configuration; Lookup walks it without regular expressions and,
// for paths without escapes and routes with few parameters, without allocating.
//
// Precedence follows Amazon API Gateway's "most specific route wins": at every segment a
// literal child is tried before a {param} child, and a greedy {proxy+} child last. The walk
// backtracks, so /a/{x}/d still matches /a/b/d when /a/b/c exists but /a/b/d does not.
// Within one path, an exact method wins over ANY, and ANY over the HEAD-to-GET fallback:
// ANY names HEAD explicitly, the fallback only implies it.
package router

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/portico-dev/portico/internal/routepath"
)

// Route is what the tree needs to know of a route.
type Route struct {
	// Path in Route syntax: "/", literal segments, {param} segments and a greedy {proxy+} as
	// the last segment.
	Path string
	// Methods the route answers; "ANY" answers every method.
	Methods []string
}

// Result is the outcome of a lookup.
type Result int

const (
	// NotFound means no route has the path.
	NotFound Result = iota
	// MethodNotAllowed means some route has the path, none the method.
	MethodNotAllowed
	// Found means Match.Route names the route.
	Found
)

// method slots of a node; ANY answers the rest.
const (
	mGET = iota
	mHEAD
	mPOST
	mPUT
	mPATCH
	mDELETE
	mOPTIONS
	mANY
	numMethods
)

func methodSlot(m string) int {
	switch m {
	case "GET":
		return mGET
	case "HEAD":
		return mHEAD
	case "POST":
		return mPOST
	case "PUT":
		return mPUT
	case "PATCH":
		return mPATCH
	case "DELETE":
		return mDELETE
	case "OPTIONS":
		return mOPTIONS
	case "ANY":
		return mANY
	}
	return -1
}

// endpoint is what a node (or its greedy child) answers: the route per method slot, -1 for none.
type endpoint struct {
	routes [numMethods]int32
	any    bool // some slot is set
}

func newEndpoint() *endpoint {
	e := &endpoint{}
	for i := range e.routes {
		e.routes[i] = -1
	}
	return e
}

// pick returns the route for method, or -1.
func (e *endpoint) pick(method string) int32 {
	if s := methodSlot(method); s >= 0 && s != mANY && e.routes[s] >= 0 {
		return e.routes[s]
	}
	if e.routes[mANY] >= 0 {
		return e.routes[mANY]
	}
	if method == "HEAD" {
		return e.routes[mGET]
	}
	return -1
}

type node struct {
	literals map[string]*node
	param    *node
	greedy   *endpoint
	here     *endpoint
}

// Tree is a compiled set of routes. It is immutable and safe for concurrent use.
type Tree struct {
	root node
	// names[i] are route i's parameter names in path order.
	names [][]string
}

// New compiles routes; route i is reported as Match.Route == i. It fails on a malformed path,
// an unknown method, or two routes that cannot be told apart (same path shape, overlapping
// method), which the compiler never emits.
func New(routes []Route) (*Tree, error) {
	t := &Tree{names: make([][]string, len(routes))}
	for i, r := range routes {
		segs, err := routepath.Parse(r.Path)
		if err != nil {
			return nil, err
		}
		n := &t.root
		var names []string
		var ep *endpoint
		for _, s := range segs {
			switch {
			case s.Greedy:
				if n.greedy == nil {
					n.greedy = newEndpoint()
				}
				ep = n.greedy
				names = append(names, s.Param)
			case s.Param != "":
				if n.param == nil {
					n.param = &node{}
				}
				n = n.param
				names = append(names, s.Param)
			default:
				if n.literals == nil {
					n.literals = map[string]*node{}
				}
				// Literals compare decoded, as request segments do.
				lit := unescape(s.Literal)
				c := n.literals[lit]
				if c == nil {
					c = &node{}
					n.literals[lit] = c
				}
				n = c
			}
		}
		if ep == nil {
			if n.here == nil {
				n.here = newEndpoint()
			}
			ep = n.here
		}
		if len(r.Methods) == 0 {
			return nil, fmt.Errorf("route %s has no methods", r.Path)
		}
		for _, m := range r.Methods {
			slot := methodSlot(m)
			if slot < 0 {
				return nil, fmt.Errorf("route %s: unknown method %q", r.Path, m)
			}
			if prev := ep.routes[slot]; prev >= 0 {
				return nil, fmt.Errorf("routes %s and %s both answer %s on the same path", routes[prev].Path, r.Path, m)
			}
			ep.routes[slot] = int32(i)
			ep.any = true
		}
		t.names[i] = names
	}
	return t, nil
}

// Lookup matches method and path, the escaped path under the stage ("" or "/" for the root,
// "/pets/7"). On Found, m holds the route and its parameters; m is reset first, so one Match
// can be reused.
func (t *Tree) Lookup(method, path string, m *Match) Result {
	m.reset()
	rest := strings.TrimPrefix(path, "/")
	pathSeen := false
	if t.walk(&t.root, rest, method, m, &pathSeen) {
		m.names = t.names[m.Route]
		return Found
	}
	m.values = m.values[:0]
	if pathSeen {
		return MethodNotAllowed
	}
	return NotFound
}

// walk matches rest (the path after a '/') below n. It pushes parameter values onto m and
// pops them when it backtracks.
func (t *Tree) walk(n *node, rest, method string, m *Match, pathSeen *bool) bool {
	if rest == "" {
		return t.at(n.here, method, m, pathSeen)
	}
	seg, next, slash := strings.Cut(rest, "/")
	if slash && next == "" {
		// A trailing slash names the same resource: "/pets/" is "/pets".
		slash = false
	}
	decoded := unescape(seg)
	if c := n.literals[decoded]; c != nil {
		if t.descend(c, next, slash, method, m, pathSeen) {
			return true
		}
	}
	if n.param != nil && seg != "" && !isDotSegment(decoded) {
		m.values = append(m.values, decoded)
		if t.descend(n.param, next, slash, method, m, pathSeen) {
			return true
		}
		m.values = m.values[:len(m.values)-1]
	}
	if n.greedy != nil && !hasDotSegment(rest) {
		m.values = append(m.values, unescape(rest))
		m.greedy = rest
		if t.at(n.greedy, method, m, pathSeen) {
			return true
		}
		m.greedy = ""
		m.values = m.values[:len(m.values)-1]
	}
	return false
}

func (t *Tree) descend(c *node, next string, slash bool, method string, m *Match, pathSeen *bool) bool {
	if !slash {
		return t.at(c.here, method, m, pathSeen)
	}
	return t.walk(c, next, method, m, pathSeen)
}

func (t *Tree) at(e *endpoint, method string, m *Match, pathSeen *bool) bool {
	if e == nil || !e.any {
		return false
	}
	*pathSeen = true
	r := e.pick(method)
	if r < 0 {
		return false
	}
	m.Route = int(r)
	return true
}

// Parameters never match "." or "..": substituted into an integration uri they would let a
// client climb out of the path the route sends it to (/store/{proxy+} to
// http://store/api/{proxy} with /store/../admin). Such requests find no route.

func isDotSegment(decoded string) bool { return decoded == "." || decoded == ".." }

// hasDotSegment reports whether an escaped path has a dot segment, before or after decoding.
func hasDotSegment(escaped string) bool {
	if !strings.Contains(escaped, ".") && !strings.Contains(escaped, "%2") {
		return false
	}
	for _, s := range strings.Split(unescape(escaped), "/") {
		if isDotSegment(s) {
			return true
		}
	}
	for seg := range strings.SplitSeq(escaped, "/") {
		if isDotSegment(unescape(seg)) {
			return true
		}
	}
	return false
}

// unescape decodes one path segment; a segment that does not decode is matched as written.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	d, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return d
}
