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

// The AST: a template is a list of nodes; directives hold their own lists. Positions are
// byte offsets into the template's source, turned into lines and columns only for errors.

type node interface{ offset() int }

// textNode is literal output.
type textNode struct {
	off  int
	text string
}

// refNode prints a reference. raw is its source text, printed in place of a null value
// when Options.LiteralNulls is set.
type refNode struct {
	off   int
	quiet bool
	raw   string
	ref   *refExpr
}

// escRefNode is a reference behind backslashes (\$x, \\$x): Velocity 1.7 prints half of
// them and then the reference, which an odd count turns into its source text.
type escRefNode struct {
	off         int
	backslashes int
	ref         *refNode
}

type setNode struct {
	off    int
	target *refExpr
	value  expr
}

type ifNode struct {
	off    int
	conds  []expr
	blocks [][]node
	els    []node // nil without #else
}

type foreachNode struct {
	off  int
	slot int // the loop variable
	name string
	iter expr
	body []node
	flat *loopPlan // how evaluator.loopItems prints its items, or nil (flatLoop)
}

// runNode is a run of text and references (two or more) that the parser found side by
// side, as a #foreach body mostly is, and of the #if($foreach.hasNext)text#end between
// them: the evaluator prints them in one loop, without dispatching on each
// (evaluator.run). nodes are the run's, for what walks the tree.
type runNode struct {
	nodes  []node
	pieces []piece
	// plain: the references have properties only (or nothing), so that printing them
	// takes no step of its own; fixed is then the steps the pieces take after the first
	// piece's first, but for the conditions' (most counts those at the most: the #if, its
	// condition and its text).
	plain       bool
	fixed, most int
}

// piece is one node of a run: a reference (ref), an #if of one $foreach condition (cond)
// whose block is text alone (at textOff), or text. A text of 16 bytes or fewer is also in
// pad, zero-padded, to be copied as one 16-byte block (evaluator.fits16). A reference or an
// #if right after text has that text in pre (at preOff, padded in prePad): the two nodes
// are one piece, printed in one turn of the run's loop.
type piece struct {
	off     int
	text    string
	pad     [16]byte
	ref     *refNode
	cond    *refExpr
	textOff int
	pre     string
	prePad  [16]byte
	preOff  int
	// fast is how evaluator.runPieces prints the piece, or fastNone for the pieces it
	// leaves to runRest (a reference of more than one property, of a property of more than
	// 8 bytes, a text longer than 16). field is the property of a fastField, $x.name; slot
	// is its variable's, or a fastCond's $foreach, and scope the fastCond's property.
	fast  pieceKind
	field *refPart
	slot  int
	scope scopeProp
}

type pieceKind uint8

const (
	fastNone pieceKind = iota
	fastText
	fastField
	fastCond
)

// first is the offset of the piece's first node, where its first step is taken.
func (p *piece) first() int {
	if p.pre != "" {
		return p.preOff
	}
	return p.off
}

type breakNode struct{ off int }
type stopNode struct{ off int }

func (n *textNode) offset() int    { return n.off }
func (n *refNode) offset() int     { return n.off }
func (n *escRefNode) offset() int  { return n.off }
func (n *setNode) offset() int     { return n.off }
func (n *ifNode) offset() int      { return n.off }
func (n *foreachNode) offset() int { return n.off }
func (n *runNode) offset() int     { return n.pieces[0].first() }
func (n *breakNode) offset() int   { return n.off }
func (n *stopNode) offset() int    { return n.off }

// Expressions.
type expr interface{ offset() int }

// refExpr is $name followed by properties, indexes and method calls.
type refExpr struct {
	off   int
	slot  int
	name  string
	parts []refPart
	// props: the parts are all properties, and there is one at least ($x.a.b): such a
	// reference on an object of the body is read straight off its tape (evaluator.refTape).
	props bool
}

type partKind uint8

const (
	partProp partKind = iota
	partIndex
	partMethod
)

type refPart struct {
	off  int
	kind partKind
	name string // property or method
	args []expr // method arguments, or the one index
	// key is a property's, for looking it up among a tape object's keys; hint is where
	// it was found last (see Tape.fieldKey).
	key  tapeKey
	hint uint32
	// scope numbers the $foreach properties that are booleans (hasNext, first, last), for
	// a condition that reads one (evaluator.cond); 0 for the rest.
	scope scopeProp
}

type scopeProp uint8

const (
	scopeNone scopeProp = iota
	scopeHasNext
	scopeFirst
	scopeLast
)

var scopeProps = map[string]scopeProp{"hasNext": scopeHasNext, "first": scopeFirst, "last": scopeLast}

// litExpr is a constant: string, int64, float64, bool or nil.
type litExpr struct {
	off int
	val any
}

// strExpr is a double-quoted string with references or directives inside.
type strExpr struct {
	off   int
	nodes []node
}

type listExpr struct {
	off   int
	items []expr
}

type mapExpr struct {
	off  int
	keys []expr
	vals []expr
}

type rangeExpr struct {
	off      int
	from, to expr
}

type binOp uint8

const (
	opOr binOp = iota
	opAnd
	opEq
	opNe
	opLt
	opGt
	opLe
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
)

type binExpr struct {
	off  int
	op   binOp
	l, r expr
}

type unaryExpr struct {
	off int
	neg bool // true: -x, false: !x
	x   expr
}

func (e *refExpr) offset() int   { return e.off }
func (e *litExpr) offset() int   { return e.off }
func (e *strExpr) offset() int   { return e.off }
func (e *listExpr) offset() int  { return e.off }
func (e *mapExpr) offset() int   { return e.off }
func (e *rangeExpr) offset() int { return e.off }
func (e *binExpr) offset() int   { return e.off }
func (e *unaryExpr) offset() int { return e.off }
