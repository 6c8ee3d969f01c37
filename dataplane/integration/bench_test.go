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

package integration

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// A 20-line request template, of the kind API Gateway's guide shows.
const template20 = `#set($o = $input.path('$'))
{
  "id": "$o.orderId",
  "customer": {
    "name": "$util.escapeJavaScript($o.customer.name)",
    "email": "$o.customer.email"
  },
  "lines": [
#foreach($i in $o.items)
    {"sku": "$i.sku", "qty": $i.qty, "total": $i.price}#if($foreach.hasNext),#end
#end
  ],
  "count": $o.items.size(),
  "note": $input.json('$.note'),
  "stage": "$context.stage",
  "requestId": "$context.requestId",
  "user": "$context.authorizer.principalId",
  "trace": "$input.params('x-trace')",
  "env": "$stageVariables.env"
}
`

func order4KB() string {
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

// BenchmarkRequestTemplate4KB is one request's template work: its environment, the body
// decoded (lazily, once) and the 20-line template rendered.
func BenchmarkRequestTemplate4KB(b *testing.B) {
	tmpl, err := vtl.Parse(template20)
	if err != nil {
		b.Fatal(err)
	}
	body := order4KB()
	vars := stageVariables(map[string]string{"env": "prod"})
	r := httptest.NewRequest("POST", "/prod/orders?page=1", nil)
	r.Header.Set("X-Trace", "t-1")
	r.Header.Set("Content-Type", "application/json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rc := &reqctx.Request{ID: "id", Stage: "prod"}
		bd := &reqctx.Body{Text: body}
		e := env(r, rc, bd, vars)
		res, err := tmpl.Eval(r.Context(), e, nil)
		if err != nil || len(res.Output) < 1000 {
			b.Fatal(err, len(res.Output))
		}
	}
}
