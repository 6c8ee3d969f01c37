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
	"strconv"
)

// Numbers, as ParseJSON and the tape read them: integers that fit stay int64 (Java's Long),
// integers that do not are BigInts (their digits, as Java's JSON readers keep a BigInteger:
// an id of 20 digits goes back out as it came), everything else is a float64, read exactly
// as strconv reads it.

// BigInt is an integer too large for int64, as its decimal digits: written as they are,
// compared by them, and a float64 in arithmetic.
type BigInt string

func (d *jsonReader) number() (any, error) {
	n, err := d.scanNumber()
	if err != nil {
		return nil, err
	}
	switch {
	case n.big != "":
		return BigInt(n.big), nil
	case n.isFloat:
		return d.boxFloat(n.f), nil
	}
	return d.boxInt(n.i), nil
}

// num is a JSON number as templates see it: an int64 when it is an integer that fits, a
// float64 otherwise.
type num struct {
	i       int64
	f       float64
	isFloat bool
	big     string // an integer beyond int64: its text
}

// scanNumber reads the number at d.i; the tape reader shares it with number, so that both
// read every number (and refuse every bad one) alike.
func (d *jsonReader) scanNumber() (num, error) {
	s, start := d.s, d.i
	i := start
	if s[i] == '-' {
		i++
	}
	digits := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == digits {
		d.i = i
		return num{}, d.errorf("bad number")
	}
	isFloat := false
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		frac := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == frac {
			d.i = i
			return num{}, d.errorf("bad number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isFloat = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == exp {
			d.i = i
			return num{}, d.errorf("bad number")
		}
	}
	d.i = i
	text := s[start:i]
	if n, ok := shortNum(text, isFloat); ok {
		return n, nil
	}
	if !isFloat {
		n, err := strconv.ParseInt(text, 10, 64)
		if err == nil {
			return num{i: n}, nil
		}
		if errors.Is(err, strconv.ErrRange) {
			f, _ := strconv.ParseFloat(text, 64)
			return num{f: f, big: text}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return num{}, d.errorf("bad number")
	}
	return num{f: f, isFloat: true}, nil
}

// shortNumber is shortNum boxed, as the reader stores it.
func (d *jsonReader) shortNumber(text string, isFloat bool) (any, bool) {
	n, ok := shortNum(text, isFloat)
	switch {
	case !ok:
		return nil, false
	case n.isFloat:
		return d.boxFloat(n.f), true
	}
	return d.boxInt(n.i), true
}

// shortNum reads the usual numbers without strconv's general parsers: an integer of up
// to 18 digits, or a decimal without exponent of up to 15 significant digits, which is
// m / 10^k with m and 10^k exact doubles and one correctly rounded division: the double
// ParseFloat returns (its own exact fast path).
func shortNum(text string, isFloat bool) (num, bool) {
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	var m uint64
	digits, frac := 0, -1
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '.':
			frac = 0
			continue
		case !isDigit(c):
			return num{}, false // an exponent
		}
		m = m*10 + uint64(c-'0')
		if m != 0 {
			digits++
		}
		if frac >= 0 {
			frac++
		}
	}
	if !isFloat {
		if len(text) > 18 {
			return num{}, false
		}
		n := int64(m)
		if neg {
			n = -n
		}
		return num{i: n}, true
	}
	if len(text) > 16 || digits > 15 || frac > 22 {
		return num{}, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return num{f: f, isFloat: true}, true
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
