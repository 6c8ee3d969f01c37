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

package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestExpectContinueThroughProxy sends a body behind "Expect: 100-continue" through a real
// proxy server: the client waits for the 100, the body reaches the backend (over net/http's
// transport, which the upstream client leaves 100-continue to), and the answer comes back.
func TestExpectContinueThroughProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "got "+string(b)+" expect="+r.Header.Get("Expect"))
	}))
	defer backend.Close()
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "POST", backend.URL+"/p"))))
	addr := serveProxy(t, f)

	// A long ExpectContinueTimeout: the body goes only once the proxy's 100 arrived.
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/prod/p", strings.NewReader("hello"))
	req.Header.Set("Expect", "100-continue")
	res, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "got hello") {
		t.Errorf("%d %q", res.StatusCode, b)
	}
}
