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
// first's). A run of text and properties only takes no step while it prints: when none of
// its steps can stop the evaluation (they stay under the cap, and none is one at which the
// deadline is checked) they are counted at once.
func (e *evaluator) run(r *runNode) error {
	checks := true
	if n := len(r.pieces) - 1; r.plain && e.steps+n <= e.opts.MaxSteps && e.steps>>10 == (e.steps+n)>>10 {
		e.steps += n
		checks = false
	}
	for i := range r.pieces {
		p := &r.pieces[i]
		if checks && i > 0 {
			// step, inline, as nodes takes it.
			if e.steps+1 > e.opts.MaxSteps || (e.steps+1)&1023 == 0 {
				if err := e.step(p.off); err != nil {
					return err
				}
			} else {
				e.steps++
			}
		}
		if p.ref == nil {
			if !e.fits16(p.text, &p.pad) && !e.fits(p.text) {
				if err := e.writeGrow(p.off, p.text); err != nil {
					return err
				}
			}
			continue
		}
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
	}
	return nil
}

// refTape prints a reference of properties only ($x.a.b) whose variable is an object of
// the body, reading each step and the scalar at the end straight off the tape: no value is
// boxed, and neither walk nor prop is called. done is false, with nothing written, when the
// reference leaves what the tape answers alone (a variable that is not a tape node, a step
// through an array, a container materialised as a *Map, an object with a repeated key, a
// container at the end); evaluator.ref then answers it, as it would have.
//
// Its usual case, a key of a flat object where the reference found it last, printed from
// the body's text, is written out here rather than through fieldKey and writeEntry: it is
// most of what a template over an array of objects does, and the calls were most of its
// cost.
func (e *evaluator) refTape(n *refNode) (done bool, err error) {
	tn, ok := e.vars[n.ref.slot].(*tapeNode)
	if !ok {
		return false, nil
	}
	d, i := tn.d, tn.i
	t := d.t
	parts := n.ref.parts
	for p := range parts {
		en := &t.ents[i]
		if en.kind != entObject || en.dup || (d.mat != nil && d.mat[en.b] != nil) {
			return false, nil
		}
		part := &parts[p]
		if j := atomic.LoadUint32(&part.hint); j < en.n && int64(en.a) == int64(i)+1+2*int64(en.n) {
			// fieldKey's hinted look at a flat object, inline.
			k := &t.ents[i+1+2*int32(j)]
			if k.kind == entString && int(k.b-k.a) == len(part.key.name) && len(part.key.name) <= 8 && int(k.a)+8 <= len(t.text) &&
				binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(t.text[k.a:]), 8))&part.key.mask == part.key.word {
				i += 2 + 2*int32(j)
				continue
			}
		}
		if i = t.fieldKey(i, &part.key, &part.hint); i < 0 {
			return true, e.refNull(n)
		}
	}
	// writeEntry's usual cases, inline: a string without escapes, a number as the body
	// spelled it, copied from the body's text; by 16 bytes at once (as fits16) when the
	// text and the buffer have room for them, which the values of most bodies are short
	// enough for.
	en := &t.ents[i]
	var a, b uint32
	switch en.kind {
	case entString:
		a, b = en.a, en.b
	case entInt, entFloat:
		if en.tl == 0 {
			return e.writeEntry(n.off, t, i)
		}
		a, b = en.n, en.n+uint32(en.tl)
	case entNull:
		return true, e.refNull(n)
	default:
		return e.writeEntry(n.off, t, i)
	}
	if o := len(e.out); b-a <= 16 && int(a)+16 <= len(t.text) && cap(e.out)-o >= 16 {
		*(*[16]byte)(e.out[o : o+16]) = *(*[16]byte)(unsafe.Slice(unsafe.StringData(t.text[a:]), 16)) // read, never written
		e.out = e.out[:o+int(b-a)]
		return true, nil
	}
	if e.fits(t.text[a:b]) {
		return true, nil
	}
	return e.writeEntry(n.off, t, i)
}

// refNull prints a reference that resolved to null: nothing, or its source text.
func (e *evaluator) refNull(n *refNode) error {
	if n.quiet || !e.opts.LiteralNulls {
		return nil
	}
	return e.write(n.off, n.raw)
}
