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

package upstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// writeCase is a request built afresh for each writer (a body is read once).
type writeCase struct {
	method, path, query, host string
	header                    http.Header
	body                      string
	close                     bool
}

func (c writeCase) request() *http.Request {
	r := &http.Request{Method: c.method, URL: &url.URL{Scheme: "http", Host: c.host, Path: c.path, RawQuery: c.query}, Header: c.header, Close: c.close}
	if c.body != "" {
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(c.body)), int64(len(c.body))
	}
	return r
}

// check writes c with the lean writer: when it takes the request, the bytes are
// http.Request.Write's, and they read back as the same request. Headers that RoundTrip
// refuses before writing (validHeaders) never reach the writer.
func (c writeCase) check(t *testing.T) {
	if validHeaders(c.header) != nil {
		return
	}
	var got bytes.Buffer
	// In a small room: a body over half of it goes to a pooled buffer, a longer head grows
	// out of it.
	// The fields are listed in a connection's room, given back cleared (keepFields).
	room := make([]httpsyntax.Field, 0, 2)
	err := writeLean(&got, make([]byte, 0, 64), c.request(), &noHints, &room)
	for _, f := range room[:cap(room)] {
		if f.Name != "" || f.Values != nil {
			t.Fatalf("the fields' room kept %s: %q", f.Name, f.Values)
		}
	}
	if errors.Is(err, errNotLean) || err != nil {
		if got.Len() > 0 {
			t.Fatalf("wrote %q and failed: %v", got.Bytes(), err)
		}
		return
	}
	var want bytes.Buffer
	if werr := c.request().Write(&want); werr != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("lean writer\n%q\nnet/http (%v)\n%q", got.Bytes(), werr, want.Bytes())
	}
	pr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(got.Bytes())))
	if err != nil {
		t.Fatalf("%q does not read back: %v", got.Bytes(), err)
	}
	method := c.method
	if method == "" {
		method = "GET"
	}
	u := c.request().URL
	u.Host = ""
	if pr.Method != method || pr.RequestURI != u.RequestURI() {
		t.Fatalf("%q read back as %s %s", got.Bytes(), pr.Method, pr.RequestURI)
	}
	wantHost := ""
	if httpguts.ValidHostHeader(c.host) {
		wantHost = removeZone(c.host)
	}
	if pr.Host != wantHost {
		t.Fatalf("%q: host %q, want %q", got.Bytes(), pr.Host, wantHost)
	}
	wantHeader := http.Header{}
	for k, vv := range c.header {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		for _, v := range vv {
			wantHeader.Add(k, textproto.TrimString(v))
		}
	}
	if c.close && !hasToken(c.header.Get("Connection"), "close") {
		wantHeader["Connection"] = append([]string{"close"}, wantHeader["Connection"]...)
	}
	delete(pr.Header, "User-Agent")
	delete(pr.Header, "Content-Length")
	if !reflect.DeepEqual(map[string][]string(pr.Header), map[string][]string(wantHeader)) {
		t.Fatalf("%q: headers\n%v\nwant\n%v", got.Bytes(), pr.Header, wantHeader)
	}
	body, err := io.ReadAll(pr.Body)
	if err != nil || string(body) != c.body || pr.ContentLength != int64(len(c.body)) || len(pr.TransferEncoding) > 0 {
		t.Fatalf("%q: body %q (length %d, %v), want %q", got.Bytes(), body, pr.ContentLength, err, c.body)
	}
}

func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/a/b", "x=1", "example.com:80", "Accept: */*\nX-A: 1\nX-A: 2", "", false)
	f.Add("POST", "/p q/%2F", "", "[fe80::1%en0]:8080", "User-Agent: \nContent-Type: text/plain", "hello", true)
	f.Add("PUT", "", "", "h", "X-Bad: a\rb", "", false)
	f.Add("DELETE", "/x", "", "h", "Connection: keep-alive, close\nX-Sp:  v \t", "b", true)
	f.Add("G T", "/", "a b", "h\n", "Bad Name: v\nContent-Length: 9", "", false)
	f.Fuzz(func(t *testing.T, method, path, query, host, headers, body string, closeReq bool) {
		h := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(k, v)
			}
		}
		writeCase{method: method, path: path, query: query, host: host, header: h, body: body, close: closeReq}.check(t)
	})
}

// A header value with CR or LF, or an unsafe name, fails the request before a connection is
// taken (validHeaders, as net/http's Transport); a name the writer would send next to its
// own framing fails it with nothing written.
func TestWriteRefuses(t *testing.T) {
	url, accepted := rawBackend(t, answerEach("HTTP/1.1 204 No Content\r\n\r\n"))
	tr, fb := newTransport(t, Options{})
	for _, h := range []http.Header{
		{"X-A": {"a\r\nX-Injected: 1"}},
		{"X-A": {"a\nb"}},
		{"User-Agent": {"ua\r\n"}},
		{"Bad Name": {"v"}},
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = h
		if err := roundTripErr(tr, req); err == nil || !strings.Contains(err.Error(), "invalid header field") {
			t.Errorf("%v: error %v", h, err)
		}
	}
	if n := accepted.Load(); n != 0 || fb.n.Load() != 0 {
		t.Errorf("%d connections accepted, %d requests to the fallback, want none", n, fb.n.Load())
	}
	for _, h := range []http.Header{
		{"content-length": {"5"}},
		{"host": {"other"}},
		{"transfer-encoding": {"chunked"}},
	} {
		var out bytes.Buffer
		c := writeCase{method: "GET", path: "/", host: "h", header: h}
		if err := writeLean(&out, nil, c.request(), &noHints, nil); err == nil || errors.Is(err, errNotLean) || out.Len() > 0 {
			t.Errorf("%v: wrote %q, error %v", h, out.Bytes(), err)
		}
	}
	var out bytes.Buffer
	c := writeCase{method: "POST", path: "/", host: "h", header: http.Header{}, body: "abc"}
	r := c.request()
	r.ContentLength = 5
	if err := writeLean(&out, nil, r, &noHints, nil); err == nil || !strings.Contains(err.Error(), "ContentLength=5 with Body length 3") {
		t.Errorf("short body: %v", err)
	}
}

// What the lean writer does not take is written by net/http.
func TestWriteNotLean(t *testing.T) {
	trace := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{WroteHeaders: func() {}})
	for name, r := range map[string]*http.Request{
		"trace":   writeCase{method: "GET", path: "/", host: "h", header: http.Header{}}.request().WithContext(trace),
		"idna":    writeCase{method: "GET", path: "/", host: "bücher.example", header: http.Header{}}.request(),
		"chunked": {Method: "POST", URL: &url.URL{Path: "/"}, Host: "h", Body: io.NopCloser(strings.NewReader("x")), ContentLength: -1},
	} {
		if err := writeLean(io.Discard, nil, r, &noHints, nil); !errors.Is(err, errNotLean) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWriteCases(t *testing.T) {
	for _, c := range []writeCase{
		{method: "GET", path: "/a/b", query: "x=1&y", host: "example.com:8080", header: http.Header{"Accept": {"*/*"}, "X-Request-Id": {"rid"}}},
		{method: "POST", path: "/orders", host: "10.0.0.1:80", header: http.Header{"User-Agent": {""}, "Content-Type": {"application/json"}}, body: `{"a":1}`},
		{method: "PATCH", path: "/x", host: "h", header: http.Header{"User-Agent": {" curl/8 "}}, close: true},
		{method: "OPTIONS", path: "", host: "[::1]:80", header: http.Header{"Connection": {"close"}}, close: true},
	} {
		c.check(t)
	}
}

// A caller's list of fields (Hints.Fields) is written as net/http writes the same fields from
// a map, in any order, with the fields the writer writes itself left out, and a framing
// name spelled otherwise refused.
func TestWriteFieldsList(t *testing.T) {
	f := func(k string, vv ...string) httpsyntax.Field { return httpsyntax.Field{Name: k, Values: vv} }
	for _, c := range []struct {
		name   string
		fields []httpsyntax.Field
		fails  bool
	}{
		{"sorted", []httpsyntax.Field{f("Accept", "a"), f("X-Forwarded-For", "1.2.3.4"), f("X-Request-Id", "r")}, false},
		{"sorted, user agent last", []httpsyntax.Field{f("Accept", "a"), f("X-B", "b"), f("User-Agent", "ua/1")}, false},
		{"not sorted", []httpsyntax.Field{f("X-B", "b"), f("Accept", "a", "b"), f("Cookie", "c")}, false},
		{"its own fields left out", []httpsyntax.Field{f("Content-Length", "9"), f("Host", "h"), f("Trailer", "t"), f("X-A", "1")}, false},
		{"a framing name spelled otherwise", []httpsyntax.Field{f("X-A", "1"), f("content-length", "9")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			hints := &Hints{Fields: slices.Clone(c.fields)}
			req := func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, "http://backend/x", nil)
				r.Header = http.Header{}
				return r
			}
			var got bytes.Buffer
			err := writeLean(&got, make([]byte, 0, 512), req(), hints, nil)
			if c.fails {
				if err == nil || got.Len() > 0 {
					t.Fatalf("wrote %q, %v; want an error and nothing written", got.Bytes(), err)
				}
				return
			}
			var want bytes.Buffer
			if werr := withFields(req(), hints).Write(&want); err != nil || werr != nil || got.String() != want.String() {
				t.Fatalf("lean writer (%v)\n%q\nnet/http (%v)\n%q", err, got.Bytes(), werr, want.Bytes())
			}
		})
	}
}

// Ready fields (Hints.FieldsReady) go out after the map's, in their order and as they are,
// with no User-Agent but theirs.
func TestWriteReadyFields(t *testing.T) {
	f := func(k string, vv ...string) httpsyntax.Field { return httpsyntax.Field{Name: k, Values: vv} }
	for _, c := range []struct {
		name   string
		header http.Header
		fields []httpsyntax.Field
		want   string
	}{
		{"no user agent", nil, []httpsyntax.Field{f("X-B", "b"), f("Accept", "a", "c")},
			"X-B: b\r\nAccept: a\r\nAccept: c\r\n"},
		{"the fields' user agent in its place", nil, []httpsyntax.Field{f("X-B", "b"), f("User-Agent", "ua/1")},
			"X-B: b\r\nUser-Agent: ua/1\r\n"},
		{"the map's fields first, sorted", http.Header{"Z": {"z"}, "B": {"b"}}, []httpsyntax.Field{f("X-F", "f")},
			"B: b\r\nZ: z\r\nX-F: f\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://backend/x", nil)
			r.Header = c.header
			var got bytes.Buffer
			if err := writeLean(&got, nil, r, &Hints{Fields: c.fields, FieldsReady: true}, nil); err != nil {
				t.Fatal(err)
			}
			if want := "GET /x HTTP/1.1\r\nHost: backend\r\n" + c.want + "\r\n"; got.String() != want {
				t.Errorf("wrote\n%q\nwant\n%q", got.String(), want)
			}
		})
	}
}

// A request the lean writer leaves to net/http's (errNotLean: a host to convert to Punycode)
// gets its ready fields in the map, and no User-Agent of net/http's.
func TestReadyFieldsToNetHTTP(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://b\u00fccher.example/x", nil)
	r.Header = http.Header{}
	hints := &Hints{Fields: []httpsyntax.Field{{Name: "X-Forwarded-For", Values: []string{"1.2.3.4"}}}, FieldsReady: true}
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	if err := writeRequest(&out, bw, r, hints, nil); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "Host: xn--bcher-kva.example\r\n") || !strings.Contains(got, "X-Forwarded-For: 1.2.3.4\r\n") ||
		strings.Contains(got, "User-Agent") {
		t.Errorf("net/http's writer wrote\n%s", got)
	}
}
