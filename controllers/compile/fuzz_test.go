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

package compile

import (
	"testing"
)

// The parsers below read user input (from files in standalone mode, where no API server
// validates first): whatever they get, they must return an error, never panic.

func FuzzMethodKey(f *testing.F) {
	for _, seed := range []string{"*/*", "/pets/GET", "/pets/*", "/", "GET", "//"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		path, method, ok := splitMethodKey(key)
		if ok && (path == "" || method == "") {
			t.Fatalf("splitMethodKey(%q) = %q, %q, true", key, path, method)
		}
	})
}
