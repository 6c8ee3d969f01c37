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
	"testing"

	"github.com/portico-dev/portico/internal/testkit"
)

// BenchmarkParseTapeOrders: the integration benchmark's body read onto a tape, alone.
func BenchmarkParseTapeOrders(b *testing.B) {
	body := testkit.OrderBody4KB()
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
func BenchmarkParseTapeOrdersReleased(b *testing.B) { benchReleased(b, testkit.OrderBody4KB()) }

// BenchmarkParseTapeReleased: benchBody, each tape released after use.
func BenchmarkParseTapeReleased(b *testing.B) { benchReleased(b, benchBody()) }

func benchReleased(b *testing.B, body string) {
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
