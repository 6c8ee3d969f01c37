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

package h1

import (
	"net/textproto"
)

// The byte classes of a request head. Tests hold each to what net/http, textproto and
// net/url decide byte by byte.
var (
	// tokenByte: RFC 9110's tchar, what a method and a header name are made of.
	tokenByte = func() (t [256]bool) {
		for c := '0'; c <= '9'; c++ {
			t[c] = true
		}
		for c := 'a'; c <= 'z'; c++ {
			t[c], t[c-'a'+'A'] = true, true
		}
		for _, c := range "!#$%&'*+-.^_`|~" {
			t[c] = true
		}
		return t
	}()
	// valueByte: what a header value may hold (visible ASCII, space, tab, and any byte
	// from 0x80: obs-text); no other control byte, not even a lone CR.
	valueByte = func() (t [256]bool) {
		for c := 0x20; c < 0x100; c++ {
			t[c] = c != 0x7f
		}
		t['\t'] = true
		return t
	}()
	// pathByte: what an origin-form path may hold for url.ParseRequestURI to take it as
	// it is, with no unescaping and no RawPath; others go to url.ParseRequestURI.
	pathByte = func() (t [256]bool) {
		for c := '0'; c <= '9'; c++ {
			t[c] = true
		}
		for c := 'a'; c <= 'z'; c++ {
			t[c], t[c-'a'+'A'] = true, true
		}
		for _, c := range "-._~$&+,/:;=@" {
			t[c] = true
		}
		return t
	}()
)

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte[s[i]] {
			return false
		}
	}
	return true
}

func validValue(s string) bool {
	// Eight bytes at a time while none is below 0x20 (a tab is, and is looked at closer)
	// nor 0x7f: the words' "has a byte less than" test, exact for bytes below 0x80, which
	// are all valid above 0x7f.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8] // one bounds check, and the compiler makes one load of the word
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		del := w ^ 0x7f*ones
		if ((w-0x20*ones)&^w|(del-ones)&^del)&highs != 0 {
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

// keyKind is what a header name is to the parser: invalid, or valid, and then with a space
// before the colon, or one of the names whose rules http.ReadRequest applies.
type keyKind uint8

const (
	keyInvalid keyKind = iota
	keyOther
	keySpace // accepted by textproto (not canonicalized), refused by check
	keyHost
	keyConnection
	keyContentLength
	keyTransferEncoding
	keyTrailer
	keyPragma
	keyCacheControl
)

// knownKey is the kind of a name most requests carry, as clients send them (canonical):
// one string switch rather than a look at each byte. Every name of its own kind is here,
// so that a canonical name not here is keyOther. keyInvalid: not one of them.
func knownKey(k string) keyKind {
	switch k {
	case "Host":
		return keyHost
	case "Connection":
		return keyConnection
	case "Content-Length":
		return keyContentLength
	case "Transfer-Encoding":
		return keyTransferEncoding
	case "Trailer":
		return keyTrailer
	case "Pragma":
		return keyPragma
	case "Cache-Control":
		return keyCacheControl
	case "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Authorization",
		"Content-Type", "Cookie", "Origin", "Referer", "X-Forwarded-For", "X-Forwarded-Proto",
		"X-Request-Id", "X-Api-Key", "X-Amz-Date", "Traceparent":
		return keyOther
	}
	return keyInvalid
}

// canonicalKey is textproto's reading of a header name: valid if made of token bytes (or
// also spaces: then keySpace, and the name is kept as it is), and key its canonical form.
// A name sent canonical, as most clients send them, is returned as it is (a substring of
// the head: no allocation); others are looked up among common names, or canonicalized by
// textproto.
func canonicalKey(k string) (key string, kind keyKind) {
	if kind := knownKey(k); kind != keyInvalid {
		return k, kind
	}
	if k == "" {
		return "", keyInvalid
	}
	canon, upper, space := true, true, false
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case tokenByte[c]:
			if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
				canon = false
			}
			upper = c == '-'
		case c == ' ':
			space = true
		default:
			return "", keyInvalid
		}
	}
	switch {
	case space:
		return k, keySpace
	case canon:
		return k, keyOther
	}
	key = ""
	if len(k) <= maxCommonKey {
		var buf [maxCommonKey]byte
		for i := 0; i < len(k); i++ {
			buf[i] = lower(k[i])
		}
		key = commonKeys[string(buf[:len(k)])] // no allocation for the lookup
	}
	if key == "" {
		key = textproto.CanonicalMIMEHeaderKey(k)
	}
	if kind := knownKey(key); kind != keyInvalid {
		return key, kind
	}
	return key, keyOther
}

// maxCommonKey is the longest of commonKeys' names.
const maxCommonKey = 32

// commonKeys maps names a client may send in lower case (HTTP/2 habits, some proxies) to
// their canonical form, so that they cost no allocation either.
var commonKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Access-Control-Request-Headers",
		"Access-Control-Request-Method", "Authorization", "Cache-Control", "Connection",
		"Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Expect", "Forwarded",
		"Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since",
		"Keep-Alive", "Origin", "Pragma", "Range", "Referer", "Sec-Websocket-Extensions",
		"Sec-Websocket-Key", "Sec-Websocket-Protocol", "Sec-Websocket-Version", "Te",
		"Traceparent", "Tracestate", "Trailer", "Transfer-Encoding", "Upgrade", "User-Agent",
		"Via", "X-Amz-Date", "X-Amz-Security-Token", "X-Api-Key", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Real-Ip",
		"X-Request-Id",
	} {
		if len(k) > maxCommonKey {
			panic("h1: common header name longer than maxCommonKey: " + k)
		}
		lk := make([]byte, len(k))
		for i := range lk {
			lk[i] = lower(k[i])
		}
		m[string(lk)] = k
	}
	return m
}()
