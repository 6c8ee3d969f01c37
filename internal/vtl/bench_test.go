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
	"context"
	"fmt"
	"strings"
	"testing"
)

// benchBody is a 4 KB order with 16 line items.
func benchBody() string {
	var b strings.Builder
	b.WriteString(`{"orderId": "o-12345", "customer": {"id": "c-9", "name": "Saanvi Sarkar", "email": "saanvi@example.com", "tier": "gold"}, "items": [`)
	for i := 0; i < 16; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku": "SKU-%04d", "name": "Item number %d with a longer name", "qty": %d, "price": %d.99, "tags": ["red", "large", "sale"], "note": "It's fragile"}`, i, i, i%3+1, 10+i)
	}
	b.WriteString(`], "shipping": {"method": "express", "address": {"line1": "1 Main St", "city": "Springfield", "zip": "12345"}}}`)
	for b.Len() < 4096 {
		b.WriteString(" ")
	}
	return b.String()
}

// benchTemplate is a 20-line request template of the usual shape.
const benchTemplate = `#set($root = $input.path('$'))
{
  "id": "$input.params('id')",
  "order": "$root.orderId",
  "customer": {
    "name": "$util.escapeJavaScript($root.customer.name)",
    "email": $input.json('$.customer.email')
  },
  "stage": "$context.stage",
  "lines": [
#foreach($item in $root.items)
    {"sku": "$item.sku", "qty": $item.qty, "price": $item.price, "note": "$util.escapeJavaScript($item.note).replaceAll("\\'", "'")"}#if($foreach.hasNext),#end

#end
  ],
#if($root.customer.tier == "gold")
  "priority": true,
#end
  "shipping": $input.json('$.shipping')
}`

// BenchmarkEval: a 20-line template on a 4 KB body, parse excluded (the proxy parses
// once per snapshot). The target is under 20 µs per evaluation.
func BenchmarkEval(b *testing.B) {
	tp, err := Parse(benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	if n := strings.Count(benchTemplate, "\n") + 1; n != 20 {
		b.Fatalf("the template has %d lines", n)
	}
	body := benchBody()
	ctxMap := NewMap()
	ctxMap.Set("stage", "prod")
	ctxMap.Set("requestId", "r-1")
	ctxMap.Freeze()
	env := &Env{Body: body, Path: MapOf(map[string]string{"id": "o-12345"}), Context: ctxMap}
	res, err := tp.Eval(context.Background(), env, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ParseJSON(res.Output); err != nil {
		b.Fatalf("the output is not JSON: %v\n%s", err, res.Output)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if _, err := tp.Eval(context.Background(), env, nil); err != nil {
			b.Fatal(err)
		}
	}
	if cpu > 0 {
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchTemplate); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJSON: the share of BenchmarkEval spent reading the 4 KB body.
func BenchmarkParseJSON(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := ParseJSON(body); err != nil {
			b.Fatal(err)
		}
	}
	if cpu > 0 {
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkParseTape: the same body read onto a tape, what templates read instead.
func BenchmarkParseTape(b *testing.B) {
	body := benchBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTape(body); err != nil {
			b.Fatal(err)
		}
	}
}
