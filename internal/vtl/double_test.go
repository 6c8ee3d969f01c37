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
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// slowJavaDouble is appendJavaDouble's general path for plain decimals, the reference the
// fast path must agree with.
func slowJavaDouble(f float64) string {
	b := strconv.AppendFloat(nil, f, 'f', -1, 64)
	if bytes.IndexByte(b, '.') < 0 {
		b = append(b, ".0"...)
	}
	return string(b)
}

func checkShortDecimal(t *testing.T, f float64) {
	t.Helper()
	abs := math.Abs(f)
	if f == 0 || math.IsNaN(f) || abs < 1e-3 || abs >= 1e7 {
		return
	}
	got, ok := appendShortDecimal(nil, f, abs)
	if ok && string(got) != slowJavaDouble(f) {
		t.Fatalf("%v: fast path %q, strconv %q", f, got, slowJavaDouble(f))
	}
}

func TestShortDecimalMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range []float64{0.001, 0.5, 1, 12.5, 9999999.999, 0.1 + 0.2, 1.005, 2.675, 0.125, -3.25, 100, 1e7 - 0.001, 4503599.5} {
		checkShortDecimal(t, f)
	}
	for range 200000 {
		n := r.Int64N(10_000_000_000)
		for k := range 5 {
			f := float64(n) / math.Pow10(k)
			checkShortDecimal(t, f)
			checkShortDecimal(t, -f)
			checkShortDecimal(t, math.Nextafter(f, math.Inf(1)))
		}
		checkShortDecimal(t, r.Float64()*1e7)
	}
}

func FuzzShortDecimal(f *testing.F) {
	f.Add(12.5)
	f.Add(0.001)
	f.Fuzz(func(t *testing.T, x float64) { checkShortDecimal(t, x) })
}

// shortNumber must read what strconv reads.
func checkShortNumber(t *testing.T, text string) {
	t.Helper()
	if text == "" {
		return
	}
	d := &jsonReader{}
	isFloat := strings.ContainsAny(text, ".eE")
	v, ok := d.shortNumber(text, isFloat)
	if !ok {
		return
	}
	var want any
	if n, err := strconv.ParseInt(text, 10, 64); err == nil && !isFloat {
		want = n
	} else if f, err := strconv.ParseFloat(text, 64); err == nil {
		want = f
	} else {
		return
	}
	if v != want {
		t.Fatalf("%q: shortNumber %v (%T), strconv %v (%T)", text, v, v, want, want)
	}
	checkPrintsAsIs(t, text, want)
}

// checkPrintsAsIs: the tape reads what strconv reads, and a number text the tape keeps to
// print is what the engine prints for it.
func checkPrintsAsIs(t *testing.T, text string, v any) {
	t.Helper()
	en, ok := tapeEntry(t, text)
	if !ok {
		t.Fatalf("%q: ParseTape refuses it", text)
	}
	var b []byte
	if f, isFloat := v.(float64); isFloat {
		if en.kind != entFloat || math.Float64frombits(en.bits()) != f || math.Signbit(f) != math.Signbit(math.Float64frombits(en.bits())) {
			t.Fatalf("%q: tape %v, strconv %v", text, math.Float64frombits(en.bits()), f)
		}
		b = appendJavaDouble(nil, f)
	} else {
		if en.kind != entInt || int64(en.bits()) != v.(int64) {
			t.Fatalf("%q: tape %d, strconv %v", text, int64(en.bits()), v)
		}
		b = strconv.AppendInt(nil, v.(int64), 10)
	}
	if en.tl > 0 && (string(b) != text || en.n != 0 || int(en.tl) != len(text)) {
		t.Fatalf("%q prints as %q, but the tape would copy %d bytes at %d", text, b, en.tl, en.n)
	}
	if ref, _, refOK := refNumber(text+",", 0); refOK && ref.tl != en.tl {
		t.Fatalf("%q: the tape keeps %d bytes of text, the reference %d", text, en.tl, ref.tl)
	}
}

func TestPrintsAsIs(t *testing.T) {
	for text, want := range map[string]bool{
		"0": true, "-0": false, "007": false, "42": true, "-42": true,
		"3.5": true, "3.50": false, "3.0": true, "3.00": false, "0.0": true, "-0.0": true, "00.5": false,
		"0.001": true, "0.0005": false, "9999999.5": true, "10000000.5": false, "-0.001": true, "-9999999.5": true,
		"123456789012.345": false, "1234567.12345678": true, "0.12345678901234": true,
		// 1e7 itself is Java's 1.0E7: the suite passed with the tape keeping this text.
		"10000000.0": false, "-10000000.0": false, "9999999.99999999": true, "0.00099": false,
	} {
		en, ok := tapeEntry(t, text)
		if !ok {
			t.Fatalf("%q: not read", text)
		}
		if got := en.tl > 0; got != want {
			t.Errorf("the tape of %q keeps its text: %v, want %v", text, got, want)
		}
		checkShortNumber(t, text)
	}
}

func FuzzShortNumber(f *testing.F) {
	f.Add("12.5")
	f.Add("-0.001")
	f.Fuzz(func(t *testing.T, s string) {
		// Only texts of the JSON number grammar reach shortNumber.
		for i := 0; i < len(s); i++ {
			if c := s[i]; !isDigit(c) && c != '.' && c != '-' {
				return
			}
		}
		if strings.Count(s, ".") > 1 || strings.LastIndexByte(s, '-') > 0 || s == "-" || strings.HasPrefix(strings.TrimPrefix(s, "-"), ".") || strings.HasSuffix(s, ".") {
			return
		}
		checkShortNumber(t, s)
	})
}

// Objects read with the same keys share their key slice: changing one must leave the
// others as they were.
func TestSharedKeysStayPerMap(t *testing.T) {
	v, err := ParseJSON(`[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}]`)
	if err != nil {
		t.Fatal(err)
	}
	items := v.(*List).Items
	m0, m1, m2 := items[0].(*Map), items[1].(*Map), items[2].(*Map)
	if &m0.keys[0] != &m1.keys[0] {
		t.Fatal("sibling objects do not share their keys")
	}
	m0.remove("a")
	m1.Set("c", true)
	m2.Set("a", int64(9))
	for _, c := range []struct {
		m    *Map
		want string
	}{{m0, "{b=x}"}, {m1, "{a=2, b=y, c=true}"}, {m2, "{a=9, b=z}"}} {
		if got, _ := toString(c.m); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}
