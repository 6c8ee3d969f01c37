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

package websocket

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// selectionPaths caches parsed route selection expressions: there are few, and each message
// would otherwise split its API's expression again.
var selectionPaths sync.Map // expression -> []string

// selectionPath parses $request.body.a.b into [a b]; nil when the expression reads nothing.
func selectionPath(expr string) []string {
	if v, ok := selectionPaths.Load(expr); ok {
		return v.([]string)
	}
	rest, ok := strings.CutPrefix(expr, "$request.body.")
	var path []string
	if ok && rest != "" {
		path = strings.Split(rest, ".")
		for _, p := range path {
			if p == "" {
				path = nil
				break
			}
		}
	}
	selectionPaths.Store(expr, path)
	return path
}

// selectRouteKey returns the route key a message selects: the value of the expression's JSON
// field when the message is a JSON object that has it as a string, number or boolean; ""
// otherwise, which routes to $default.
func selectRouteKey(expr string, body []byte) string {
	path := selectionPath(expr)
	if len(path) == 0 {
		return ""
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return ""
	}
	if _, err := dec.Token(); err != io.EOF {
		return "" // trailing data: not one JSON object
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		if v, ok = m[p]; !ok {
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}
