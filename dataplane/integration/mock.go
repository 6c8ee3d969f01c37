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
	"strconv"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/internal/mapping"
)

// mock answers with a fixed response, prepared once.
type mock struct {
	status  int
	headers http.Header
	body    []byte
	length  []string
}

func newMock(m *xdsv1alpha1.Mock) (*mock, error) {
	if m == nil {
		return nil, fmt.Errorf("a MOCK integration needs mock")
	}
	status := int(m.GetStatusCode())
	if status == 0 {
		status = http.StatusOK
	}
	if status < 200 || status > 599 {
		return nil, fmt.Errorf("mock status code %d is not a final HTTP status", status)
	}
	out := &mock{status: status, headers: http.Header{}, body: []byte(m.GetBody())}
	for k, v := range m.GetHeaders() {
		if !mapping.ValidHeaderName(k) {
			return nil, fmt.Errorf("mock header %q is not a header name", k)
		}
		out.headers.Set(k, v)
	}
	out.length = []string{strconv.Itoa(len(out.body))}
	return out, nil
}

func (m *mock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range m.headers {
		if k == "X-Request-Id" {
			continue // the gateway's request id stays
		}
		h[k] = v
	}
	if m.status != http.StatusNoContent && m.status != http.StatusNotModified {
		h["Content-Length"] = m.length
	}
	w.WriteHeader(m.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(m.body)
	}
}
