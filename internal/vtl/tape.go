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
	"sync"
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
	text     string
	ents     []entry
	strs     []string // unescaped strings with escapes, by entry.n
	conts    int      // containers (objects and arrays), numbered in document order
	released bool     // by Release, which is then a no-op
}

type entryKind uint8

const (
	entNull entryKind = iota
	entFalse
	entTrue
	entInt
	entFloat
	entBigInt    // text[a:b], an integer beyond int64 (BigInt)
	entString    // text[a:b], no escapes
	entStringEsc // strs[n]
	entObject    // followed by n key and value pairs (the keys entString or entStringEsc)
	entArray     // followed by n values
)

// entry is one value of the tape (or an object's key), 16 bytes. Strings are text[a:b]; a
// key without escapes has in n the high half of the hash the reader finds repeated keys by.
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
	var ents []entry
	t, _ := tapePool.Get().(*Tape)
	if t != nil {
		// A released tape's entries, as many as they are: the reader grows them if this
		// document needs more.
		ents = t.ents[:cap(t.ents)]
		*t = Tape{text: s, strs: t.strs}
	} else {
		// Every entry but the first follows one of these bytes (or is one): the count bounds
		// the entries, so that they are allocated once.
		ents = make([]entry, 1+strings.Count(s, ",")+strings.Count(s, ":")+strings.Count(s, "[")+strings.Count(s, "{"))
		t = &Tape{text: s}
	}
	if err := d.tape(t, ents); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

// tapePool holds released tapes, for ParseTape to read documents onto their entries
// without allocating, zeroing nor counting them.
var tapePool sync.Pool

// maxPooledEntries caps the entries a released tape keeps (256 KB): a large document's
// are left to the collector rather than kept for small ones.
const maxPooledEntries = 1 << 14

// Release gives the tape's memory back for ParseTape to reuse. Call it once, when no
// evaluation reads the tape nor will, and no value taken from one is still used (the
// request is done): the tape is empty afterwards, and its entries another document's.
func (t *Tape) Release() {
	if t == nil || t.released {
		return
	}
	clear(t.strs) // the strings, not the slice, which the next document may use
	*t = Tape{ents: t.ents[:0], strs: t.strs[:0], released: true}
	if cap(t.ents) <= maxPooledEntries {
		tapePool.Put(t)
	}
}

// skipSpace returns the end of the run of space from i: a word at a time through spaces
// (the indentation of a pretty-printed body, the padding after one).
func skipSpace(s string, i int) int {
	for uint(i) < uint(len(s)) && jsonSpace[s[i]] {
		i++
		for i <= len(s)-8 && s[i:i+8] == "        " { // one comparison of words
			i += 8
		}
	}
	return i
}

// tapeStr reads the string whose opening quote is at i and returns the position after
// it. A string without escapes is its span of the text; one with escapes (rare in bodies)
// is unescaped now, by the reader's str, and kept aside; so is every error.
func (d *jsonReader) tapeStr(t *Tape, s string, i int) (entry, int, error) {
	start := i + 1
	j := plainRun(s, start)
	if j < len(s) && s[j] == '"' {
		return entry{kind: entString, a: uint32(start), b: uint32(j)}, j + 1, nil
	}
	d.i = i
	str, err := d.str()
	if err != nil {
		return entry{}, i, err
	}
	t.strs = append(t.strs, str)
	return entry{kind: entStringEsc, n: uint32(len(t.strs) - 1)}, d.i, nil
}

// load8 is the little-endian word of the 8 bytes of w: the compiler makes it one load.
func load8(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// strSpecials flags (with its high bit) each byte of w that ends a plain run of a string:
// under 0x20, a quote or a backslash. The usual bit tricks; the lowest byte flagged is
// exact, which is the one wanted (bytes above it may be flagged by a borrow).
func strSpecials(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Each test is (x - ones) &^ x & highs for the x whose zero bytes are sought; the three
	// x's have the high bits of w (the quote and the backslash are under 0x80), so one &^ w
	// serves them all.
	return ((w - ones*0x20) | (w ^ ones*'"' - ones) | (w ^ ones*'\\' - ones)) &^ w & highs
}

// plainRun returns the end of the run of plain string bytes from i (no quote, backslash nor
// control character): eight bytes at a time while it can, then byte by byte.
func plainRun(s string, i int) int {
	for i+8 <= len(s) {
		if m := strSpecials(load8(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(s) && strPlain[s[i]] {
		i++
	}
	return i
}
