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
	"sync/atomic"
	"unsafe"
)

// The usual #foreach of a mapping template, over an array of objects of the body whose
// body prints some of each object's properties between texts ({"sku": "$i.sku"}, ...),
// printed item after item in one loop, without going through the loop's variables: what
// runPieces does for each piece, with the checks it makes per piece made once per item,
// from a plan made at parse time.

// loopPlan is the body of a #foreach that loopItems may print: one run whose pieces
// runPieces prints (piece.fast), whose properties are the loop variable's and whose
// conditions are the loop's $foreach (not a variable named foreach).
type loopPlan struct {
	steps []loopStep
	// fixed and most are the run's, each with the run's own node step.
	fixed, most int
}

// loopStep is a piece of the run: its pre, then a property of the item (hint not nil:
// the reference's own, which refTape moves, and its key's length, mask and word, as
// tapeKey's), or text (a condition's when it holds).
type loopStep struct {
	pre, text       [16]byte
	word, mask      uint64
	hint            *uint32
	preLen, textLen uint8
	keyLen          uint8
	cond            scopeProp // the condition's property, or scopeNone
	condSteps       uint8     // the condition's steps, and the #if's unless it is the run's first node
}

// flatLoop is the plan for a #foreach over slot with body, or nil.
func flatLoop(slot int, body []node) *loopPlan {
	if len(body) != 1 || slot < numFixedSlots {
		return nil
	}
	r, ok := body[0].(*runNode)
	if !ok || !r.plain {
		return nil
	}
	plan := &loopPlan{fixed: 1 + r.fixed, most: 1 + r.most}
	for i := range r.pieces {
		p := &r.pieces[i]
		s := loopStep{pre: p.prePad, preLen: uint8(len(p.pre)), text: p.pad, textLen: uint8(len(p.text))}
		switch p.fast {
		case fastText:
		case fastField:
			if p.slot != slot {
				return nil
			}
			s.hint, s.word, s.mask, s.keyLen = &p.field.hint, p.field.key.word, p.field.key.mask, uint8(len(p.field.key.name))
		case fastCond:
			if p.slot != slotForeach {
				return nil
			}
			s.cond, s.condSteps = p.scope, 1
			if i > 0 || p.pre != "" {
				s.condSteps++
			}
		default:
			return nil
		}
		plan.steps = append(plan.steps, s)
	}
	return plan
}

// loopItems prints items i on (of count, the first at entry k of d's tape, an array's
// items one after another) by plan, as many as it can in full before limit, and returns
// the entry and the number of the first it did not print. It prints an item when the
// item is an object read off the tape (not materialised, no repeated key, every value one
// entry), each property is a string without escapes or a number spelled as it prints, of
// 16 bytes or fewer, at the pair its hint says; the buffer has room for every piece, 16
// bytes at a time; and none of the item's steps can stop the evaluation, so that they are
// counted at once (the run's node step, its fixed steps and the conditions', as foreach
// and runPieces count them). It leaves the first item that is not so, having printed and
// counted nothing of it, to foreach, which takes it its usual way: that answers every
// case (and moves the hints).
//
// Nothing an item prints can change the loop's state: the variables foreach would set
// ($item, $foreach's index) are read by no piece but through i and count here, and are
// set by foreach for the next item it takes its usual way.
func (e *evaluator) loopItems(plan *loopPlan, d *tapeDoc, k int32, i, count, limit int) (int32, int) {
	t := d.t
	ents := t.ents
	if len(t.text) < 16 {
		return k, i
	}
	// A key's word and a value's 16 bytes are read from the text when they start by last,
	// which is all of them but at the document's very end.
	text, last := unsafe.Pointer(unsafe.StringData(t.text)), uint32(len(t.text)-16)
	steps, maxSteps := e.steps, e.opts.MaxSteps
	o, room := len(e.out), cap(e.out)-32*len(plan.steps) // the buffer's length, and what it may come to before an item
	base := unsafe.Pointer(unsafe.SliceData(e.out[:cap(e.out)]))
items:
	for ; i < limit; i++ {
		en := &ents[k]
		if en.kind != entObject || en.dup || int64(en.a) != int64(k)+1+2*int64(en.n) || (d.mat != nil && d.mat[en.b] != nil) {
			break
		}
		if most := steps + plan.most; most > maxSteps || most>>10 != steps>>10 || o > room {
			break
		}
		// The pairs (j < n is pair j) and the buffer (32 bytes a piece, checked above) are
		// addressed without bounds checks: the compiler kept too few of this loop's values
		// in registers with them.
		pairs, n := unsafe.Pointer(unsafe.SliceData(ents[k+1:en.a])), en.n
		dst := unsafe.Add(base, o)
		counted := steps + plan.fixed
		hasNext := i+1 < count
		for si := range plan.steps {
			s := &plan.steps[si]
			*(*[16]byte)(dst) = s.pre
			dst = unsafe.Add(dst, s.preLen)
			if s.hint != nil {
				j := atomic.LoadUint32(s.hint)
				if j >= n {
					break items
				}
				key := (*entry)(unsafe.Add(pairs, 32*uintptr(j)))
				v := (*entry)(unsafe.Add(pairs, 32*uintptr(j)+16))
				// A key with escapes has a and b 0: its length is none a short key has.
				if key.b-key.a != uint32(s.keyLen) || key.a > last ||
					*(*uint64)(unsafe.Add(text, key.a))&s.mask != s.word {
					break items
				}
				// Only a number that prints as it is spelled has a length of text (tl).
				a, b := v.a, v.b
				if v.tl != 0 {
					a, b = v.n, v.n+uint32(v.tl)
				} else if v.kind != entString {
					break items
				}
				if b-a > 16 || a > last {
					break items
				}
				*(*[16]byte)(dst) = *(*[16]byte)(unsafe.Add(text, a))
				dst = unsafe.Add(dst, b-a)
				continue
			}
			if s.cond != scopeNone {
				counted += int(s.condSteps)
				holds := hasNext
				switch s.cond {
				case scopeFirst:
					holds = i == 0
				case scopeLast:
					holds = !hasNext
				}
				if !holds {
					continue
				}
				counted++ // the text's
			}
			*(*[16]byte)(dst) = s.text
			dst = unsafe.Add(dst, s.textLen)
		}
		o, steps, k = int(uintptr(dst)-uintptr(base)), counted, int32(en.a)
	}
	// Reslicing e.out to itself stores its length alone (see fits).
	e.out, e.steps = e.out[:o], steps
	return k, i
}
