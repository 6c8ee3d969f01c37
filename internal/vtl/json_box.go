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

import "unsafe"

// Boxing without an allocation per value. Converting a string or a float64 to an interface
// allocates a copy of it on the heap (16 and 8 bytes): for a 4 KB body of a hundred items
// those were most of the reader's allocations, and much of the garbage collector's work.
// The reader instead stores the values in slabs and makes each interface point at its slot,
// as the conversion would point at its own copy. This is sound because an interface's data
// word is only ever read: slots are written once, before they are boxed, and the slab is kept
// alive by the interior pointers (the garbage collector marks a whole object from one).

// eface is the layout of an interface{} (runtime.eface).
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

var (
	stringType  = (*eface)(unsafe.Pointer(&[]any{""}[0])).typ
	float64Type = (*eface)(unsafe.Pointer(&[]any{0.5}[0])).typ
)

// boxSlot returns the interface of type typ whose value is *p.
func boxSlot(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// boxSlabs are the slabs that boxString, boxFloat and boxInt take slots from: the JSON
// reader's, and an evaluation's for the scalars it reads off a tape. Owned by the values
// boxed from them: never pooled.
type boxSlabs struct {
	sslab []string
	fslab []float64
	nslab []int64
	// few: the slabs start small and double (an evaluation boxes a few values, mostly: a
	// full slab for each was most of what it allocated).
	few bool
}

// chunk is the capacity of the slab that follows one of capacity c.
func (d *boxSlabs) chunk(c int) int {
	if d.few {
		return min(max(2*c, 4), slabChunk)
	}
	return slabChunk
}

// boxString is any(s), from a slot of d's string slab.
func (d *boxSlabs) boxString(s string) any {
	if s == "" {
		return ""
	}
	if len(d.sslab) == cap(d.sslab) {
		d.sslab = make([]string, 0, d.chunk(cap(d.sslab)))
	}
	d.sslab = append(d.sslab, s)
	return boxSlot(stringType, unsafe.Pointer(&d.sslab[len(d.sslab)-1]))
}

// boxFloat is any(f), from a slot of d's float slab.
func (d *boxSlabs) boxFloat(f float64) any {
	if len(d.fslab) == cap(d.fslab) {
		d.fslab = make([]float64, 0, d.chunk(cap(d.fslab)))
	}
	d.fslab = append(d.fslab, f)
	return boxSlot(float64Type, unsafe.Pointer(&d.fslab[len(d.fslab)-1]))
}

// boxInt is any(n): small integers do not allocate (the runtime has them), others take a
// slot of d's integer slab.
func (d *boxSlabs) boxInt(n int64) any {
	if n >= 0 && n < 256 {
		return n
	}
	if len(d.nslab) == cap(d.nslab) {
		d.nslab = make([]int64, 0, d.chunk(cap(d.nslab)))
	}
	d.nslab = append(d.nslab, n)
	return boxSlot(int64Type, unsafe.Pointer(&d.nslab[len(d.nslab)-1]))
}

var int64Type = (*eface)(unsafe.Pointer(&[]any{int64(1)}[0])).typ
