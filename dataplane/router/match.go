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

package router

// inlineParams is how many parameter values a Match holds before it allocates; real routes
// rarely have more.
const inlineParams = 6

// Match is the result of a lookup: the route and its path parameters, decoded. The zero
// value is ready to use; it is meant to live inside a per-request struct so that matching
// does not allocate.
type Match struct {
	// Route is the index of the matched route in the slice given to New.
	Route  int
	greedy string

	names  []string
	values []string
	buf    [inlineParams]string
}

func (m *Match) reset() {
	m.Route = -1
	m.greedy = ""
	m.names = nil
	if m.values == nil {
		m.values = m.buf[:0]
	}
	m.values = m.values[:0]
}

// GreedyRaw is the escaped remainder of the path a greedy {proxy+} matched, as the client
// sent it; empty when the route has no greedy parameter.
func (m *Match) GreedyRaw() string { return m.greedy }

// Len is the number of path parameters.
func (m *Match) Len() int { return len(m.names) }

// Name is the name of parameter i.
func (m *Match) Name(i int) string { return m.names[i] }

// Value is the decoded value of parameter i.
func (m *Match) Value(i int) string { return m.values[i] }

// Get returns the decoded value of the named parameter.
func (m *Match) Get(name string) (string, bool) {
	for i, n := range m.names {
		if n == name {
			return m.values[i], true
		}
	}
	return "", false
}

// Map returns the parameters as a map, or nil when there are none.
func (m *Match) Map() map[string]string {
	if len(m.names) == 0 {
		return nil
	}
	out := make(map[string]string, len(m.names))
	for i, n := range m.names {
		out[n] = m.values[i]
	}
	return out
}
