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

package throttle

import "net/http"

var allMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// methodBuckets holds a bucket per request method. The standard methods have a slot each,
// found by a switch: a request looks its method up twice with an API key (the key's bucket
// and the shared one), and a map's string hash cost more than the rest of either lookup.
type methodBuckets struct {
	std [7]*bucket // in allMethods' order
	// other holds methods outside allMethods, which a route may list; nil until one does.
	other map[string]*bucket
}

// methodSlot is the index of a standard method in allMethods, or -1.
func methodSlot(m string) int {
	switch m {
	case http.MethodDelete:
		return 0
	case http.MethodGet:
		return 1
	case http.MethodHead:
		return 2
	case http.MethodOptions:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodPost:
		return 5
	case http.MethodPut:
		return 6
	}
	return -1
}

// set makes b the bucket of method m; called while a route is built, never after.
func (mb *methodBuckets) set(m string, b *bucket) {
	if i := methodSlot(m); i >= 0 {
		mb.std[i] = b
		return
	}
	if mb.other == nil {
		mb.other = map[string]*bucket{}
	}
	mb.other[m] = b
}

// get returns the bucket of method m, or nil.
func (mb *methodBuckets) get(m string) *bucket {
	if i := methodSlot(m); i >= 0 {
		return mb.std[i]
	}
	return mb.other[m]
}

// each calls f with every method's bucket.
func (mb *methodBuckets) each(f func(m string, b *bucket)) {
	for i, b := range mb.std {
		if b != nil {
			f(allMethods[i], b)
		}
	}
	for m, b := range mb.other {
		f(m, b)
	}
}

// len is the number of methods with a bucket (counted while a route is built).
func (mb *methodBuckets) len() int {
	n := len(mb.other)
	for _, b := range mb.std {
		if b != nil {
			n++
		}
	}
	return n
}

// forMethod finds a request method's bucket; a HEAD request served by a GET route counts as GET.
func forMethod(mb *methodBuckets, method string) *bucket {
	if b := mb.get(method); b != nil {
		return b
	}
	if method == http.MethodHead {
		return mb.get(http.MethodGet)
	}
	return nil
}
