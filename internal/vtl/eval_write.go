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
	"math"
	"strconv"
	"unsafe"
)

// The evaluator's output: the pieces a template prints are appended to one buffer, whose
// capacity is kept within Options.MaxOutput (see clip), so that the usual piece costs one
// comparison with the room left.

func (e *evaluator) write(off int, s string) error {
	if e.fits(s) {
		return nil
	}
	return e.writeGrow(off, s)
}

// fits appends s when the buffer has room for it, and reports whether it had. It is write's
// usual case, small enough to be inlined where pieces are written most. The buffer's
// capacity never passes the output's cap (see clip), so that room in it is room in the cap.
func (e *evaluator) fits(s string) bool {
	if n := len(e.out); len(s) <= cap(e.out)-n {
		// Reslicing e.out to itself stores only its length; append would store the pointer
		// too, and pay a write barrier for it while the collector marks.
		e.out = e.out[:n+len(s)]
		copy(e.out[n:], s)
		return true
	}
	return false
}

// fits16 appends a string of at most 16 bytes whose first 16 bytes (the string's, and
// whatever follows it, which the buffer's length leaves out) are at src, when the buffer has
// room for 16: they are copied as one block, without calling memmove, which most of the
// short pieces a template prints spent more on being called than on copying. It reports
// whether it could; fits is for the rest.
func (e *evaluator) fits16(s string, src *[16]byte) bool {
	n := len(e.out)
	if len(s) > 16 || cap(e.out)-n < 16 {
		return false
	}
	*(*[16]byte)(e.out[n : n+16]) = *src
	e.out = e.out[:n+len(s)]
	return true
}

// writeGrow is write when the buffer must grow, or the output would pass its cap.
func (e *evaluator) writeGrow(off int, s string) error {
	if len(e.out)+len(s) > e.opts.MaxOutput {
		return e.errf(off, KindLimit, "the output is larger than %d bytes", e.opts.MaxOutput)
	}
	e.out = append(e.out, s...)
	e.clip()
	return nil
}

// clip keeps the buffer's capacity within the output's cap, which fits relies on.
func (e *evaluator) clip() {
	if cap(e.out) > e.opts.MaxOutput {
		e.out = e.out[:len(e.out):e.opts.MaxOutput]
	}
}

// writeEntry prints entry k of t as writeVal prints its value, for the scalars but null;
// done is false for the rest.
func (e *evaluator) writeEntry(off int, t *Tape, k int32) (done bool, err error) {
	var buf [32]byte
	switch en := &t.ents[k]; en.kind {
	case entString, entStringEsc:
		return true, e.write(off, t.str(k))
	case entInt, entFloat:
		if num, ok := t.numText(k); ok { // the body spelled it as it prints
			return true, e.write(off, num)
		}
		if en.kind == entInt {
			return true, e.writeBytes(off, strconv.AppendInt(buf[:0], int64(en.bits()), 10))
		}
		return true, e.writeBytes(off, appendJavaDouble(buf[:0], math.Float64frombits(en.bits())))
	case entBigInt:
		return true, e.write(off, t.text[en.a:en.b])
	case entTrue:
		return true, e.write(off, "true")
	case entFalse:
		return true, e.write(off, "false")
	}
	return false, nil
}

func (e *evaluator) writeBytes(off int, b []byte) error {
	return e.write(off, unsafe.String(unsafe.SliceData(b), len(b))) // copied before b goes
}

func (e *evaluator) writeVal(off int, v any) error {
	var buf [32]byte
	switch x := v.(type) {
	case string:
		return e.write(off, x)
	case int64:
		// Numbers format into buf: appending to e.out would store its pointer back.
		return e.writeBytes(off, strconv.AppendInt(buf[:0], x, 10))
	case float64:
		return e.writeBytes(off, appendJavaDouble(buf[:0], x))
	}
	n := len(e.out)
	out, ok := writeValue(e.out, v, 0)
	e.out = out
	if !ok {
		e.out = e.out[:n]
		return e.errf(off, KindRuntime, "value is nested more than %d levels deep (a map inside itself?)", maxValueDepth)
	}
	if len(e.out) > e.opts.MaxOutput {
		e.out = e.out[:n]
		return e.errf(off, KindLimit, "the output is larger than %d bytes", e.opts.MaxOutput)
	}
	e.clip()
	return nil
}

// boxStr is any(s) for a string a method made, from a slot of e.strs: a template that calls
// a method per item of a loop made as many 16-byte allocations. The slots come in chunks
// that double from 4 to 64, so that a template calling few methods allocates little more
// than it did. (As boxSlabs: a slot is written once, before it is boxed.)
func (e *evaluator) boxStr(s string) any {
	if s == "" {
		return ""
	}
	if len(e.strs) == cap(e.strs) {
		e.strs = make([]string, 0, min(max(2*cap(e.strs), 4), 64))
	}
	e.strs = append(e.strs, s)
	return boxSlot(stringType, unsafe.Pointer(&e.strs[len(e.strs)-1]))
}

// The strings methods build ($util.escapeJavaScript, a literal replace: one per item of a
// loop, most of them short) are appended to the evaluation's arena, a chunk of bytes that
// is only ever appended to, rather than allocated one by one. Chunks double from 256 bytes
// to 4 KB, so that a template building few strings allocates little more than it did; a
// string keeps its chunk alive; a long one is allocated alone.
const (
	arenaFirst = 256
	arenaMax   = 4096
)

// arenaBuf is an empty slice to append a string of about n bytes to: the arena's free
// tail when it has room, else a new chunk's, else (for a long string) its own.
func (e *evaluator) arenaBuf(n int) []byte {
	if cap(e.arena)-len(e.arena) < n {
		if n > arenaMax/4 {
			return make([]byte, 0, n)
		}
		e.arena = make([]byte, 0, min(max(2*cap(e.arena), arenaFirst), arenaMax))
	}
	return e.arena[len(e.arena):len(e.arena)]
}

// arenaString is b, built on arenaBuf's slice, as a string: when b is still in the arena's
// tail (append did not move it), the arena takes its bytes, which are not written again.
func (e *evaluator) arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if free := e.arena[len(e.arena):cap(e.arena)]; len(b) <= cap(free) && unsafe.SliceData(b) == unsafe.SliceData(free) {
		e.arena = e.arena[:len(e.arena)+len(b)]
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
