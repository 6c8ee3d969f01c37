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

package validate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/testkit"
	"github.com/portico-dev/portico/internal/vtl"
)

// order is a body of about size bytes: an order with items.
func order(size int) string {
	var b strings.Builder
	b.WriteString(`{"orderId": "o-123", "customer": {"name": "Ann", "email": "ann@example.com"}, "items": [`)
	for i := 0; b.Len() < size-60; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"sku": "sku-%04d", "qty": %d, "price": %d.5}`, i, i%5+1, i*3)
	}
	b.WriteString(`], "note": "leave at the door"}`)
	return b.String()
}

const orderSchema = `{"type": "object", "required": ["orderId", "customer", "items"], "properties": {
 "orderId": {"type": "string", "pattern": "^o-[0-9]+$"},
 "customer": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}, "email": {"type": "string"}}},
 "items": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["sku", "qty"], "properties": {
   "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}, "price": {"type": "number"}}}},
 "note": {"type": "string", "maxLength": 200}}}`

// BenchmarkValidate1KB is what the step adds to a request with a 1 KB body: reading the
// body, decoding it once (the request template reuses it), checking a required header and
// validating the body. It compares the CPU time per request with the 20 µs target.
func BenchmarkValidate1KB(b *testing.B) {
	body := order(1024)
	h, err := NewStep()(&proxy.Route{
		API:   &xdsv1alpha1.Api{Models: []*xdsv1alpha1.Model{{Name: "Order", Schema: orderSchema}}},
		Route: &xdsv1alpha1.Route{Validation: &xdsv1alpha1.RequestValidation{BodyModel: "Order", RequiredParameters: []string{"header.x-trace"}}},
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/orders", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Trace", "t")
	w := httptest.NewRecorder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer testkit.CPUBudget(b, "validation of a 1 KB body", 20*time.Microsecond)()
	for b.Loop() {
		var ctx reqctx.Context
		ctx.Context = context.Background()
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		h.ServeHTTP(w, r.WithContext(&ctx))
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// BenchmarkModel1KB is the validation of a decoded 1 KB body alone: the fast path, and the
// library that models with other keywords (and every refused body) go through.
func BenchmarkModel1KB(b *testing.B) {
	models, err := CompileModels([]*xdsv1alpha1.Model{{Name: "Order", Schema: orderSchema}})
	if err != nil {
		b.Fatal(err)
	}
	doc, err := vtl.ParseJSON(order(1024))
	if err != nil {
		b.Fatal(err)
	}
	fast := models["Order"]
	if fast.fast == nil {
		b.Fatal("the order model has no fast path")
	}
	for _, bc := range []struct {
		name string
		m    *Model
	}{{"path=fast", fast}, {"path=library", &Model{schema: fast.schema}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.m.Validate(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
