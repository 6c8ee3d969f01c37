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
	"math/bits"
)

// tape reads the document onto t. It is ParseJSON's recursive reader turned into a loop,
// and takes the same steps in the same order, so that it accepts and refuses alike, with
// the same error at the same offset.
//
// The loop is scan, which calls nothing: a call on its path makes the compiler spill every
// value live across it at the top of the loop, a dozen stores per value read. What scan
// leaves (a string with escapes, a number it does not read, a deeper stack, a key that may
// repeat, an error) it returns to tape, which handles it and resumes the loop.
func (d *jsonReader) tape(t *Tape, ents []entry) (err error) {
	defer func() {
		if err != nil {
			t.ents = ents[:0] // for Release to keep
		}
	}()
	s := d.s
	if d.tstack = d.tstack[:cap(d.tstack)]; len(d.tstack) < 2 {
		d.tstack = make([]tapeFrame, 32)
	}
	d.tstack[0] = tapeFrame{at: -1} // the root's parent
	d.conts = 0
	i, k, depth, from := d.i, 0, 0, atValue
	for {
		var why tapeExit
		i, k, depth, why = d.scan(ents, i, k, depth, from)
		switch why {
		case exitDone:
			t.ents, t.conts = ents[:k], d.conts
			return nil
		case exitGrow, exitGrowKey:
			grown := make([]entry, 2*len(ents)+16)
			copy(grown, ents[:k])
			ents, from = grown, atValue
			if why == exitGrowKey {
				from = atMember
			}
		case exitStr, exitKey:
			en, j, err := d.tapeStr(t, s, i)
			if err != nil {
				return err
			}
			ents[k], k, i, from = en, k+1, j, atAfter
			if why == exitKey {
				d.tstack[depth].coll = 1 // the hash of the text is not that of the key
				from = atColon
			}
		case exitNum:
			en, j, err := d.tapeNum(i)
			if err != nil {
				return err
			}
			ents[k], k, i, from = en, k+1, j, atAfter
		case exitFrames:
			d.tstack = append(d.tstack, make([]tapeFrame, len(d.tstack))...)
			from = atValue
		case exitDup:
			at := int(d.tstack[depth].at)
			ents[at].dup = t.dupKeys(ents[:k], at)
			depth, from = depth-1, atAfter
		case exitDeep:
			if d.tstack[depth].obj {
				return d.deepKey(s, i)
			}
			return errJSONDepth
		default:
			d.i = i
			return d.errorf(exitMsgs[why])
		}
	}
}

// tapeExit is why scan returned.
type tapeExit uint8

const (
	exitDone    tapeExit = iota // the document was read
	exitStr                     // a string value at i, with escapes or an error
	exitKey                     // likewise a key
	exitNum                     // a number at i that scan does not read
	exitFrames                  // no frame left for the container at i
	exitDup                     // the object of frame depth closed, with keys that may repeat
	exitDeep                    // the container of frame depth opened too deep
	exitGrow                    // no entry left for the value at i
	exitGrowKey                 // nor for the key at i
	// Errors, at i.
	exitEOF
	exitChar
	exitObjEnd
	exitArrEnd
	exitKeyQuote
	exitColon
	exitTrailing
)

var exitMsgs = [...]string{
	exitEOF:      "unexpected end of JSON",
	exitChar:     "unexpected character",
	exitObjEnd:   "expected , or }",
	exitArrEnd:   "expected , or ]",
	exitKeyQuote: "expected a string key",
	exitColon:    "expected :",
	exitTrailing: "unexpected data after the JSON value",
}

// Where scan resumes.
const (
	atValue  = iota // a value at i
	atAfter         // a value ended at i
	atColon         // an object's key ended at i
	atMember        // an object's key at i
)

// scan reads values onto ents from i (entry k, in the container of frame depth), starting
// at from, until the document ends or something it leaves to tape. It returns where it
// stopped and why.
//
// scan writes entry k of ents and counts, where append would keep a length and a capacity
// that may change; it returns to tape for more (when the entries are a released tape's,
// not as many as ParseTape counts). With the text, the position and the reader, that is
// all it holds in registers; the open container's state is its frame in memory (top), on
// the reader's stack of frames kept for the next document.
// Space is skipped where it is found, with one space (JSON's usual after , and :) taken
// at once.
func (d *jsonReader) scan(ents []entry, i, k, depth, from int) (int, int, int, tapeExit) {
	s := d.s
	top := &d.tstack[depth]
	switch from {
	case atAfter:
		goto after
	case atColon:
		goto colon
	case atMember:
		goto member
	}
value:
	if uint(i) >= uint(len(s)) {
		return i, k, int(top.depth), exitEOF
	}
	if uint(k) >= uint(len(ents)) {
		return i, k, int(top.depth), exitGrow
	}
	switch c := s[i]; {
	case c == '"':
		// The usual string: no escape; read a word at a time, which settles most in one.
		j := i + 1
		for {
			if j > len(s)-8 { // so written, it tells the compiler that the word below is in s
				for uint(j) < uint(len(s)) && strPlain[s[j]] {
					j++
				}
				break
			}
			if m := strSpecials(load8(s[j : j+8])); m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		if uint(j) >= uint(len(s)) || s[j] != '"' {
			return i, k, int(top.depth), exitStr
		}
		ents[k] = entry{kind: entString, a: uint32(i + 1), b: uint32(j)}
		k, i = k+1, j+1
	case c-'0' < 10 || c == '-':
		// The usual number, in one pass: an integer of up to 18 digits, or a decimal
		// without exponent that shortNum reads (up to 16 characters, 15 significant
		// digits), to the value scanNumber reads; tapeNum reads the rest. The entry keeps
		// the number's text when it is what the engine prints for the value
		// (strconv.AppendInt for integers, appendJavaDouble for doubles): an integer
		// without leading zeros nor "-0"; a decimal without leading zeros nor trailing
		// zeros after the first decimal, within Java's plain range [1e-3, 1e7) (or zero as
		// 0.0 or -0.0). At most 15 significant digits make its digits the shortest that
		// read back as the double: any decimal of at most 15 digits reads back as itself,
		// and a shorter one is another such decimal, so another double.
		j := i
		if c == '-' {
			j++
		}
		start := j
		var m uint64
		for uint(j) < uint(len(s)) && s[j]-'0' < 10 {
			m = m*10 + uint64(s[j]-'0')
			j++
		}
		digits := j - start
		if digits == 0 || digits > 18 {
			return i, k, int(top.depth), exitNum
		}
		plain := s[start] != '0' || digits == 1 // no leading zero
		if j == len(s) || (s[j] != '.' && s[j]|0x20 != 'e') {
			v := m
			if c == '-' {
				v = -v
			}
			en := entry{kind: entInt, a: uint32(v >> 32), b: uint32(v)}
			if plain && (m != 0 || c != '-') {
				en.n, en.tl = uint32(i), uint16(j-i)
			}
			ents[k] = en
			k, i = k+1, j
			break
		}
		if s[j] != '.' {
			return i, k, int(top.depth), exitNum
		}
		j++
		frac := j
		for uint(j) < uint(len(s)) && s[j]-'0' < 10 {
			m = m*10 + uint64(s[j]-'0')
			j++
		}
		if j == frac || j-start > 16 || m >= 1e15 || (uint(j) < uint(len(s)) && s[j]|0x20 == 'e') {
			return i, k, int(top.depth), exitNum
		}
		f := float64(m) / pow10[j-frac]
		en := entry{kind: entFloat}
		if plain && (s[j-1] != '0' || j-frac == 1) && (m == 0 || (f >= 1e-3 && f < 1e7)) {
			en.n, en.tl = uint32(i), uint16(j-i)
		}
		if c == '-' {
			f = -f
		}
		v := math.Float64bits(f)
		en.a, en.b = uint32(v>>32), uint32(v)
		ents[k] = en
		k, i = k+1, j
	case c == '{' || c == '[':
		depth := int(top.depth) + 1
		if depth >= len(d.tstack) {
			return i, k, depth - 1, exitFrames
		}
		kind := entArray
		if c == '{' {
			kind = entObject
		}
		ents[k] = entry{kind: kind, b: uint32(d.conts)}
		d.conts++
		top = &d.tstack[depth]
		*top = tapeFrame{at: int32(k), depth: int32(depth), obj: c == '{'}
		k++
		i = skipSpace(s, i+1)
		if uint(i) < uint(len(s)) && s[i] == c+2 { // '}' is '{'+2, ']' is '['+2
			i++
			goto closed
		}
		// ParseJSON checks the depth as it reads a value: the container's first, which in
		// an object comes after its first key.
		if depth > maxJSONDepth {
			return i, k, depth, exitDeep
		}
		if c == '{' {
			goto member
		}
		goto value
	case c == 't' && len(s)-i >= 4 && s[i:i+4] == "true":
		ents[k] = entry{kind: entTrue}
		k, i = k+1, i+4
	case c == 'f' && len(s)-i >= 5 && s[i:i+5] == "false":
		ents[k] = entry{kind: entFalse}
		k, i = k+1, i+5
	case c == 'n' && len(s)-i >= 4 && s[i:i+4] == "null":
		ents[k] = entry{kind: entNull}
		k, i = k+1, i+4
	case jsonSpace[c]:
		i = skipSpace(s, i)
		goto value
	default:
		return i, k, int(top.depth), exitChar
	}
after: // a value ended at i: the next member or element, or the end of its container
	if top.at < 0 {
		if i = skipSpace(s, i); i != len(s) {
			return i, k, 0, exitTrailing
		}
		return i, k, 0, exitDone
	}
	top.n++
more:
	if uint(i) >= uint(len(s)) {
		return i, k, int(top.depth), exitEOF
	}
	switch c := s[i]; {
	case c == ',':
		if i++; uint(i) < uint(len(s)) && s[i] == ' ' {
			i++
		}
		if top.obj {
			goto member
		}
		goto value
	case top.obj && c == '}', !top.obj && c == ']':
		i++
		goto closed
	case jsonSpace[c]:
		i = skipSpace(s, i)
		goto more
	case top.obj:
		return i, k, int(top.depth), exitObjEnd
	}
	return i, k, int(top.depth), exitArrEnd
member: // an object's key at i
	if uint(i) >= uint(len(s)) || s[i] != '"' {
		if uint(i) < uint(len(s)) && jsonSpace[s[i]] {
			i = skipSpace(s, i)
			goto member
		}
		return i, k, int(top.depth), exitKeyQuote
	}
	if uint(k) >= uint(len(ents)) {
		return i, k, int(top.depth), exitGrowKey
	}
	{
		// As a string value, with the key's hash taken from the first word read: its bytes
		// before the first special one (the closing quote, when the key is short), its last
		// 8 bytes when longer, and its length. A key too near the end to read a word is left
		// to tape, as one with escapes.
		j := i + 1 // the key's closing quote, once found
		if j > len(s)-8 {
			return i, k, int(top.depth), exitKey
		}
		w := load8(s[j : j+8])
		var h uint64
		if m := strSpecials(w); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			h = w & ((m&-m)>>7 - 1)
		} else {
			for j += 8; ; j += 8 {
				if j > len(s)-8 {
					return i, k, int(top.depth), exitKey
				}
				if m := strSpecials(load8(s[j : j+8])); m != 0 {
					j += bits.TrailingZeros64(m) / 8
					break
				}
			}
			h = w ^ bits.RotateLeft64(load8(s[j-8:j]), 31)
		}
		if s[j] != '"' {
			return i, k, int(top.depth), exitKey
		}
		n := j - i - 1 // its length
		// One bit of 64 per key; a key whose bit is set is compared, by hash and length,
		// with the object's keys so far, and an equal pair is left to tape to compare.
		h = (h ^ uint64(n)) * 0x9e3779b97f4a7c15
		if bit := uint64(1) << (h >> 58); top.seen&bit == 0 {
			top.seen |= bit
		} else {
			for p := int(top.at) + 1; p < k; {
				if e := &ents[p]; e.n == uint32(h>>32) && e.b-e.a == uint32(n) && e.kind == entString {
					top.coll = 1
					break
				}
				if v := &ents[p+1]; v.kind == entObject || v.kind == entArray {
					p = int(v.a)
				} else {
					p += 2
				}
			}
		}
		ents[k] = entry{kind: entString, a: uint32(i + 1), b: uint32(j), n: uint32(h >> 32)}
		k, i = k+1, j+1
		// The usual ": " after a short key is in the word read.
		if n <= 5 && uint16(w>>((8*n+8)&63)) == ':'|' '<<8 { // &63: no shift of 64 or more to handle
			i += 2
			goto value
		}
	}
colon: // an object's key ended at i
	if uint(i) >= uint(len(s)) || s[i] != ':' {
		if i = skipSpace(s, i); uint(i) >= uint(len(s)) || s[i] != ':' {
			return i, k, int(top.depth), exitColon
		}
	}
	if i++; uint(i) < uint(len(s)) && s[i] == ' ' {
		i++
	}
	goto value
closed: // the container of frame top ended before i
	{
		en := &ents[top.at]
		en.a, en.n = uint32(k), top.n
		if top.coll != 0 && top.obj && top.n > 1 {
			return i, k, int(top.depth), exitDup // two keys hashed alike, or one had escapes
		}
		top = &d.tstack[top.depth-1]
		goto after
	}
}

// tapeFrame is an open container: its entry, its children so far (pairs for an object),
// its depth; for an object, its keys so far as one bit each of their hash (seen), and coll,
// not zero when two keys had the same hash and length, or one had escapes.
type tapeFrame struct {
	at, depth int32
	n         uint32
	obj       bool
	seen      uint64
	coll      uint64
}

// tapeNum reads the number at i that scan does not: scanNumber's way.
func (d *jsonReader) tapeNum(i int) (entry, int, error) {
	d.i = i
	num, err := d.scanNumber()
	if err != nil {
		return entry{}, i, err
	}
	if num.big != "" {
		return entry{kind: entBigInt, a: uint32(i), b: uint32(d.i)}, d.i, nil
	}
	if num.isFloat {
		return numEntry(entFloat, math.Float64bits(num.f)), d.i, nil
	}
	return numEntry(entInt, uint64(num.i)), d.i, nil
}

// deepKey is what ParseJSON finds in an object at i that opens too deep: an error in its
// first key, or else the depth.
func (d *jsonReader) deepKey(s string, i int) error {
	d.i = i
	if i >= len(s) || s[i] != '"' {
		return d.errorf("expected a string key")
	}
	if _, err := d.str(); err != nil {
		return err
	}
	if d.i = skipSpace(s, d.i); d.i >= len(s) || s[d.i] != ':' {
		return d.errorf("expected :")
	}
	return errJSONDepth
}

// dupKeys is whether the object at entry at, the last container read onto ents, has a
// repeated key: hasDuplicates, on keys read off the tape being built.
func (t *Tape) dupKeys(ents []entry, at int) bool {
	var small [16]string
	keys := small[:0]
	if n := ents[at].n; n > uint32(len(small)) {
		keys = make([]string, 0, n)
	}
	for k := at + 1; k < len(ents); {
		if en := &ents[k]; en.kind == entString {
			keys = append(keys, t.text[en.a:en.b])
		} else {
			keys = append(keys, t.strs[en.n])
		}
		if v := &ents[k+1]; v.kind == entObject || v.kind == entArray {
			k = int(v.a)
		} else {
			k += 2
		}
	}
	return hasDuplicates(keys)
}
