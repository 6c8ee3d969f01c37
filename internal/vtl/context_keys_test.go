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
	"slices"
	"testing"
)

func TestContextKeys(t *testing.T) {
	for _, c := range []struct {
		src  string
		keys []string
		all  bool
	}{
		{src: `hello $input.body`},
		{src: `$context.stage $context.authorizer.principalId "${context.requestId}"`, keys: []string{"authorizer", "requestId", "stage"}},
		{src: `#if($context.get('stage') == "x")$util.escapeJavaScript("$context.path")#end`, keys: []string{"path", "stage"}},
		{src: `#set($context.requestOverride.header.x = $context.stage)`, keys: []string{"requestOverride", "stage"}},
		{src: `#foreach($k in [1])$context.identity.sourceIp#end`, keys: []string{"identity"}},
		{src: `$context`, all: true},
		{src: `$context[$k]`, all: true},
		{src: `$context.get($k)`, all: true},
		{src: `$context.keySet()`, all: true},
		{src: `#set($c = $context)$c.stage`, all: true},
		{src: `#foreach($v in $context)$v#end`, all: true},
		{src: `$util.toJson($context)`, all: true},
	} {
		tp, err := Parse(c.src)
		if err != nil {
			t.Fatal(err)
		}
		keys, all := tp.ContextKeys()
		if all != c.all || !slices.Equal(keys, c.keys) {
			t.Errorf("%q: ContextKeys %q %v, want %q %v", c.src, keys, all, c.keys, c.all)
		}
	}
}
