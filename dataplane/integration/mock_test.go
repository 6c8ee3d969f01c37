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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// A MOCK answer without a content-type header is application/json, as AWS's method responses
// default to, whatever its body (GET and HEAD alike); a content-type the mock names stays; a
// 204 has none.
func TestMockContentType(t *testing.T) {
	for _, c := range []struct {
		body    string
		status  int
		headers map[string]string
		want    string
	}{
		{body: "ok\n", want: "application/json"},
		{body: `{"status":"ok"}`, want: "application/json"},
		{body: "gone", status: 410, want: "application/json"},
		{body: "<p>hi</p>", headers: map[string]string{"content-type": "text/html"}, want: "text/html"},
		{body: "", status: 200, want: "application/json"},
		{body: "x", status: 204, want: ""},
	} {
		mock := build(t, &xdsv1alpha1.Integration{Type: TypeMock, Mock: &xdsv1alpha1.Mock{StatusCode: int32(c.status), Body: c.body, Headers: c.headers}})
		ms := httptest.NewServer(mock)
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if got := contentTypeOf(t, method, ms.URL); got != c.want {
				t.Errorf("%s %q (status %d): Content-Type %q, want %q", method, c.body, c.status, got, c.want)
			}
		}
		ms.Close()
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
	return strings.Join(res.Header["Content-Type"], "|")
}
