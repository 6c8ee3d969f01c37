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

package upstream

import "github.com/portico-dev/portico/internal/httpsyntax"

// canonicalKey returns a header name as net/http keys it (textproto's canonical form:
// upper case first and after each hyphen, lower case elsewhere), name itself when it is
// already so: a substring of the head, not a copy. A name with a space, which readHead lets
// through as net/http does, is kept as it is.
func canonicalKey(name string) string {
	upper := true
	for i := range len(name) {
		c := name[i]
		if uint8(byteClass[c])&tokenByte == 0 {
			return name // a space
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return httpsyntax.Canonicalize(name)
		}
		upper = c == '-'
	}
	return name
}
