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
	"fmt"
	"strings"
	"testing"
)

// ordersBody is the integration benchmark's 4 KB body (order4KB in
// dataplane/integration/bench_test.go): some 88 small objects of three keys, a string and two
// numbers, the shape the tape reader is tuned for.
func ordersBody() string {
	var b strings.Builder
	b.WriteString(`{"orderId": "o-123", "customer": {"name": "Ann", "email": "ann@example.com"}, "items": [`)
	for i := 0; b.Len() < 4096-60; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"sku": "sku-%04d", "qty": %d, "price": %d.5}`, i, i%5+1, i*3)
	}
	b.WriteString(`], "note": "leave at the door"}`)
	return b.String()
}

// BenchmarkParseTapeOrders: the integration benchmark's body read onto a tape, alone.
func BenchmarkParseTapeOrders(b *testing.B) {
	body := ordersBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTape(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTapeOrdersReleased: the same, each tape released after use, as a request
// does when it is done: the entries are reused, not allocated and zeroed.
func BenchmarkParseTapeOrdersReleased(b *testing.B) {
	body := ordersBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		t, err := ParseTape(body)
		if err != nil {
			b.Fatal(err)
		}
		t.Release()
	}
}

// BenchmarkParseTapeReleased: benchBody, each tape released after use.
func BenchmarkParseTapeReleased(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		t, err := ParseTape(body)
		if err != nil {
			b.Fatal(err)
		}
		t.Release()
	}
}
