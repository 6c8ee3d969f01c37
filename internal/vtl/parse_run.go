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

import "slices"

// Runs: the parser joins text, references and #if($foreach.hasNext)text#end that stand side
// by side into one runNode, which the evaluator prints in one loop (evaluator.run).

// runs replaces each run of two or more text, reference and #if($foreach.hasNext)text#end
// nodes with a runNode.
func runs(nodes []node) []node {
	out := nodes[:0]
	for i := 0; i < len(nodes); {
		j := i
		for j < len(nodes) && isPiece(nodes[j]) {
			j++
		}
		if j-i < 2 {
			out = append(out, nodes[i])
			i++
			continue
		}
		r := &runNode{nodes: slices.Clone(nodes[i:j]), plain: true}
		for k, n := range r.nodes {
			switch n := n.(type) {
			case *textNode:
				r.fixed++
				if k+1 < len(r.nodes) && !isText(r.nodes[k+1]) {
					continue // the next piece's pre
				}
				p := piece{off: n.off, text: n.text}
				if len(n.text) <= 16 {
					p.fast = fastText
				}
				copy(p.pad[:], n.text)
				r.pieces = append(r.pieces, p)
			case *refNode:
				p := piece{off: n.off, ref: n}
				if n.ref.props && len(n.ref.parts) == 1 && n.ref.parts[0].key.short {
					p.fast, p.field, p.slot = fastField, &n.ref.parts[0], n.ref.slot
				}
				r.pieces = append(r.pieces, withPre(p, r.nodes, k))
				r.fixed++
				for k := range n.ref.parts {
					r.plain = r.plain && n.ref.parts[k].kind == partProp
				}
			case *ifNode:
				t := n.blocks[0][0].(*textNode)
				c := n.conds[0].(*refExpr)
				p := piece{off: n.off, cond: c, text: t.text, textOff: t.off, fast: fastCond, slot: c.slot, scope: c.parts[0].scope}
				copy(p.pad[:], t.text)
				r.pieces = append(r.pieces, withPre(p, r.nodes, k))
				r.most += 3
			}
		}
		if _, ok := r.nodes[0].(*ifNode); !ok {
			r.fixed-- // nodes counts the first node's step
		} else {
			r.most-- // and the first #if's
		}
		r.most += r.fixed
		out = append(out, r)
		i = j
	}
	return out
}

// withPre is p, the piece of node k of nodes, with the text before it (node k-1) as its
// pre: printing a piece costs about as much again as printing its text alone. It also
// leaves to runRest a piece whose texts are longer than runPieces copies.
func withPre(p piece, nodes []node, k int) piece {
	if k > 0 {
		if t, ok := nodes[k-1].(*textNode); ok {
			p.pre, p.preOff = t.text, t.off
			copy(p.prePad[:], t.text)
		}
	}
	if len(p.pre) > 16 || len(p.text) > 16 {
		p.fast = fastNone
	}
	return p
}

func isText(n node) bool { _, ok := n.(*textNode); return ok }

func isPiece(n node) bool {
	switch n := n.(type) {
	case *textNode, *refNode:
		return true
	case *ifNode:
		// #if($foreach.hasNext)text#end, as evaluator.cond reads it.
		if len(n.conds) != 1 || n.els != nil || len(n.blocks[0]) != 1 {
			return false
		}
		_, text := n.blocks[0][0].(*textNode)
		r, ok := n.conds[0].(*refExpr)
		return text && ok && r.props && len(r.parts) == 1 && r.parts[0].scope != scopeNone
	}
	return false
}
