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
	"errors"
	"math"
	"math/bits"
	"strings"
)

// The tape: a JSON document read once into one pointer-free slice of entries, in document
// order, with strings as spans of the text and numbers already converted. ParseJSON boxes
// every value into *Map and *List (a 4 KB body is a few hundred pointers stored, each paying
// a write barrier while the collector marks, which on a proxy's small heap is often); a
// template mostly reads a few properties and walks one array, which the tape answers without
// building any of that. The evaluator reads tapes through tapeNode (tape_value.go) and
// builds *Map and *List values only for a template that changes one, or a method that needs
// a real one.

// Tape is a JSON document read by ParseTape: what an Env.JSON may return in place of the
// values ParseJSON makes. It is read-only and may be shared by evaluations.
type Tape struct {
	text  string
	ents  []entry
	strs  []string // unescaped strings with escapes, by entry.n
	conts int      // containers (objects and arrays), numbered in document order
}

type entryKind uint8

const (
	entNull entryKind = iota
	entFalse
	entTrue
	entInt
	entFloat
	entString    // text[a:b], no escapes
	entStringEsc // strs[n]
	entObject    // followed by n key and value pairs (the keys entString or entStringEsc)
	entArray     // followed by n values
)

// entry is one value of the tape (or an object's key), 16 bytes. Strings are text[a:b].
// Numbers are the 64 bits of their int64 or float64 in a (high) and b (low); when their text
// is already what the engine prints for them (see numText), it is text[n:n+tl], which the
// evaluator copies rather than formatting the number again. For containers,
// a is the index of the entry after the container's last descendant (its next sibling), b
// its number among the document's containers, n its count of children (pairs for objects);
// dup marks an object with a repeated key, which the evaluator leaves to a real *Map to get
// its order right.
type entry struct {
	kind entryKind
	dup  bool
	tl   uint16 // numbers: the length of their printable text at n, or 0
	a, b uint32
	n    uint32
}

func (en *entry) bits() uint64 { return uint64(en.a)<<32 | uint64(en.b) }

func numEntry(kind entryKind, v uint64) entry {
	return entry{kind: kind, a: uint32(v >> 32), b: uint32(v)}
}

// tapeNumber reads the usual number at s[i:] in one pass: an integer of up to 18 digits, or
// a decimal without exponent that shortNum reads (up to 16 characters, 15 significant
// digits), to the value scanNumber reads; ok is false for the rest (and for what is not a
// number), which scanNumber reads. The entry keeps the number's text when it is what the
// engine prints for the value (strconv.AppendInt for integers, appendJavaDouble for doubles):
// an integer without leading zeros nor "-0"; a decimal without leading zeros nor trailing
// zeros after the first decimal, within Java's plain range [1e-3, 1e7) (or zero as 0.0 or
// -0.0). At most 15 significant digits make its digits the shortest that read back as the
// double: any decimal of at most 15 digits reads back as itself, and a shorter one is
// another such decimal, so another double.
func tapeNumber(s string, i int) (en entry, j int, ok bool) {
	j = i
	neg := s[j] == '-'
	if neg {
		j++
	}
	start := j
	var m uint64
	for j < len(s) && j-start < 19 && isDigit(s[j]) {
		m = m*10 + uint64(s[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 {
		return en, i, false
	}
	plain := s[start] != '0' || digits == 1 // no leading zero
	if j == len(s) || (s[j] != '.' && s[j] != 'e' && s[j] != 'E') {
		v := int64(m)
		if neg {
			v = -v
		}
		en = numEntry(entInt, uint64(v))
		if plain && (m != 0 || !neg) {
			en.n, en.tl = uint32(i), uint16(j-i)
		}
		return en, j, true
	}
	if s[j] != '.' {
		return en, i, false
	}
	j++
	frac := j
	for j < len(s) && j-start <= 16 && isDigit(s[j]) {
		m = m*10 + uint64(s[j]-'0')
		j++
	}
	if j == frac || j-start > 16 || m >= 1e15 || (j < len(s) && (s[j] == 'e' || s[j] == 'E' || isDigit(s[j]))) {
		return en, i, false
	}
	f := float64(m) / pow10[j-frac]
	if neg {
		f = -f
	}
	en = numEntry(entFloat, math.Float64bits(f))
	if plain && (s[j-1] != '0' || j-frac == 1) && (m == 0 || (f >= 1e-3 && f < 1e7) || (f <= -1e-3 && f > -1e7)) {
		en.n, en.tl = uint32(i), uint16(j-i)
	}
	return en, j, true
}

// numText is the text of number entry k when it prints as is.
func (t *Tape) numText(k int32) (string, bool) {
	en := &t.ents[k]
	if en.tl == 0 {
		return "", false
	}
	return t.text[en.n : en.n+uint32(en.tl)], true
}

// next is the index of the entry after i's value (and its descendants).
func (t *Tape) next(i int32) int32 {
	if k := t.ents[i].kind; k == entObject || k == entArray {
		return int32(t.ents[i].a)
	}
	return i + 1
}

// str is the string of entry i, a key or a string value.
func (t *Tape) str(i int32) string {
	en := &t.ents[i]
	if en.kind == entStringEsc {
		return t.strs[en.n]
	}
	return t.text[en.a:en.b]
}

var errTapeSize = errors.New("JSON document too large")

// ParseTape reads one JSON document onto a tape. It accepts and refuses what ParseJSON does,
// with the same errors.
func ParseTape(s string) (*Tape, error) {
	if len(s) >= math.MaxUint32 {
		return nil, errTapeSize
	}
	d := readerPool.Get().(*jsonReader)
	defer d.release()
	d.s, d.i = s, 0
	// Every entry but the first follows one of these bytes (or is one): the count bounds the
	// entries, so the tape is allocated once.
	n := 1 + strings.Count(s, ",") + strings.Count(s, ":") + strings.Count(s, "[") + strings.Count(s, "{")
	t := &Tape{text: s}
	stack, err := d.tape(t, make([]entry, 0, n), d.tstack[:0])
	d.tstack = stack[:0]
	if err != nil {
		return nil, err
	}
	return t, nil
}

// tape reads the document onto t. It is ParseJSON's recursive reader turned into a loop
// over a stack of open containers, with the text, the position and the entries in locals
// (which the compiler keeps in registers); it takes the same steps in the same order, so
// that it accepts and refuses alike, with the same error at the same offset.
//
// It returns the stack, for the reader to keep for the next document.
func (d *jsonReader) tape(t *Tape, ents []entry, stack []tapeFrame) ([]tapeFrame, error) {
	s, i := d.s, d.i
	fail := func(at int, msg string) ([]tapeFrame, error) {
		d.i = at
		return stack, d.errorf(msg)
	}
	i = skipSpace(s, i)
value:
	if len(stack) > maxJSONDepth {
		return stack, errJSONDepth
	}
	if i >= len(s) {
		return fail(i, "unexpected end of JSON")
	}
	switch c := s[i]; {
	case c == '{' || c == '[':
		kind := entObject
		if c == '[' {
			kind = entArray
		}
		stack = append(stack, tapeFrame{at: int32(len(ents)), keys: int32(len(d.tkeys))})
		ents = append(ents, entry{kind: kind, b: uint32(t.conts)})
		t.conts++
		i = skipSpace(s, i+1)
		if i < len(s) && s[i] == c+2 { // '}' is '{'+2, ']' is '['+2
			i++
			goto closed
		}
		if kind == entObject {
			goto key
		}
		goto value
	case c == '"':
		if j := plainRun(s, i+1); j < len(s) && s[j] == '"' { // tapeStr's usual case, inline
			ents, i = append(ents, entry{kind: entString, a: uint32(i + 1), b: uint32(j)}), j+1
			break
		}
		var err error
		if ents, i, err = d.tapeStr(t, ents, s, i); err != nil {
			return stack, err
		}
	case c == 't' || c == 'f' || c == 'n':
		switch {
		case len(s)-i >= 4 && s[i:i+4] == "true":
			ents, i = append(ents, entry{kind: entTrue}), i+4
		case len(s)-i >= 5 && s[i:i+5] == "false":
			ents, i = append(ents, entry{kind: entFalse}), i+5
		case len(s)-i >= 4 && s[i:i+4] == "null":
			ents, i = append(ents, entry{kind: entNull}), i+4
		default:
			return fail(i, "unexpected character")
		}
	case c == '-' || isDigit(c):
		if en, j, ok := tapeNumber(s, i); ok {
			ents, i = append(ents, en), j
			break
		}
		d.i = i
		n, err := d.scanNumber()
		if err != nil {
			return stack, err
		}
		i = d.i
		if n.isFloat {
			ents = append(ents, numEntry(entFloat, math.Float64bits(n.f)))
		} else {
			ents = append(ents, numEntry(entInt, uint64(n.i)))
		}
	default:
		return fail(i, "unexpected character")
	}
	// After a value: the next member or element, or the end of its container.
next:
	if len(stack) == 0 {
		t.ents = ents
		d.i = skipSpace(s, i)
		if d.i != len(s) {
			return stack, d.errorf("unexpected data after the JSON value")
		}
		return stack, nil
	}
	{
		top := &stack[len(stack)-1]
		top.n++
		i = skipSpace(s, i)
		if i >= len(s) {
			return fail(i, "unexpected end of JSON")
		}
		object := ents[top.at].kind == entObject
		switch c := s[i]; {
		case c == ',':
			i++
			if object {
				goto key
			}
			i = skipSpace(s, i)
			goto value
		case object && c == '}', !object && c == ']':
			i++
			goto closed
		case object:
			return fail(i, "expected , or }")
		}
		return fail(i, "expected , or ]")
	}
key:
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != '"' {
		return fail(i, "expected a string key")
	}
	if j := plainRun(s, i+1); j < len(s) && s[j] == '"' {
		ents, i = append(ents, entry{kind: entString, a: uint32(i + 1), b: uint32(j)}), j+1
	} else {
		var err error
		if ents, i, err = d.tapeStr(t, ents, s, i); err != nil {
			return stack, err
		}
	}
	{
		d.tkeys = append(d.tkeys, int32(len(ents)-1))
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ':' {
			return fail(i, "expected :")
		}
		i = skipSpace(s, i+1)
		goto value
	}
closed:
	{
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		en := &ents[top.at]
		en.a, en.n = uint32(len(ents)), top.n
		if en.kind == entObject {
			keys := d.tkeys[top.keys:]
			en.dup = len(keys) > 1 && t.hasDuplicates(ents, keys)
			d.tkeys = d.tkeys[:top.keys]
		}
		goto next
	}
}

// tapeFrame is an open container: its entry, its children so far, and where its keys start
// on the reader's key stack.
type tapeFrame struct {
	at, keys int32
	n        uint32
}

func skipSpace(s string, i int) int {
	if i < len(s) && s[i] > ' ' { // the usual case: no space, or one before
		return i
	}
	for i < len(s) && jsonSpace[s[i]] {
		i++
	}
	return i
}

// tapeStr appends the string whose opening quote is at i and returns the position after
// it. A string without escapes is its span of the text; one with escapes (rare in bodies)
// is unescaped now, by the reader's str, and kept aside; so is every error.
func (d *jsonReader) tapeStr(t *Tape, ents []entry, s string, i int) ([]entry, int, error) {
	start := i + 1
	j := plainRun(s, start)
	if j < len(s) && s[j] == '"' {
		return append(ents, entry{kind: entString, a: uint32(start), b: uint32(j)}), j + 1, nil
	}
	d.i = i
	str, err := d.str()
	if err != nil {
		return ents, i, err
	}
	t.strs = append(t.strs, str)
	return append(ents, entry{kind: entStringEsc, n: uint32(len(t.strs) - 1)}), d.i, nil
}

// plainRun returns the end of the run of plain string bytes from i (no quote, backslash nor
// control character): eight bytes at a time while it can, with the usual bit tricks (the
// lowest byte flagged is exact, which is the one wanted), then byte by byte.
func plainRun(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(s) {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, bs := w^(ones*'"'), w^(ones*'\\')
		// Bytes under 0x20 in w, and zero bytes in q and bs (the quotes and backslashes).
		m := ((w - ones*0x20) &^ w & highs) | ((q - ones) &^ q & highs) | ((bs - ones) &^ bs & highs)
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(s) && strPlain[s[i]] {
		i++
	}
	return i
}

// hasDuplicates is hasDuplicates for the key entries of one object.
// It reads the keys off ents, the tape being built.
func (t *Tape) hasDuplicates(ents []entry, keys []int32) bool {
	key := func(k int32) string {
		if en := &ents[k]; en.kind == entString {
			return t.text[en.a:en.b]
		}
		return t.strs[ents[k].n]
	}
	if len(keys) <= 16 {
		for i := 1; i < len(keys); i++ {
			ei := &ents[keys[i]]
			for j := 0; j < i; j++ {
				// Keys without escapes (the usual) of different lengths differ: most pairs
				// are told apart by their spans alone.
				if ej := &ents[keys[j]]; ei.kind == entString && ej.kind == entString && ei.b-ei.a != ej.b-ej.a {
					continue
				}
				if key(keys[i]) == key(keys[j]) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		if _, ok := seen[key(k)]; ok {
			return true
		}
		seen[key(k)] = struct{}{}
	}
	return false
}
