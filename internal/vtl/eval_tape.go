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
	"sync/atomic"
	"unsafe"
)

// The evaluator's short cuts for the body read onto a tape: what most templates spend
// their time on is printing $item.name inside a #foreach over an array of the body.

// run prints a runNode's pieces, each a step as the node it stands for (nodes counted the
// first's), an #if two or three (the #if, its condition, its text when it holds). A run of
// text and properties only takes no step while it prints: when none of its steps can stop
// the evaluation (they stay under the cap, and none is one at which the deadline is
// checked, at the most they may come to) they are counted without checking them (batch).
//
// runPieces prints the pieces in their usual cases; runRest prints the piece it leaves,
// node by node, and gives it the rest again. (foreach does as run for a body that is a run.)
func (e *evaluator) run(r *runNode) error {
	batch := e.batch(r)
	if i := e.runPieces(r.pieces, 0, batch); i < len(r.pieces) {
		return e.runRest(r, i, batch)
	}
	return nil
}

// batch counts the steps of run r when none of them can stop the evaluation, and reports
// whether it did.
func (e *evaluator) batch(r *runNode) bool {
	if r.plain && e.steps+r.most <= e.opts.MaxSteps && e.steps>>10 == (e.steps+r.most)>>10 {
		e.steps += r.fixed
		return true
	}
	return false
}

// runRest prints run r from piece i on, which runPieces left.
func (e *evaluator) runRest(r *runNode, i int, batch bool) error {
	pieces := r.pieces
	for ; i < len(pieces); i++ {
		if i = e.runPieces(pieces, i, batch); i == len(pieces) {
			break
		}
		p := &pieces[i]
		if i > 0 {
			// The piece's step: counted already, or counted now without a check (batch), or
			// as nodes takes it.
			if batch {
				if p.cond != nil && p.pre == "" {
					e.steps++
				}
			} else if !e.tick() {
				if err := e.step(p.first()); err != nil {
					return err
				}
			}
		}
		if p.pre != "" {
			// The text before the reference or #if, then the step of that (as above).
			if !e.fits16(p.pre, &p.prePad) && !e.fits(p.pre) {
				if err := e.writeGrow(p.preOff, p.pre); err != nil {
					return err
				}
			}
			if batch {
				if p.cond != nil {
					e.steps++
				}
			} else if !e.tick() {
				if err := e.step(p.off); err != nil {
					return err
				}
			}
		}
		off := p.off
		switch {
		case p.cond != nil:
			// ifNode, for an #if whose block is text.
			holds, err := e.cond(p.cond)
			if err != nil {
				return err
			}
			if !holds {
				continue
			}
			off = p.textOff
			if batch {
				e.steps++
			} else if err := e.step(off); err != nil {
				return err
			}
		case p.ref != nil:
			if p.ref.ref.props {
				if done, err := e.refTape(p.ref); done {
					if err != nil {
						return err
					}
					continue
				}
			}
			if err := e.ref(p.ref); err != nil {
				return err
			}
			continue
		}
		if !e.fits16(p.text, &p.pad) && !e.fits(p.text) {
			if err := e.writeGrow(off, p.text); err != nil {
				return err
			}
		}
	}
	return nil
}

// runPieces prints pieces from i on while each is one of the usual cases (piece.fast): a
// text, an #if of a $foreach condition whose block is text, or a property of an object of
// the body (as tapeObject finds it) whose key is where its hint says and whose value is a
// string without escapes or a number spelled as it prints; each piece of 16 bytes or
// fewer, as the text before it (pre). A piece is copied in 16-byte blocks (as fits16) and its steps
// are counted at once: those the run did not count (batch), or all of them when none can
// stop the evaluation. The loop calls nothing, so that its state stays in registers rather
// than saved around each call. It returns the first piece it leaves, of which it printed
// and counted nothing.
//
// A run mostly prints properties of one object ($i.sku, $i.qty): the object of the last
// reference read is kept for the next of the same variable, which goes straight to its
// key. Nothing here can change what the variable's object answers.
func (e *evaluator) runPieces(pieces []piece, i int, batch bool) int {
	out := e.out
	objSlot, obj := -1, (*tapeNode)(nil)
loop:
	for ; uint(i) < uint(len(pieces)); i++ { // uint: i is then known to be in pieces
		p := &pieces[i]
		o := len(out)
		if o > cap(out)-32 {
			break
		}
		// n: the steps the piece takes that the run did not count (batch) or all of them
		// (a step for the piece's node, unless it is the first of the run, whose nodes
		// counted, and one for pre's); src: the 16 bytes it prints after pre, size of them.
		n := 0
		if !batch {
			if i > 0 {
				n++
			}
			if p.pre != "" {
				n++
			}
		}
		var src *[16]byte
		var size uint32
		switch p.fast {
		case fastCond:
			s, ok := e.vars[p.slot].(*foreachScope)
			if !ok {
				break loop
			}
			var holds bool
			switch p.scope {
			case scopeHasNext:
				holds = s.hasNext
			case scopeFirst:
				holds = s.index == 0
			default:
				holds = !s.hasNext
			}
			n++ // the condition's
			if batch && (i > 0 || p.pre != "") {
				n++ // the #if's
			}
			src = &p.pad
			if holds {
				n++ // the text's
				size = uint32(len(p.text))
			}
		case fastField:
			if p.slot != objSlot {
				objSlot, obj = p.slot, e.tapeObject(p.slot)
			}
			if obj == nil {
				break loop
			}
			t, oi, part := obj.d.t, obj.i, p.field
			en := &t.ents[oi]
			j := atomic.LoadUint32(&part.hint)
			if j >= en.n {
				break loop
			}
			// The hinted pair: in a flat object at oi+1+2j, else j pairs on.
			kk := oi + 1 + 2*int32(j)
			if int64(en.a) != int64(oi)+1+2*int64(en.n) {
				for kk = oi + 1; j > 0; j-- {
					kk = t.next(kk + 1)
				}
			}
			// A key with escapes has a and b 0: its length is none a short key has.
			kv := t.ents[int(kk) : int(kk)+2] // the key and its value: one bounds check
			k, v := &kv[0], &kv[1]
			if int(k.b-k.a) != len(part.key.name) || int(k.a)+8 > len(t.text) || binary.LittleEndian.Uint64(textAt8(t.text, k.a)[:])&part.key.mask != part.key.word {
				break loop
			}
			a, b := v.a, v.b
			switch {
			case v.kind == entString:
			case (v.kind == entInt || v.kind == entFloat) && v.tl != 0:
				a, b = v.n, v.n+uint32(v.tl)
			default:
				break loop
			}
			if b-a > 16 || int(a)+16 > len(t.text) {
				break loop
			}
			src, size = textAt(t.text, a), b-a
		case fastText:
			src, size = &p.pad, uint32(len(p.text))
		default:
			break loop
		}
		if steps := e.steps; !batch && (steps+n > e.opts.MaxSteps || (steps+n)>>10 != steps>>10) {
			break // a step that may stop the evaluation: run takes them one by one
		}
		e.steps += n
		if p.pre != "" {
			*(*[16]byte)(out[o : o+16]) = p.prePad
			o += len(p.pre)
		}
		*(*[16]byte)(out[o : o+16]) = *src
		out = out[:o+int(size)]
	}
	e.out = e.out[:len(out)] // out is e.out's memory: its length alone
	return i
}

// tapeObject is the variable in slot when it is an object of the body that refTape reads:
// not materialised, without repeated keys.
func (e *evaluator) tapeObject(slot int) *tapeNode {
	tn, ok := e.vars[slot].(*tapeNode)
	if !ok {
		return nil
	}
	if en := &tn.d.t.ents[tn.i]; en.kind != entObject || en.dup || (tn.d.mat != nil && tn.d.mat[en.b] != nil) {
		return nil
	}
	return tn
}

// refTape prints a reference of properties only ($x.a.b) whose variable is an object of
// the body, reading each step and the scalar at the end straight off the tape: no value is
// boxed, and neither walk nor prop is called. done is false, with nothing written, when the
// reference leaves what the tape answers alone (a variable that is not a tape node, a step
// through an array, a container materialised as a *Map, an object with a repeated key, a
// container at the end); evaluator.ref then answers it, as it would have.
func (e *evaluator) refTape(n *refNode) (done bool, err error) {
	tn := e.tapeObject(n.ref.slot)
	if tn == nil {
		return false, nil
	}
	d, i := tn.d, tn.i
	t := d.t
	parts := n.ref.parts
	for p := range parts[:len(parts)-1] {
		if i = t.lookup(i, &parts[p]); i < 0 {
			return true, e.refNull(n)
		}
		if en := &t.ents[i]; en.kind != entObject || en.dup || (d.mat != nil && d.mat[en.b] != nil) {
			return false, nil
		}
	}
	return e.printField(n, t, i, &parts[len(parts)-1])
}

// lookup is fieldKey with the part's key and hint, its usual case (a flat object with the
// key where the hint says) inline.
func (t *Tape) lookup(i int32, part *refPart) int32 {
	en := &t.ents[i]
	if j := atomic.LoadUint32(&part.hint); j < en.n && int64(en.a) == int64(i)+1+2*int64(en.n) {
		k := &t.ents[i+1+2*int32(j)]
		if k.kind == entString && int(k.b-k.a) == len(part.key.name) && len(part.key.name) <= 8 && int(k.a)+8 <= len(t.text) &&
			binary.LittleEndian.Uint64(textAt8(t.text, k.a)[:])&part.key.mask == part.key.word {
			return i + 2 + 2*int32(j)
		}
	}
	return t.fieldKey(i, &part.key, &part.hint)
}

// printField prints property part of the object at i, a tape object as tapeObject checks,
// for reference n: its usual cases inline, a string without escapes or a number as the body
// spelled it, copied from the body's text; by 16 bytes at once (as fits16) when the text
// and the buffer have room for them, which the values of most bodies are short enough for.
// done is false, with nothing written, for a container, which evaluator.ref prints whole.
//
// lookup's usual case is written out again here: the call was a good part of the cost.
func (e *evaluator) printField(n *refNode, t *Tape, i int32, part *refPart) (done bool, err error) {
	k := int32(-1)
	en := &t.ents[i]
	if j := atomic.LoadUint32(&part.hint); j < en.n && part.key.short {
		// The hinted pair: in a flat object at i+1+2j, else j pairs on.
		kk := i + 1 + 2*int32(j)
		if int64(en.a) != int64(i)+1+2*int64(en.n) {
			for kk = i + 1; j > 0; j-- {
				kk = t.next(kk + 1)
			}
		}
		// A key with escapes has a and b 0: its length is none a short key has.
		kn := &t.ents[kk]
		if int(kn.b-kn.a) == len(part.key.name) && int(kn.a)+8 <= len(t.text) &&
			binary.LittleEndian.Uint64(textAt8(t.text, kn.a)[:])&part.key.mask == part.key.word {
			k = kk + 1
		}
	}
	if k < 0 {
		if k = t.fieldKey(i, &part.key, &part.hint); k < 0 {
			return true, e.refNull(n)
		}
	}
	en = &t.ents[k]
	var a, b uint32
	switch en.kind {
	case entString:
		a, b = en.a, en.b
	case entInt, entFloat:
		if en.tl == 0 {
			return e.writeEntry(n.off, t, k)
		}
		a, b = en.n, en.n+uint32(en.tl)
	case entNull:
		return true, e.refNull(n)
	default:
		return e.writeEntry(n.off, t, k)
	}
	if o := len(e.out); b-a <= 16 && int(a)+16 <= len(t.text) && cap(e.out)-o >= 16 {
		*(*[16]byte)(e.out[o : o+16]) = *textAt(t.text, a)
		e.out = e.out[:o+int(b-a)]
		return true, nil
	}
	if e.fits(t.text[a:b]) {
		return true, nil
	}
	return e.writeEntry(n.off, t, k)
}

// textAt is the 16 bytes of text from a, which the caller checked it has: read, never
// written. (unsafe.Slice would check again what the caller did.)
func textAt(text string, a uint32) *[16]byte {
	return (*[16]byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), a))
}

// textAt8 is textAt for 8 bytes.
func textAt8(text string, a uint32) *[8]byte {
	return (*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), a))
}

// refNull prints a reference that resolved to null: nothing, or its source text.
func (e *evaluator) refNull(n *refNode) error {
	if n.quiet || !e.opts.LiteralNulls {
		return nil
	}
	return e.write(n.off, n.raw)
}
