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
	"encoding/binary"
	"math"
	"strconv"
	"sync/atomic"
)

// Tape values in an evaluation. An object or array of the body is a *tapeNode (a tape and
// an entry index); scalars are read off the tape as the Go values ParseJSON makes, boxed from
// the evaluation's slabs. The evaluator answers property access, #foreach, size(), get() and
// $input.json from the tape itself; anything else (a method that changes the value, a value
// stored into a real map or list, printing a whole object) first materialises the node as a
// *Map or *List, deeply, and keeps it: a node materialised once answers as its *Map ever
// after, and so do the nodes of its descendants, so that a change made through one reference
// shows through every other, as it does when the body was read into *Map values.

// tapeDoc is one evaluation's view of a tape: the tape itself is shared and never written.
type tapeDoc struct {
	t *Tape
	// The containers handed out as nodes: the first few in handed (most templates hand out
	// a few: the body, the array a #foreach walks), the rest in nodes by container number,
	// made for as many as the tape has when one more is handed out.
	handed  [4]tapeNode
	nhanded int
	nodes   []tapeNode
	mat     []any // materialised containers by number; nil until the first
	// watches are the containers #foreach loops are reading off the tape, innermost last;
	// watchBuf holds those of loops nested a few deep.
	watches  []*tapeWatch
	watchBuf [4]*tapeWatch
	boxSlabs
}

// tapeWatch tells a #foreach over a container of the tape that the container was
// materialised, and the items it had then.
type tapeWatch struct {
	b     uint32
	set   bool
	items []any
}

// watch records w, the watch of a #foreach over container b (the loop's own, allocated
// with its scope).
func (d *tapeDoc) watch(w *tapeWatch, b uint32) {
	*w = tapeWatch{b: b}
	d.watches = append(d.watches, w)
}

func (d *tapeDoc) unwatch() { d.watches = d.watches[:len(d.watches)-1] }

// tapeNode is an object or array of a tape, as a template value. Pointers to one are stable
// (they point into tapeDoc.nodes), so handing one out allocates nothing.
type tapeNode struct {
	d *tapeDoc
	i int32
}

// init makes d a view of t.
func (d *tapeDoc) init(t *Tape) *tapeDoc {
	*d = tapeDoc{t: t}
	d.few = true
	d.watches = d.watchBuf[:0]
	return d
}

// value is entry i as a template value.
func (d *tapeDoc) value(i int32) any {
	en := &d.t.ents[i]
	switch en.kind {
	case entNull:
		return nil
	case entFalse:
		return false
	case entTrue:
		return true
	case entInt:
		return d.boxInt(int64(en.bits()))
	case entFloat:
		return d.boxFloat(math.Float64frombits(en.bits()))
	case entBigInt:
		return BigInt(d.t.text[en.a:en.b])
	case entString:
		return d.boxString(d.t.text[en.a:en.b])
	case entStringEsc:
		return d.boxString(d.t.strs[en.n])
	}
	if d.mat != nil && d.mat[en.b] != nil {
		return d.mat[en.b]
	}
	return d.node(i, en.b)
}

// node is the node of container i, number b: the one handed out before, if it was.
func (d *tapeDoc) node(i int32, b uint32) *tapeNode {
	for j := range d.handed[:d.nhanded] {
		if d.handed[j].i == i {
			return &d.handed[j]
		}
	}
	if d.nodes == nil {
		if d.nhanded < len(d.handed) {
			d.handed[d.nhanded] = tapeNode{d: d, i: i}
			d.nhanded++
			return &d.handed[d.nhanded-1]
		}
		d.nodes = make([]tapeNode, d.t.conts)
	}
	n := &d.nodes[b]
	if n.d == nil { // stored once: each store of the pointer may pay a write barrier
		n.d, n.i = d, i
	}
	return n
}

// real is the node's *Map or *List once something materialised it, else nil.
func (n *tapeNode) real() any {
	if m := n.d.mat; m != nil {
		return m[n.d.t.ents[n.i].b]
	}
	return nil
}

// resolve is the node as a *Map or *List, materialised (once) if it was not.
func (n *tapeNode) resolve() any { return n.d.materialize(n.i) }

func (n *tapeNode) entry() *entry { return &n.d.t.ents[n.i] }

// materialize returns entry i as ParseJSON would have read it, reusing (and recording) the
// containers materialised before.
func (d *tapeDoc) materialize(i int32) any {
	en := &d.t.ents[i]
	if en.kind != entObject && en.kind != entArray {
		return d.value(i)
	}
	if d.mat == nil {
		d.mat = make([]any, d.t.conts)
	}
	if v := d.mat[en.b]; v != nil {
		return v
	}
	var v any
	if en.kind == entObject {
		m := &Map{keys: make([]string, 0, en.n), vals: make([]any, 0, en.n)}
		for k := i + 1; k < int32(en.a); {
			m.Set(d.t.str(k), d.materialize(k+1)) // Set: a repeated key keeps its first place
			k = d.t.next(k + 1)
		}
		v = m
	} else {
		l := &List{Items: make([]any, 0, en.n)}
		for k := i + 1; k < int32(en.a); k = d.t.next(k) {
			l.Items = append(l.Items, d.materialize(k))
		}
		v = l
	}
	d.mat[en.b] = v
	for _, w := range d.watches {
		if w.b == en.b {
			w.set = true
			if l, ok := v.(*List); ok {
				w.items = l.Items
			} else {
				w.items = v.(*Map).vals
			}
		}
	}
	return v
}

// unwrap is v with a tape node replaced by its *Map or *List: for the code that handles only
// real values.
func unwrap(v any) any {
	if n, ok := v.(*tapeNode); ok {
		return n.resolve()
	}
	return v
}

// field finds key in the object at i: the entry of its value, or -1. A repeated key answers
// its last value, as ParseJSON's map holds.
func (t *Tape) field(i int32, key string) int32 {
	k := newTapeKey(key)
	return t.fieldKey(i, &k, nil)
}

// tapeKey is a key to look up among a tape object's keys, with its first bytes as an
// integer: most keys differ from the one sought in length or in their first eight bytes,
// and those are told apart by comparing two integers, without a call. A reference makes its
// properties' once, at parse time.
type tapeKey struct {
	name       string
	word, mask uint64 // the first eight bytes (fewer, zero-padded), little-endian; and which
	short      bool   // 1 to 8 bytes: word is the whole key
}

func newTapeKey(name string) tapeKey {
	k := tapeKey{name: name, mask: ^uint64(0), short: len(name) >= 1 && len(name) <= 8}
	if len(name) < 8 {
		k.mask = 1<<(8*len(name)) - 1
	}
	for i := min(len(name), 8) - 1; i >= 0; i-- {
		k.word = k.word<<8 | uint64(name[i])
	}
	return k
}

// fieldKey is field for a tapeKey. hint, when not nil, is the pair where the key was found
// in the last object it was looked up in (read and written atomically: evaluations share
// it): the objects of an array mostly have their keys in the same order, so that the
// hinted pair is looked at first.
func (t *Tape) fieldKey(i int32, key *tapeKey, hint *uint32) int32 {
	obj := &t.ents[i]
	if obj.dup {
		return t.fieldLast(i, key.name)
	}
	// A flat object (every value one entry: scalars, empty containers) has its keys at every
	// other entry, pair j's at i+1+2j. Its entries end where their count says.
	flat := int64(obj.a) == int64(i)+1+2*int64(obj.n)
	if hint != nil {
		if j := atomic.LoadUint32(hint); j < obj.n {
			k := i + 1 + 2*int32(j)
			if !flat {
				k = i + 1
				for ; j > 0; j-- {
					k = t.next(k + 1)
				}
			}
			if t.keyIs(k, key) {
				return k + 1
			}
		}
	}
	j := uint32(0)
	for k := i + 1; k < int32(obj.a); k = t.next(k + 1) {
		// Most keys differ in length: told apart before a call.
		if en := &t.ents[k]; (en.kind != entString || int(en.b-en.a) == len(key.name)) && t.keyIs(k, key) {
			if hint != nil {
				atomic.StoreUint32(hint, j)
			}
			return k + 1
		}
		j++
	}
	return -1
}

// keyIs reports whether entry k, a key, is key.
func (t *Tape) keyIs(k int32, key *tapeKey) bool {
	en := &t.ents[k]
	if en.kind != entString {
		return t.strs[en.n] == key.name
	}
	if int(en.b-en.a) != len(key.name) {
		return false
	}
	if int(en.a)+8 <= len(t.text) {
		return binary.LittleEndian.Uint64(textAt8(t.text, en.a)[:])&key.mask == key.word &&
			(len(key.name) <= 8 || t.text[en.a+8:en.b] == key.name[8:])
	}
	return t.text[en.a:en.b] == key.name // the last bytes of the text
}

// fieldLast is field for an object with a repeated key: the last value of key.
func (t *Tape) fieldLast(i int32, key string) int32 {
	end := int32(t.ents[i].a)
	found := int32(-1)
	for k := i + 1; k < end; {
		if t.str(k) == key {
			found = k + 1
		}
		k = t.next(k + 1)
	}
	return found
}

// elem is the entry of element i of the array at a (negative from the end), or -1.
func (t *Tape) elem(a int32, i int) int32 {
	n := int(t.ents[a].n)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return -1
	}
	k := a + 1
	for ; i > 0; i-- {
		k = t.next(k)
	}
	return k
}

// prop is $node.name, as evaluator.prop answers it for the *Map or *List.
func (n *tapeNode) prop(name string) any {
	k := newTapeKey(name)
	return n.propKey(&k, nil)
}

// propKey is prop for a tapeKey, with fieldKey's hint.
func (n *tapeNode) propKey(key *tapeKey, hint *uint32) any {
	name := key.name
	if r := n.real(); r != nil {
		return propOf(r, name)
	}
	en := n.entry()
	if en.kind == entArray {
		if name == "empty" {
			return en.n == 0
		}
		return nil
	}
	if k := n.d.t.fieldKey(n.i, key, hint); k >= 0 {
		return n.d.value(k)
	}
	return nil
}

// appendJSON writes the value at entry i as appendJSON writes its materialised value, at
// the same depth limit; a container materialised meanwhile is written from its value.
func (d *tapeDoc) appendJSON(b []byte, i int32, depth int) ([]byte, bool) {
	if depth > maxValueDepth {
		return b, false
	}
	en := &d.t.ents[i]
	switch en.kind {
	case entNull:
		return append(b, "null"...), true
	case entFalse:
		return append(b, "false"...), true
	case entTrue:
		return append(b, "true"...), true
	case entInt, entFloat:
		if num, ok := d.t.numText(i); ok {
			return append(b, num...), true
		}
		if en.kind == entInt {
			return strconv.AppendInt(b, int64(en.bits()), 10), true
		}
		return appendJavaDouble(b, math.Float64frombits(en.bits())), true // JSON has no NaN nor Inf
	case entBigInt:
		return append(b, d.t.text[en.a:en.b]...), true
	case entString, entStringEsc:
		return appendJSONString(b, d.t.str(i)), true
	}
	if (d.mat != nil && d.mat[en.b] != nil) || en.dup {
		return appendJSON(b, d.materialize(i), depth)
	}
	open, closing := byte('['), byte(']')
	if en.kind == entObject {
		open, closing = '{', '}'
	}
	b = append(b, open)
	var ok bool
	for k := i + 1; k < int32(en.a); k = d.t.next(k) {
		if k > i+1 {
			b = append(b, ',')
		}
		if en.kind == entObject {
			b = appendJSONString(b, d.t.str(k))
			b = append(b, ':')
			k++
		}
		if b, ok = d.appendJSON(b, k, depth+1); !ok {
			return b, false
		}
	}
	return append(b, closing), true
}

// method answers the methods that read a node without changing it, off the tape, as
// listMethod and mapMethod do; ok is false for the rest (args are already real values).
func (n *tapeNode) method(name string, args []any) (any, bool) {
	if n.real() != nil || n.entry().dup {
		return nil, false
	}
	en := n.entry()
	switch name {
	case "size":
		if len(args) == 0 {
			return int64(en.n), true
		}
	case "isEmpty":
		if len(args) == 0 {
			return en.n == 0, true
		}
	case "get", "containsKey":
		if en.kind != entObject || len(args) != 1 {
			return nil, false
		}
		k, ok := args[0].(string)
		if !ok {
			return nil, false // null and other keys: as mapMethod answers them
		}
		f := n.d.t.field(n.i, k)
		if name == "containsKey" {
			return f >= 0, true
		}
		if f < 0 {
			return nil, true
		}
		return n.d.value(f), true
	}
	return nil, false
}

// pathStep is one step of a definite JSONPath from the node, off the tape.
func (n *tapeNode) pathStep(st *jpStep) (any, bool) {
	en := n.entry()
	var k int32 = -1
	switch st.kind {
	case jpNames:
		if en.kind == entObject {
			k = n.d.t.field(n.i, st.names[0])
		}
	case jpIndexes:
		if en.kind == entArray {
			k = n.d.t.elem(n.i, st.indexes[0])
		}
	}
	if k < 0 {
		return nil, false
	}
	return n.d.value(k), true
}
