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

import "unsafe"

// A response's head is one string, its fields' names and values substrings of it, and its
// values are slices of one each, cut from one slab. Two allocations per response cost about
// 1% of a proxied request's CPU; a connection now cuts both from blocks of its own, which
// serve several responses, and allocates a block when the last one is used up.
//
// A block's bytes and slots are written once, for one response, and never again: what a
// response's strings and slices hold stays as it was, as with allocations of their own. A
// string or slice kept past its response holds its block alive: at most headBlock bytes or
// valueBlock slots. The response cache, which keeps answers, copies what it keeps.
const (
	headBlock  = 2048 // bytes: ten to twenty heads of the usual size
	valueBlock = 64   // slots, of 16 bytes
)

// keep returns a string of b's bytes, copied into the connection's block of heads.
func (s *headScan) keep(b []byte) string {
	if len(b) == 0 || len(b) > headBlock/4 {
		return string(b)
	}
	if cap(s.text)-len(s.text) < len(b) {
		s.text = make([]byte, 0, headBlock)
	}
	start := len(s.text)
	s.text = append(s.text, b...)
	return unsafe.String(&s.text[start], len(b))
}

// slots returns n unused value slots, its capacity n: an append to it allocates.
func (s *headScan) slots(n int) []string {
	if n > valueBlock/4 {
		return make([]string, n)
	}
	if len(s.values) < n {
		s.values = make([]string, valueBlock)
	}
	slab := s.values[:n:n]
	s.values = s.values[n:]
	return slab
}
