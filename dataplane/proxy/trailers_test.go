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
)

// A request's declared trailers reach the backend with their values, over HTTP/1.1 (a
// chunked body) and h2c alike: the values arrive after the body, so the request sent on
// must carry the map the server fills then, not a copy taken before.
func TestRequestTrailersReachBackend(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, string(b)+" X-Sum="+r.Trailer.Get("X-Sum"))
	}))
	defer backend.Close()
	f := newFixture(t, Options{})
	f.apply(t, stageOf("prod", "prod", apiOf(nil, uriRoute("p", "/p", "POST", backend.URL+"/p"))))
	addr := serveProxy(t, f)

	// HTTP/1.1, byte for byte.
	got := rawExchange(t, addr, "POST /prod/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n"+
		"Connection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 42\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 200 ") || !strings.HasSuffix(got, "hello X-Sum=42") {
		t.Errorf("HTTP/1.1: %q", got)
	}

	// h2c.
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+addr+"/prod/p", pr)
	req.Trailer = http.Header{"X-Sum": nil}
	go func() {
		_, _ = io.WriteString(pw, "hello")
		req.Trailer.Set("X-Sum", "42")
		_ = pw.Close()
	}()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	if res.ProtoMajor != 2 || string(b) != "hello X-Sum=42" {
		t.Errorf("h2c: %s %d %q", res.Proto, res.StatusCode, b)
	}
}
