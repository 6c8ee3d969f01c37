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
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/testkit"
)

// refNumber is what the tape reader's inline number reading must do (it was the reader's
// own, before the reader's loop took it in): it reads the usual number at s[i:] in one pass: an integer of up to 18 digits, or
// a decimal without exponent that shortNum reads (up to 16 characters, 15 significant
// digits), to the value scanNumber reads; ok is false for the rest (and for what is not a
// number), which scanNumber reads. The entry keeps the number's text when it is what the
// engine prints for the value (strconv.AppendInt for integers, appendJavaDouble for doubles):
// an integer without leading zeros nor "-0"; a decimal without leading zeros nor trailing
// zeros after the first decimal, within Java's plain range [1e-3, 1e7) (or zero as 0.0 or
// -0.0). At most 15 significant digits make its digits the shortest that read back as the
// double: any decimal of at most 15 digits reads back as itself, and a shorter one is
// another such decimal, so another double.
func refNumber(s string, i int) (en entry, j int, ok bool) {
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

// tapeEntry is the entry ParseTape makes for the scalar text, or ok false when it refuses it.
func tapeEntry(t testing.TB, text string) (en entry, ok bool) {
	t.Helper()
	tp, err := ParseTape(text)
	if err != nil {
		return en, false
	}
	defer tp.Release()
	if len(tp.ents) != 1 {
		t.Fatalf("%q: %d entries", text, len(tp.ents))
	}
	return tp.ents[0], true
}

// The reader's numbers are refNumber's, in an array as at the root.
func TestTapeNumbersAsReference(t *testing.T) {
	texts := []string{"0", "-0", "7", "-7", "007", "-007", "42", "123456789012345678", "1234567890123456789",
		"-123456789012345678", "0.0", "-0.0", "3.5", "3.50", "-3.25", "00.5", "0.001", "0.0005", "9999999.5",
		"10000000.5", "123456789012.345", "1234567.12345678", "0.12345678901234", "999999999999999.9",
		"1e5", "1.5e5", "1E-3", "1.", "-", "-a", ".5", "1.5.5", "12345678901234567.5", "0.1234567890123456"}
	r := rand.New(rand.NewPCG(3, 4))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	for range 2000 {
		n := digits(1 + r.IntN(19))
		if r.IntN(2) == 0 {
			n += "." + digits(1+r.IntN(16))
		}
		if r.IntN(3) == 0 {
			n = "-" + n
		}
		texts = append(texts, n)
	}
	for _, text := range texts {
		for _, doc := range []string{text, "[" + text + "]", "[" + text + ", 1]", "{\"k\": " + text + "}"} {
			tp, err := ParseTape(doc)
			_, jerr := ParseJSON(doc)
			if fmt.Sprint(err) != fmt.Sprint(jerr) {
				t.Fatalf("%q: ParseTape %v, ParseJSON %v", doc, err, jerr)
			}
			if err != nil {
				continue
			}
			k := strings.Index(doc, text) // the number's entry: the first after the containers and keys
			var got *entry
			for i := range tp.ents {
				if en := &tp.ents[i]; en.kind == entInt || en.kind == entFloat || en.kind == entBigInt {
					got = en
					break
				}
			}
			want, j, ok := refNumber(doc, k)
			if got == nil {
				t.Fatalf("%q: no number entry", doc)
			}
			if got.kind == entBigInt {
				// An integer beyond int64 keeps its text, which the reference does not read.
				if v, err := strconv.ParseInt(text, 10, 64); err == nil || ok || doc[got.a:got.b] != text {
					t.Errorf("%q: a BigInt entry for %q (%d, %v)", doc, doc[got.a:got.b], v, err)
				}
				tp.Release()
				continue
			}
			if ok && (j != k+len(text) || got.kind != want.kind || got.bits() != want.bits() || got.tl != want.tl || (want.tl > 0 && got.n != want.n)) {
				t.Errorf("%q: entry %+v, reference %+v", doc, *got, want)
			}
			if !ok && got.tl != 0 {
				t.Errorf("%q: the reference does not read it, but the tape keeps its text", doc)
			}
			tp.Release()
		}
	}
}

// strSpecials flags the bytes that end a string's plain run, the lowest exactly.
func TestStrSpecials(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{0, 1, 0x1f, 0x20, '!', '"', '#', '\\', ']', 'a', 0x7f, 0x80, 0xa2, 0xdc, 0xff}
	for range 200000 {
		var b [8]byte
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		m := strSpecials(load8(string(b[:])))
		want := 8
		for i, c := range b {
			if !strPlain[c] {
				want = i
				break
			}
		}
		got := 8
		if m != 0 {
			got = 0
			for m&(0x80<<(8*got)) == 0 {
				got++
			}
		}
		if got != want {
			t.Fatalf("%q: first special byte %d, want %d (mask %#x)", b, got, want, m)
		}
	}
}

// checkTape reads body onto a tape and as ParseJSON's values: both accept it or refuse it
// with the same error, and an accepted tape's dup flags are right (checkDups). The tape is
// released, so that the next body is read onto these entries, grown if need be.
func checkTape(t testing.TB, body string) {
	t.Helper()
	_, jerr := ParseJSON(body)
	tp, err := ParseTape(body)
	if fmt.Sprint(err) != fmt.Sprint(jerr) {
		t.Fatalf("%q: ParseTape %v, ParseJSON %v", body, err, jerr)
	}
	if err == nil {
		checkDups(t, tp, body)
		tp.Release()
	}
}

// checkDups: each object's dup flag says whether it has a repeated key, as a map of its
// keys tells.
func checkDups(t testing.TB, tp *Tape, body string) {
	t.Helper()
	for i := range tp.ents {
		if tp.ents[i].kind != entObject {
			continue
		}
		seen, dup := map[string]bool{}, false
		for k := int32(i) + 1; k < int32(tp.ents[i].a); k = tp.next(k + 1) {
			dup = dup || seen[tp.str(k)]
			seen[tp.str(k)] = true
		}
		if tp.ents[i].dup != dup {
			t.Fatalf("%q: object at entry %d: dup %v, want %v", body, i, tp.ents[i].dup, dup)
		}
	}
}

// Repeated keys, and keys that only look alike to the reader's hash: the same first and
// last 8 bytes and length, the same bit of 64, escapes, too near the end for a word.
func TestTapeDuplicateKeys(t *testing.T) {
	// Keys on one bit of the 64: the reader compares them by hash and length.
	var sameBit []string
	bit := func(k string) uint64 {
		var w uint64
		for i := len(k) - 1; i >= 0; i-- {
			w = w<<8 | uint64(k[i])
		}
		return (w ^ uint64(len(k))) * 0x9e3779b97f4a7c15 >> 58
	}
	for i := 0; len(sameBit) < 6; i++ {
		if k := fmt.Sprint("k", i); bit(k) == bit("k0") {
			sameBit = append(sameBit, k)
		}
	}
	long1, long2 := "abcdefgh-middle-1-stuvwxyz", "abcdefgh-middle-2-stuvwxyz"
	bodies := []string{
		`{"a": 1, "b": 2, "a": 3}`,
		`{"` + strings.Join(sameBit, `": 1, "`) + `": 1}`,
		`{"` + strings.Join(sameBit, `": 1, "`) + `": 1, "` + sameBit[2] + `": 2}`,
		`{"` + long1 + `": 1, "` + long2 + `": 2}`,
		`{"` + long1 + `": 1, "` + long2 + `": 2, "` + long1 + `": 3}`,
		`{"a": 1, "\u0061": 2}`, `{"\u0062": 1, "a": 2}`, `{"x\"": 1, "x\"": 2}`,
		`{"abcdefgh": 1, "abcdefgh": 2}`, `{"abcdefg": 1, "abcdefgh": 2}`,
		`{"a": {"a": 1, "a": 2}, "b": [{"c": 1}, {"c": 1, "c": 2}], "a": 0}`,
		`{"a":1,"a":2}`, `{"a"  :  1 , "a"	:	2 }`, `{"ab": 1, "a": 2}`,
		`{"z": 1, "y": 2, "z"`, `{"z": 1, "y": 2, "z":3}`, `{"k":{},"k":[]}`,
	}
	var big strings.Builder
	big.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&big, `"key%d": %d, `, i, i)
	}
	big.WriteString(`"key7": 0}`)
	bodies = append(bodies, big.String(), strings.Replace(big.String(), `"key7": 0}`, `"key40": 0}`, 1))
	for _, body := range bodies {
		checkTape(t, body)
	}
	for _, c := range []struct {
		body string
		dup  bool
	}{{bodies[0], true}, {bodies[1], false}, {bodies[2], true}, {bodies[3], false}, {bodies[4], true}, {bodies[5], true}, {bodies[6], false}} {
		tp, err := ParseTape(c.body)
		if err != nil {
			t.Fatal(err)
		}
		if tp.ents[0].dup != c.dup {
			t.Errorf("%q: dup %v, want %v", c.body, tp.ents[0].dup, c.dup)
		}
		tp.Release()
	}
}

// A released tape's entries serve the next document, grown when it needs more; Release
// twice, or on a refused document's tape, is harmless.
func TestTapeRelease(t *testing.T) {
	small, large := `{"a": [1, 2]}`, testkit.OrderBody4KB()
	tp, err := ParseTape(small)
	if err != nil {
		t.Fatal(err)
	}
	tp.Release()
	tp.Release()
	if tp.text != "" || len(tp.ents) != 0 || tp.conts != 0 {
		t.Fatalf("released tape still holds %q, %d entries", tp.text, len(tp.ents))
	}
	for range 3 {
		for _, body := range []string{small, large, `[1, 2, "x\ny", {"k": "v"}]`, `{"a": tru}`, large[:2000], `[[[[]]]]`} {
			got, err := ParseTape(body)
			want, _ := ParseTape(strings.Clone(body)) // compared below with the text ignored
			_, jerr := ParseJSON(body)
			if fmt.Sprint(err) != fmt.Sprint(jerr) {
				t.Fatalf("%.40q: ParseTape %v, ParseJSON %v", body, err, jerr)
			}
			if err != nil {
				continue
			}
			if len(got.ents) != len(want.ents) || got.conts != want.conts || fmt.Sprint(got.strs) != fmt.Sprint(want.strs) {
				t.Fatalf("%.40q: %d entries, %d containers; want %d, %d", body, len(got.ents), got.conts, len(want.ents), want.conts)
			}
			for i := range got.ents {
				if got.ents[i] != want.ents[i] {
					t.Fatalf("%.40q: entry %d is %+v, want %+v", body, i, got.ents[i], want.ents[i])
				}
			}
			tape, values := evalBoth(t, `$input.json('$')`, body, nil)
			if tape != values {
				t.Fatalf("%.40q: tape %s, values %s", body, tape, values)
			}
			got.Release()
			// want is not released: the next ParseTape may get a fresh tape too.
		}
	}
}

// Release drops the strings a tape unescaped (a pooled tape must not keep a request's
// strings alive), and a tape released twice goes back once: were it pooled twice, two
// ParseTape calls would hand out one tape, both documents on its entries. A tape of more
// entries than maxPooledEntries is left to the collector. The suite passed with any of
// the three undone.
func TestTapeReleaseKeepsNothing(t *testing.T) {
	tp, err := ParseTape(`["a\nb", "c\td", {"e\u0041": "f\/"}]`)
	if err != nil {
		t.Fatal(err)
	}
	strs := tp.strs[:cap(tp.strs)]
	tp.Release()
	for i, s := range strs {
		if s != "" {
			t.Errorf("released tape's string %d: %q", i, s)
		}
	}
	// With sync.Pool's private slot, a tape put twice would be the next two Gets.
	tp, err = ParseTape(`[1]`)
	if err != nil {
		t.Fatal(err)
	}
	tp.Release()
	tp.Release()
	one, err1 := ParseTape(`{"one": 1}`)
	two, err2 := ParseTape(`{"two": 2}`)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if one == two || one.str(1) != "one" || two.str(1) != "two" {
		t.Errorf("two documents on one tape: %q, %q", one.str(1), two.str(1))
	}
	one.Release()
	two.Release()
	big := "[" + strings.Repeat("0,", maxPooledEntries) + "0]"
	if tp, err = ParseTape(big); err != nil {
		t.Fatal(err)
	}
	tp.Release()
	var held []*Tape // released after the loop, so that each ParseTape takes another tape
	for range 4 {
		if tp, err = ParseTape(`[1]`); err != nil || cap(tp.ents) > maxPooledEntries {
			t.Fatalf("a tape of %d entries was pooled (%v)", cap(tp.ents), err)
		}
		held = append(held, tp)
	}
	for _, tp := range held {
		tp.Release()
	}
}

// Space of every length up to 20 (skipped a word of 8 spaces at a time) between every two
// tokens, and as padding: the tape reads what ParseJSON reads. The suite passed with the
// word test reading 7 bytes of the 8 it skips.
func TestTapeSpaceRuns(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for _, sp := range []string{strings.Repeat(" ", n), strings.Repeat(" ", n) + "\n", "\t" + strings.Repeat(" ", n)} {
			body := strings.NewReplacer("_", sp).Replace(`_{_"a"_:_[_1_,_"x"_,_{_}_]_,_"bc"_:_true_}_`)
			if _, err := ParseTape(body); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			if tape, values := evalBoth(t, `$input.json('$')`, body, nil); tape != values || !strings.HasPrefix(tape, `{"a":[1,"x",{}],"bc":true}`) {
				t.Fatalf("%q: tape %s, values %s", body, tape, values)
			}
		}
	}
}

// Objects too deep fail as ParseJSON fails: on their first key's errors, else the depth.
func TestTapeDeepObjects(t *testing.T) {
	open := strings.Repeat(`{"a":`, maxJSONDepth)
	for _, body := range []string{open + "{}" + strings.Repeat("}", maxJSONDepth), open + `{"b": 1}`, open + `{"b" 1}`,
		open + `{b: 1}`, open + `{"b\x": 1}`, open + `{"b"`, open + "{", open + `[`, open + `[]` + strings.Repeat("}", maxJSONDepth),
		open + `{ "b" : [1] }`, strings.Repeat("[", maxJSONDepth+1) + `{"a": 1}`} {
		_, err1 := ParseJSON(body)
		_, err2 := ParseTape(body)
		if fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("%.30q...: ParseJSON %v, ParseTape %v", body[len(body)-20:], err1, err2)
		}
	}
}
