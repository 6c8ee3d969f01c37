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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// A static MOCK body without a content-type header is answered with the Content-Type
// net/http's server sniffs from the same body (found once, when the mock is built), and a
// HEAD request with none, as that server answers it; a content-type the mock names stays.
func TestMockStaticContentTypeAsSniffed(t *testing.T) {
	for _, c := range []struct {
		body    string
		status  int
		headers map[string]string
	}{
		{body: "ok\n"},
		{body: `{"status":"ok"}`},
		{body: "<!DOCTYPE html><p>hi</p>"},
		{body: "\x89PNG\r\n\x1a\n\x00\x00"},
		{body: "%PDF-1.4 x", status: 201},
		{body: "gone", status: 410},
		{body: `{"a":1}`, headers: map[string]string{"content-type": "application/json"}},
		{body: "", status: 200},
		{body: "x", status: 204},
	} {
		mock := build(t, &xdsv1alpha1.Integration{Type: TypeMock, Mock: &xdsv1alpha1.Mock{StatusCode: int32(c.status), Body: c.body, Headers: c.headers}})
		plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range c.headers {
				w.Header().Set(k, v)
			}
			status := c.status
			if status == 0 {
				status = http.StatusOK
			}
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				_, _ = w.Write([]byte(c.body))
			}
		})
		ms, ps := httptest.NewServer(mock), httptest.NewServer(plain)
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			got, want := contentTypeOf(t, method, ms.URL), contentTypeOf(t, method, ps.URL)
			if got != want {
				t.Errorf("%s %q (status %d): Content-Type %q, net/http's server answers %q", method, c.body, c.status, got, want)
			}
		}
		ms.Close()
		ps.Close()
	}
}

func contentTypeOf(t *testing.T, method, url string) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return strings.Join(res.Header["Content-Type"], "|") + fmt.Sprint(len(res.Header["Content-Type"]))
}
