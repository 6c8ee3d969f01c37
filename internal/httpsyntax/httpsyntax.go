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

// Package httpsyntax holds the byte-level rules of HTTP/1.x heads and trailers that both of
// Portico's parsers apply: h1's, of the requests clients send, and the upstream client's, of
// the answers backends send. Each rule is net/http's (textproto's, httpguts'), written for a
// parser that reads a head as one string or buffer rather than line by line; and the order
// net/http writes a header's fields in (SortFields).
package httpsyntax

// valueByte: what a header value may hold (visible ASCII, space, tab, and any byte from
// 0x80: obs-text); no other control byte, not even a lone CR. httpguts.ValidHeaderFieldValue's
// rule.
var valueByte = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return t
}()

// ValidValue reports whether s holds only bytes a header value may. Thirty-two, sixteen,
// then eight bytes at a time while none is below 0x20 (a tab is, and is looked at closer)
// nor 0x7f: the words' "has a byte less than" test, exact for bytes below 0x80, which are all
// valid above 0x7f. Four words a turn, masked once, cut the loop's own instructions on long
// values (a bearer token of 511 bytes: 62 ns with two words a turn each masked, 42 with four,
// 40 with eight, 36 with four masked once).
func ValidValue[T string | []byte](s T) bool {
	i := 0
	for ; i+32 <= len(s); i += 32 {
		b := s[i : i+32] // one bounds check for the four words
		if (flags(word(b[:8]))|flags(word(b[8:16]))|flags(word(b[16:24]))|flags(word(b[24:32])))&highs != 0 {
			break
		}
	}
	for ; i+16 <= len(s); i += 16 {
		b := s[i : i+16] // one bounds check for both words
		if (flags(word(b[:8]))|flags(word(b[8:16])))&highs != 0 {
			break
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if invalidIn(word(s[i:i+8])) != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if !valueByte[s[i]] {
			return false
		}
	}
	return true
}

// word is b's first eight bytes as a little-endian word: the compiler makes one load of it.
func word[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// invalidIn is non-zero when w holds a byte below 0x20 or equal to 0x7f (and may be for a
// byte from 0x80 on, which the byte loop then clears). Each byte's low seven bits plus one,
// which no byte carries out of, is below 0x21 for those: 0x7f's becomes 0. The words' "has a
// byte less than" test is exact for bytes below 0x80, which these all are, and so needs no
// mask of them: five operations a word.
func invalidIn(w uint64) uint64 {
	return flags(w) & highs
}

// flags is invalidIn before its mask, which words' flags ORed together share: the flag of
// each byte is its high bit, the other bits are noise.
func flags(w uint64) uint64 {
	const ones, lows = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	z := (w&lows + ones) & lows
	return z - 0x21*ones
}

const highs = 0x8080808080808080

// TrimOWS removes the spaces and tabs around s, what textproto trims from a value. (By
// index: reslicing at each byte costs more.)
func TrimOWS(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := len(s)
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// EqualFoldASCII reports whether s and t are equal in any ASCII case. Not Unicode's, as
// strings.EqualFold's: that would take "chunKed" with a Kelvin sign for "chunked", where
// net/http matches names and tokens by ASCII.
func EqualFoldASCII[T string | []byte](s T, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(t); i++ {
		if Lower(s[i]) != Lower(t[i]) {
			return false
		}
	}
	return true
}

// Lower is c in lower case, if it is an ASCII letter.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
