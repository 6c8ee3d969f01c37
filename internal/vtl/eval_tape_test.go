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
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fieldBodies have objects of every layout fieldKey tells apart: flat and nested, keys with
// escapes, repeated keys, keys sharing their first eight bytes, keys in the text's last
// eight bytes (where it cannot read a whole word), empty containers as values.
var fieldBodies = []string{
	`{"a":1,"b":2}`,
	`{"sku": "s-1", "qty": 2, "price": 3.5}`,
	`{"x": {"sku": 1, "qty": 2}, "sku": 3, "qty": {"a": [1, {"sku": 9}]}, "z": []}`,
	`{"abcdefghX": 1, "abcdefghY": 2, "abcdefgh": 3, "abcdefg": 4, "": 5, "abcdefghYZ": 6}`,
	`{"b\n": 1, "a\u0062": 2, "ab": 3, "\u00e9": 4, "é": 5}`,
	`{"a": 1, "b": 2, "a": 3, "c": {"a": 4}}`,
	`{"e": {}, "f": [], "g": null, "h": true, "i": "j"}`,
	`{"k":{}}`,
	`{}`,
}

var fieldKeys = []string{"a", "b", "c", "sku", "qty", "price", "x", "z", "abcdefghX", "abcdefghY", "abcdefgh",
	"abcdefg", "abcdefghYZ", "abcdefghi", "", "b\n", "ab", "é", "e", "f", "g", "h", "i", "k", "missing", "abcdefghijklmnopq"}

// fieldScan is field as a plain scan: the last value of the key, reading every key whole.
func fieldScan(t *Tape, i int32, key string) int32 {
	found := int32(-1)
	for k := i + 1; k < int32(t.ents[i].a); k = t.next(k + 1) {
		if t.str(k) == key {
			found = k + 1
		}
	}
	return found
}

// fieldKey answers what a plain scan does, whatever its hint says: right, wrong, out of
// range or none.
func TestFieldKey(t *testing.T) {
	for _, body := range fieldBodies {
		tp, err := ParseTape(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for i := range tp.ents {
			if tp.ents[i].kind != entObject {
				continue
			}
			for _, name := range fieldKeys {
				want := fieldScan(tp, int32(i), name)
				key := newTapeKey(name)
				if got := tp.fieldKey(int32(i), &key, nil); got != want {
					t.Errorf("%s, object at %d, key %q: %d, want %d", body, i, name, got, want)
				}
				for h := uint32(0); h < 8; h++ {
					hint := h
					if got := tp.fieldKey(int32(i), &key, &hint); got != want {
						t.Errorf("%s, object at %d, key %q, hint %d: %d, want %d", body, i, name, h, got, want)
					}
				}
				if got := tp.field(int32(i), name); got != want {
					t.Errorf("%s, object at %d, key %q: field %d, want %d", body, i, name, got, want)
				}
			}
		}
	}
}

// A hint is only where to look first: objects whose keys come in other orders, one after
// the other, are all answered right, and the hint follows the last found.
func TestFieldKeyHintMoves(t *testing.T) {
	tp, err := ParseTape(`[{"a": 1, "b": 2, "c": 3}, {"c": 4, "a": 5, "b": 6}, {"b": 7}, {"c": 8, "b": 9, "a": 10}]`)
	if err != nil {
		t.Fatal(err)
	}
	key := newTapeKey("a")
	var hint uint32
	var got []string
	for k := int32(1); k < int32(len(tp.ents)); k = tp.next(k) {
		v := tp.fieldKey(k, &key, &hint)
		if v < 0 {
			got = append(got, "-")
			continue
		}
		got = append(got, fmt.Sprintf("%d@%d", tp.ents[v].bits(), hint))
	}
	if s := strings.Join(got, " "); s != "1@0 5@1 - 10@2" {
		t.Errorf("got %s", s)
	}
}

// A hint left by a flat object, at pair j, read in an object that is not flat: pair j is
// then further on than i+1+2j, where a nested object may hold a key of the same name (which
// an object read as flat would answer). Every place that reads the hinted pair itself (a
// run's inline read, printField, fieldKey) walks to it, and lookup reads it in a flat object
// only; the suite passed with any of them reading i+1+2j instead.
func TestHintInNestedObject(t *testing.T) {
	tp, err := Parse(`#foreach($x in $input.path('$'))$x.a;$x.w.a;#set($v = $x.a)$v;#end`)
	if err != nil {
		t.Fatal(err)
	}
	// The second object's pairs 1 and 2, and its w's pair 1, read as flat, are the nested
	// keys w and a.
	body := `[{"b": 0, "w": {"b": 0, "a": "W1"}, "a": "A1"},
		{"x": {"w": {"a": "in"}}, "w": {"y": {"a": "in"}, "a": "W2"}, "a": "A2"}]`
	const want = "A1;W1;A1;A2;W2;A2;"
	for range 2 { // and again, with the hints the first evaluation left
		tape, values := evalBoth(t, tp.src, body, nil)
		if got := render(tp, &Env{Body: body}, nil); got != want || tape != values {
			t.Fatalf("got %q, want %q; tape %q, values %q", got, want, tape, values)
		}
	}
}

// An object with a repeated key met midway through a reference ($x.w.a, w repeated a) is
// left to evaluator.ref, which answers the key's last value: printField's hinted read,
// which another object's w left at the first a, would answer the first. The suite passed
// with refTape reading on into such an object.
func TestRepeatedKeyMidway(t *testing.T) {
	src := `#foreach($x in $input.path('$'))$x.w.a;#end`
	body := `[{"w": {"a": 1}}, {"w": {"a": "first", "a": "last"}}]`
	tp, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	tape, values := evalBoth(t, src, body, nil)
	if got := render(tp, &Env{Body: body}, nil); got != "1;last;" || tape != values {
		t.Errorf("got %q, want %q; tape %q, values %q", got, "1;last;", tape, values)
	}
}

// refTemplates print references of properties in every way evaluator.refTape reads them
// off the tape, or leaves them to evaluator.ref.
var refTemplates = []string{
	`#foreach($x in $input.path('$'))$x.a|$x.b|$!x.missing|$x.missing|$x.a.b|$!x.a.b|${x.b}|$x.c.d.e;#end`,
	`#set($o = $input.path('$'))$o.a $o.b $o.a.b $o.x.sku $o.sku $o.qty.a $o.z $o.g $!o.g $o.e $o.f $o.h $o.i $o.abcdefghYZ`,
	`#set($o = $input.path('$'))$o.a #set($o.a = 'set')$o.a $o.b`,
	`#set($o = $input.path('$'))#set($m = $o.x.put('n', 1))$o.x.sku $o.x.n $o.sku`,
	`#set($o = $input.path('$'))#foreach($x in $o)$x.a,#if($foreach.index == 0)$o.get(1).put('a', 'changed')#end#end`,
	`#set($o = "str")$o.a|$o.empty|#set($o = [1])$o.a|$o.empty|#set($o = {"a": 1})$o.a`,
	`#set($o = $input.path('$'))"$o.a" "$o.b" #set($s = "$o.a-$o.b")$s`,
	// A method in a run changes the object the run's references read: they must see it.
	`#set($o = $input.path('$'))$o.a|$o.put('a', 'new')|$o.a|$o.remove('b')|$o.b|$o.z|$o.put('z', 2)|$o.z|$o`,
	`#foreach($x in $input.path('$'))$x.a|$x.put('a', 'new')|$x.a|$x.b;#end`,
}

func TestRefTapeDifferential(t *testing.T) {
	bodies := append([]string{
		`[{"a": 1, "b": "one"}, {"b": 2, "a": {"b": "ab"}}, {"a": null, "b": [1]}, {"c": {"d": {"e": 1.50}}}, [], 7, {"a": 1, "a": 2}]`,
		`{"a": {"b": -0.0}, "b": 1e400, "x": {"sku": "s"}}`,
	}, fieldBodies...)
	for _, literal := range []bool{false, true} {
		opts := &Options{LiteralNulls: literal}
		for _, body := range bodies {
			for _, src := range refTemplates {
				if tape, values := evalBoth(t, src, body, opts); tape != values {
					t.Errorf("literal nulls %v, template %q, body %q:\ntape:   %s\nvalues: %s", literal, src, body, tape, values)
				}
			}
		}
	}
}

// The output's cap holds for every way of writing, whatever the pooled buffer's size: text,
// references read off the tape, values printed whole, strings built.
func TestOutputCapEveryWrite(t *testing.T) {
	body := `{"a": "0123456789", "n": 1234567, "l": [1, 2, 3]}`
	for _, src := range []string{
		`0123456789`,
		`#set($o = $input.path('$'))$o.a`,
		`#set($o = $input.path('$'))$o.n`,
		`#set($o = $input.path('$'))$o.l`,
		`#set($o = $input.path('$'))#set($s = "$o.a")$s`,
	} {
		tp, err := Parse(src + src + src)
		if err != nil {
			t.Fatal(err)
		}
		full, err := tp.Eval(context.Background(), &Env{Body: body}, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := len(full.Output)
		for _, max := range []int{n, n - 1, n / 3, 1} {
			res, err := tp.Eval(context.Background(), &Env{Body: body}, &Options{MaxOutput: max})
			var ve *Error
			switch {
			case max == n && (err != nil || res.Output != full.Output):
				t.Errorf("%q, cap %d: %v", src, max, err)
			case max < n && (!errors.As(err, &ve) || ve.Kind != KindLimit):
				t.Errorf("%q, cap %d of %d bytes: error %v, want the limit", src, max, n, err)
			}
		}
		// A run with a small cap leaves a buffer behind for the next, which has the default.
		if again, err := tp.Eval(context.Background(), &Env{Body: body}, nil); err != nil || again.Output != full.Output {
			t.Errorf("%q after capped runs: %v %q", src, err, again.Output)
		}
	}
}

// Evaluations of one template share its references' hints: run at once on bodies whose
// objects order their keys differently, each still reads its own right.
func TestRefTapeHintsConcurrent(t *testing.T) {
	tp, err := Parse(`#foreach($x in $input.path('$'))$x.a.$x.b.$x.c;#end`)
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		`[{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 3}]`,
		`[{"c": 3, "b": 2, "a": 1}, {"b": 2, "c": 3, "a": 1}]`,
		`[{"b": 2, "a": 1, "c": 3}, {"c": 3, "a": 1, "b": 2}]`,
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 200; r++ {
				res, err := tp.Eval(context.Background(), &Env{Body: bodies[(g+r)%len(bodies)]}, nil)
				if err != nil {
					errs <- err.Error()
					return
				}
				if res.Output != "1.2.3;1.2.3;" {
					errs <- res.Output
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// Pieces of every length around the 16 bytes copied as one block, from a body that ends
// right after the value or goes on, into a buffer whose cap leaves 16 bytes of room or
// fewer: the output is the pieces, and the cap holds.
func TestShortPieces(t *testing.T) {
	for n := 0; n <= 20; n++ {
		val := strings.Repeat("v", n)
		text := strings.Repeat("t", n)
		num := "1" + strings.Repeat("0", min(n, 15))
		src := fmt.Sprintf(`#set($o = $input.path('$'))%s${o.s}%s${o.n}|${o.s}`, text, text)
		tp, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		want := text + val + text + num + "|" + val
		for _, body := range []string{
			fmt.Sprintf(`{"n": %s, "s": "%s"}`, num, val),
			fmt.Sprintf(`{"n": %s, "s": "%s", "pad": "%s"}`, num, val, strings.Repeat("p", 40)),
			fmt.Sprintf(`{"s": "%s", "n": %s}`, val, num),
		} {
			for _, max := range []int{0, len(want), len(want) + 15, len(want) + 16, len(want) - 1} {
				res, err := tp.Eval(context.Background(), &Env{Body: body}, &Options{MaxOutput: max})
				switch {
				case max == 0 || max >= len(want):
					if err != nil || res.Output != want {
						t.Errorf("%d bytes, body %s, cap %d: %v %q, want %q", n, body, max, err, res.Output, want)
					}
				case err == nil:
					t.Errorf("%d bytes, body %s, cap %d: %q past the cap", n, body, max, res.Output)
				}
			}
		}
	}
}
