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
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/testkit"
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

// BenchmarkRequestTemplate4KB is what a 20-line request template on a 4 KB body adds to a
// request, through the HTTP integration's own code: reading the body, decoding it once, the
// template's environment and the evaluation. It compares the CPU time per request with the
// 20 µs target.
func BenchmarkRequestTemplate4KB(b *testing.B) {
	in := &xdsv1alpha1.Integration{Type: "HTTP", Uri: "http://orders.test/v2/orders", RequestTemplates: map[string]string{"application/json": template20}}
	built, _, err := NewShared(Shared{}).Build(Spec{Integration: in, Variables: map[string]string{"env": "prod"}})
	if err != nil {
		b.Fatal(err)
	}
	h := built.(*mappedHTTP)
	body := testkit.OrderBody4KB()
	r := httptest.NewRequest("POST", "/prod/orders?page=1", nil)
	r.Header.Set("X-Trace", "t-1")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer testkit.CPUBudget(b, "a 20-line request template on a 4 KB body", 20*time.Microsecond)()
	for b.Loop() {
		var ctx reqctx.Context
		ctx.Context = context.Background()
		ctx.Req.ID, ctx.Req.Stage = "id", "prod"
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		rr := r.WithContext(&ctx)
		rc := reqctx.From(rr.Context())
		bd, err := rc.ReadBody(rr, MaxBodyBytes)
		if err != nil {
			b.Fatal(err)
		}
		out, _, _, ok := h.requestBody(w, rr, rc, bd, "application/json")
		if !ok || len(out) < 1000 {
			b.Fatal(ok, len(out))
		}
		rc.Done() // as the proxy does once the request is served
	}
}

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct {
	h      http.Header
	status int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) WriteHeader(code int)        { w.status = code }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkHTTPProxy is one HTTP_PROXY request through the integration alone (no proxy
// steps), to an in-process backend, by the lean path and by httputil.ReverseProxy, which
// the lean path replaced for requests without upgrades or trailers.
func BenchmarkHTTPProxy(b *testing.B) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":7,"name":"Rex"}`)
	}))
	defer be.Close()
	built, _, err := NewShared(Shared{}).Build(Spec{Integration: &xdsv1alpha1.Integration{Type: TypeHTTPProxy, Uri: be.URL + "/pets/7"}})
	if err != nil {
		b.Fatal(err)
	}
	h := built.(*httpIntegration)
	for _, lean := range []bool{true, false} {
		name := "lean"
		if !lean {
			name = "reverseproxy"
		}
		b.Run(name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "http://gw.example/prod/pets/7", nil)
			r.Header.Set("Accept", "application/json")
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.status = 0
				rc := &reqctx.Request{ID: "rid", Stage: "prod"}
				rr := r.WithContext(reqctx.With(context.Background(), rc))
				rc.Target, _, _ = h.target.resolve(rr, rc, nil, false)
				if lean {
					h.forward(w, rr, rc)
				} else {
					ctx, cancel := context.WithTimeout(rr.Context(), h.timeout)
					h.proxy.ServeHTTP(w, rr.WithContext(ctx))
					cancel()
				}
				if w.status != 200 {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
