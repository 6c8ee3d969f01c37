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
	"github.com/portico-dev/portico/internal/httpsyntax"
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
	keyExpect
	keyUpgrade
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
	case "Expect":
		return keyExpect
	case "Upgrade":
		return keyUpgrade
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
// the head: no allocation); others are canonicalized by httpsyntax.Canonicalize (common
// names without an allocation).
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
	key = httpsyntax.Canonicalize(k)
	if kind := knownKey(key); kind != keyInvalid {
		return key, kind
	}
	return key, keyOther
}
