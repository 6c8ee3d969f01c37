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
	"slices"
)

// ContextKeys returns the names of $context that the template reads ($context.stage,
// $context.get('stage'), $context.authorizer.principalId reads "authorizer"), sorted, and
// all false; all is true when the template may read any name ($context printed or iterated
// whole, indexed by a computed key, passed on, replaced). A caller building $context for
// each request builds only those entries: the rest cannot show in the output.
func (t *Template) ContextKeys() (keys []string, all bool) {
	return t.ctxKeys, t.ctxAll
}

// scanRefs computes, once, at Parse, what ContextKeys answers and whether the template
// reads $velocityCount or $velocityHasNext. It also compiles the literal JSONPaths of
// $input.json and $input.path (nearly all of them are literals): one that cannot compile
// would fail every evaluation that reaches it, so the template is refused, at the path's line
// and column (err), rather than shipped.
func scanRefs(src string, nodes []node) (keys []string, all, velocity bool, err error) {
	c := &ctxScan{src: src}
	c.nodes(nodes)
	if !c.all {
		slices.Sort(c.keys)
		keys = slices.Compact(c.keys)
	}
	return keys, c.all, c.velocity, c.err
}

type ctxScan struct {
	src      string
	keys     []string
	all      bool
	velocity bool
	err      error
}

func (c *ctxScan) nodes(ns []node) {
	for _, n := range ns {
		switch n := n.(type) {
		case *refNode:
			c.ref(n.ref)
		case *runNode:
			c.nodes(n.nodes)
		case *escRefNode:
			c.ref(n.ref.ref)
		case *setNode:
			if n.target.slot == slotContext && len(n.target.parts) == 0 {
				c.all = true
			}
			c.ref(n.target)
			c.expr(n.value)
		case *ifNode:
			for _, x := range n.conds {
				c.expr(x)
			}
			for _, b := range n.blocks {
				c.nodes(b)
			}
			c.nodes(n.els)
		case *foreachNode:
			if n.slot == slotContext {
				c.all = true
			}
			c.expr(n.iter)
			c.nodes(n.body)
		}
	}
}

func (c *ctxScan) ref(r *refExpr) {
	if r.slot == slotVelocityCount || r.slot == slotVelocityHasNext {
		c.velocity = true
	}
	if r.slot == slotInput && len(r.parts) > 0 && c.err == nil {
		if m := r.parts[0]; m.kind == partMethod && (m.name == "json" || m.name == "path") && literalString(m.args) {
			lit := m.args[0].(*litExpr)
			if _, err := compileJSONPath(lit.val.(string)); err != nil {
				line, col := lineCol(c.src, lit.off)
				c.err = &Error{Kind: KindSyntax, Line: line, Column: col, Msg: fmt.Sprintf("$input.%s(%q): %v", m.name, lit.val, err)}
			}
		}
	}
	if r.slot == slotContext {
		switch {
		case len(r.parts) > 0 && r.parts[0].kind == partProp:
			c.keys = append(c.keys, r.parts[0].name)
		case len(r.parts) > 0 && r.parts[0].kind == partMethod && r.parts[0].name == "get" && literalString(r.parts[0].args):
			c.keys = append(c.keys, r.parts[0].args[0].(*litExpr).val.(string))
		default:
			c.all = true
		}
	}
	for _, p := range r.parts {
		for _, a := range p.args {
			c.expr(a)
		}
	}
}

func literalString(args []expr) bool {
	if len(args) != 1 {
		return false
	}
	l, ok := args[0].(*litExpr)
	if !ok {
		return false
	}
	_, ok = l.val.(string)
	return ok
}

func (c *ctxScan) expr(x expr) {
	switch x := x.(type) {
	case *refExpr:
		c.ref(x)
	case *strExpr:
		c.nodes(x.nodes)
	case *listExpr:
		for _, it := range x.items {
			c.expr(it)
		}
	case *mapExpr:
		for i := range x.keys {
			c.expr(x.keys[i])
			c.expr(x.vals[i])
		}
	case *rangeExpr:
		c.expr(x.from)
		c.expr(x.to)
	case *binExpr:
		c.expr(x.l)
		c.expr(x.r)
	case *unaryExpr:
		c.expr(x.x)
	}
}
