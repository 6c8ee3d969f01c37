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
