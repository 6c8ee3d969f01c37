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

package testkit

import (
	"fmt"
	"strings"
)

// OrderBody4KB is a 4 KB JSON order of some 88 small line items (three keys: a string and
// two numbers), the body of the mapping template benchmarks: the integration's request
// template (BenchmarkRequestTemplate4KB) and the tape reader alone (vtl's
// BenchmarkParseTapeOrders).
func OrderBody4KB() string {
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
