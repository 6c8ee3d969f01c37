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
	"fmt"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// guarded is s copied to the end of a readable page followed by one that is not: a read
// past the string's last byte faults. textAt and textAt8 read the body's text without Go's
// bounds checks (8 bytes of a key, 16 of a value), each after checking the text has them:
// without that check, a key or value near the body's end would be read past it.
func guarded(t *testing.T, s string) string {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	b := mem[page-len(s) : page]
	copy(b, s)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Keys and values of every length near the end of the body, read through every path that
// reads the text a word or a block at a time: a run's inline read and printField (one
// property, with and without a hint), refTape's lookup ($x.w.k), fieldKey's keyIs (the
// object given to get()). The output is checked too: ParseJSON's values render the same.
func TestTapeReadsStopAtTheEnd(t *testing.T) {
	for kn := 1; kn <= 9; kn++ {
		k := strings.Repeat("k", kn)
		// Over an array whose objects all have the key where the last one has it (for the
		// hints to point there), and at a root object, whose last key is nearer the end.
		var tps []*Template
		for _, src := range []string{
			`#foreach($x in $input.path('$'))$x.K|$x.w.K|$x.get('K')|${x.K}#if($foreach.hasNext),#end#end`,
			`#set($x = $input.path('$'))$x.K|$x.w.K|$x.get('K')|${x.K}$x.K`,
		} {
			tp, err := Parse(strings.ReplaceAll(src, "K", k))
			if err != nil {
				t.Fatal(err)
			}
			tps = append(tps, tp)
		}
		for vn := 0; vn <= 17; vn++ {
			v := strings.Repeat("v", vn)
			// The key last, or w last (a flat object: lookup reads its hinted key).
			obj := fmt.Sprintf(`{"w":{"%s":"%s"},"%s":"%s"}`, k, v, k, v)
			flat := fmt.Sprintf(`{"%s":"%s","w":{}}`, k, v)
			for i, body := range []string{"[" + obj + "," + obj + "]", obj, "[" + flat + "," + flat + "]", flat} {
				i %= 2
				g := guarded(t, body)
				for range 2 { // and again, with the hints the first evaluation left
					tape, err := ParseTape(g)
					if err != nil {
						t.Fatalf("%q: %v", body, err)
					}
					got := render(tps[i], &Env{Body: g, JSON: func() (any, error) { return tape, nil }}, nil)
					want := render(tps[i], &Env{Body: body, JSON: func() (any, error) { return ParseJSON(body) }}, nil)
					if got != want {
						t.Errorf("%s: %q, want %q", body, got, want)
					}
					tape.Release()
				}
			}
		}
	}
}
