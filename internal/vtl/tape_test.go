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
	"strings"
	"testing"
)

// plainRun's word-at-a-time scan must stop where the byte loop does.
func TestPlainRun(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghijklmnop\"", "abc\\defghijkl", "abcdefg\x1fh",
		"ab\x7f\x80\xff\"", "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\"", strings.Repeat("x", 17) + "\n", "\"abcdefghij"} {
		for i := 0; i <= len(s); i++ {
			want := i
			for want < len(s) && strPlain[s[want]] {
				want++
			}
			if got := plainRun(s, i); got != want {
				t.Errorf("plainRun(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}
