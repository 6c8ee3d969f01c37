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
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// proxyTo builds an HTTP_PROXY integration to uri.
func proxyTo(t *testing.T, uri string) *httpIntegration {
	t.Helper()
	h, _, err := NewShared(Shared{}).Build(Spec{Integration: &xdsv1alpha1.Integration{Type: TypeHTTPProxy, Uri: uri}})
	if err != nil {
		t.Fatal(err)
	}
	return h.(*httpIntegration)
}

// front serves h on a real listener, with the reqctx the proxy fills.
func front(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &reqctx.Request{ID: "rid", Stage: "prod", API: "ns/pets"}
		h.ServeHTTP(w, r.WithContext(reqctx.With(r.Context(), rc)))
	}))
	t.Cleanup(s.Close)
	return s
}

// rawBackend answers every request with the bytes of answer, then closes the connection.
func rawBackend(t *testing.T, answer string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		_, _ = brw.WriteString(answer)
		_ = brw.Flush()
	}))
	t.Cleanup(s.Close)
	return s
}

// A backend failing in the middle of its answer cuts the client's connection: a chunked
// answer ended cleanly by the proxy would pass for complete.
func TestForwardCutsConnectionMidStream(t *testing.T) {
	for name, answer := range map[string]string{
		"chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
		"length":  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello",
	} {
		t.Run(name, func(t *testing.T) {
			be := rawBackend(t, answer)
			fe := front(t, proxyTo(t, be.URL+"/x"))
			res, err := http.Get(fe.URL + "/prod/x")
			if err != nil {
				return // cut before the headers left the proxy's buffer
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err == nil {
				t.Fatalf("status %d, body %q: want a cut connection", res.StatusCode, body)
			}
		})
	}
}

// A status code below 100, which Go's response reader takes ("099" as 99, "+20" as 20) and no
// server may write (WriteHeader panics), is a failed integration: 502, with or without the
// ReverseProxy path (a request declaring trailers).
func TestForwardStatusBelow100(t *testing.T) {
	for _, status := range []string{"099 X", "+20 x", "000"} {
		for _, trailer := range []bool{false, true} {
			be := rawBackend(t, "HTTP/1.1 "+status+"\r\nContent-Length: 2\r\n\r\nok")
			fe := front(t, proxyTo(t, be.URL+"/x"))
			req, _ := http.NewRequest(http.MethodGet, fe.URL+"/prod/x", nil)
			if trailer {
				// Chunked, with a trailer: net/http's transport reads the answer.
				req, _ = http.NewRequest(http.MethodPost, fe.URL+"/prod/x", io.MultiReader(strings.NewReader("body")))
				req.ContentLength = -1
				req.Trailer = http.Header{"X-T": {"v"}}
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%q (trailer %v): %v", status, trailer, err)
			}
			_ = res.Body.Close()
			if res.StatusCode != http.StatusBadGateway {
				t.Errorf("%q (trailer %v): %d, want 502", status, trailer, res.StatusCode)
			}
		}
	}
}

// The lean path sends the backend the same request headers ReverseProxy does, and gives the
// client the same answer headers: hop-by-hop headers (those named in Connection too), the
// client's forwarding headers and the backend's request id removed.
func TestForwardSameAsReverseProxy(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Hop-Res")
		w.Header().Set("X-Hop-Res", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("Proxy-Authenticate", "Basic")
		w.Header().Set("X-Request-Id", "backend-id")
		w.Header().Add("X-Kept", "a")
		w.Header().Add("X-Kept", "b")
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		_ = json.NewEncoder(w).Encode(h)
	}))
	t.Cleanup(be.Close)
	h := proxyTo(t, be.URL+"/x")
	run := func(lean, trusted bool, header http.Header) (http.Header, http.Header) {
		rc := &reqctx.Request{ID: "rid", Stage: "prod", PeerTrusted: trusted}
		r := httptest.NewRequest("GET", "http://gw.example/prod/x?a=1", nil)
		r.Header = header.Clone()
		r = r.WithContext(reqctx.With(context.Background(), rc))
		rc.Target, _, _ = h.target.resolve(r, rc, nil, false)
		w := httptest.NewRecorder()
		if lean {
			h.forward(w, r, rc)
		} else {
			h.proxy.ServeHTTP(w, r)
		}
		var seen http.Header
		if err := json.Unmarshal(w.Body.Bytes(), &seen); err != nil {
			t.Fatalf("lean %v: status %d, %q", lean, w.Code, w.Body)
		}
		delete(seen, "Accept-Encoding")
		// The backend's Date is its clock's: two calls may straddle a second.
		got := w.Header()
		delete(got, "Date")
		return seen, got
	}
	for _, trusted := range []bool{false, true} {
		for _, header := range []http.Header{
			{},
			{"User-Agent": {"ua/1"}, "Accept": {"a", "b"}, "Cookie": {"c=1"}},
			{"Connection": {"X-Secret, keep-alive", "close"}, "X-Secret": {"s"}, "Keep-Alive": {"5"}, "Te": {"deflate, trailers"},
				"Proxy-Authorization": {"p"}, "Proxy-Connection": {"x"}, "Upgrade": {"h2c"}, "X-Request-Id": {"client"}},
			{"X-Forwarded-For": {"6.6.6.6", "7.7.7.7"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil"}, "Forwarded": {"for=x"}},
			{"Connection": {"X-Forwarded-For, User-Agent"}, "User-Agent": {"dropped"}, "X-Forwarded-For": {"6.6.6.6"}, "Te": {"gzip"}},
			{"X-Forwarded-Port": {"443"}, "X-Forwarded-Prefix": {"/admin"}, "X_forwarded_for": {"6.6.6.6"}, "X-Forwarded-Ssl": {"on"}},
		} {
			leanSeen, leanRes := run(true, trusted, header)
			rpSeen, rpRes := run(false, trusted, header)
			if !reflect.DeepEqual(leanSeen, rpSeen) {
				t.Errorf("trusted %v, %v: backend saw\n%v\nwant (ReverseProxy)\n%v", trusted, header, leanSeen, rpSeen)
			}
			// The client's own forwarding headers reach the backend from a trusted proxy
			// only: from anyone else, -Host, -Proto and -Port are the gateway's and any
			// other X-Forwarded-* (underscores for dashes too) is left out.
			wantHost, wantPort := "gw.example", "80"
			if trusted {
				wantHost, wantPort = cmp.Or(header.Get("X-Forwarded-Host"), wantHost), cmp.Or(header.Get("X-Forwarded-Port"), wantPort)
			}
			if leanSeen.Get("X-Forwarded-Host") != wantHost || leanSeen.Get("X-Forwarded-Port") != wantPort {
				t.Errorf("trusted %v, %v: backend saw X-Forwarded-Host %q, -Port %q", trusted, header, leanSeen.Get("X-Forwarded-Host"), leanSeen.Get("X-Forwarded-Port"))
			}
			for _, k := range []string{"X-Forwarded-Prefix", "X_forwarded_for", "X-Forwarded-Ssl"} {
				if _, ok := leanSeen[k]; ok != (trusted && header[k] != nil) {
					t.Errorf("trusted %v: %s reached the backend: %v", trusted, k, ok)
				}
			}
			if !reflect.DeepEqual(leanRes, rpRes) {
				t.Errorf("trusted %v, %v: client got\n%v\nwant (ReverseProxy)\n%v", trusted, header, leanRes, rpRes)
			}
			for _, k := range []string{"X-Hop-Res", "Keep-Alive", "Proxy-Authenticate", "Connection", "X-Request-Id"} {
				if v, ok := leanRes[k]; ok {
					t.Errorf("answer header %s: %q reached the client", k, v)
				}
			}
			if got := leanRes["X-Kept"]; !reflect.DeepEqual(got, []string{"a", "b"}) {
				t.Errorf("X-Kept: %q", got)
			}
		}
	}
}

// Answer trailers come through the lean path, and through ReverseProxy for a request with
// trailers, whose values reach the backend (the server fills them in when the body ends).
func TestForwardTrailers(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("X-Req-Body", string(b))
		w.Header().Set("X-Req-Sum", r.Trailer.Get("X-Req-Sum"))
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	}))
	t.Cleanup(be.Close)
	fe := front(t, proxyTo(t, be.URL+"/x"))

	check := func(res *http.Response, wantReq string) {
		t.Helper()
		body, err := io.ReadAll(res.Body)
		if err != nil || string(body) != "body" {
			t.Fatalf("body %q, %v", body, err)
		}
		if got := res.Trailer.Get("X-Sum"); got != "42" {
			t.Errorf("answer trailer X-Sum %q, want 42", got)
		}
		if got := res.Header.Get("X-Req-Body"); got != wantReq {
			t.Errorf("request body at the backend %q, want %q", got, wantReq)
		}
	}
	res, err := http.Get(fe.URL + "/prod/x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	check(res, "")

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", fe.URL+"/prod/x", pr)
	req.Trailer = http.Header{"X-Req-Sum": nil}
	go func() {
		_, _ = io.WriteString(pw, "payload")
		req.Trailer.Set("X-Req-Sum", "7")
		_ = pw.Close()
	}()
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	check(res2, "payload")
	if got := res2.Header.Get("X-Req-Sum"); got != "7" {
		t.Errorf("request trailer X-Req-Sum at the backend %q, want 7", got)
	}

	// What outgoingFields notes for forward in its pass over the header, against the
	// lookups it replaces.
	for _, header := range []http.Header{
		{},
		{"Trailer": {"X"}},
		{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"websocket"}},
		{"Connection": {"keep-alive"}, "Upgrade": {"websocket"}},
		{"Expect": {"100-continue"}, "Connection": {"upgrade"}},
		{"Expect": nil, "Accept": {"a"}},
		{"Content-Length": {"12"}},
	} {
		_, _, notes := outgoingFields(&http.Request{Header: header}, &reqctx.Request{}, nil, nil)
		want := headerNotes{
			expect:        header["Expect"] != nil,
			reverse:       header["Trailer"] != nil || httpguts.HeaderValuesContainsToken(header["Connection"], "Upgrade"),
			contentLength: header["Content-Length"],
		}
		if !reflect.DeepEqual(notes, want) {
			t.Errorf("%v: notes %+v, want %+v", header, notes, want)
		}
	}
}

// Server-sent events and answers of unknown length are flushed as they come.
func TestForwardFlushesStreams(t *testing.T) {
	next := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		_, _ = io.WriteString(w, "data: 1\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-next:
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, "data: 2\n\n")
	}))
	t.Cleanup(be.Close)
	fe := front(t, proxyTo(t, be.URL+"/x"))
	res, err := http.Get(fe.URL + "/prod/x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	done := make(chan string, 1)
	go func() {
		line, _ := br.ReadString('\n')
		done <- line
	}()
	select {
	case line := <-done:
		if line != "data: 1\n" {
			t.Errorf("first event %q", line)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first event was not flushed")
	}
	close(next)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: 2") {
		t.Errorf("rest %q", rest)
	}
}

// An informational answer (103 Early Hints) reaches the client before the final one.
func TestForwardEarlyHints(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(be.Close)
	fe := front(t, proxyTo(t, be.URL+"/x"))
	var hints []string
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
			return nil
		},
	})
	req, _ := http.NewRequestWithContext(ctx, "GET", fe.URL+"/prod/x", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if string(body) != "ok" || res.Header.Get("Link") != "" || !reflect.DeepEqual(hints, []string{"103 </style.css>; rel=preload"}) {
		t.Errorf("body %q, Link %q, hints %q", body, res.Header.Get("Link"), hints)
	}
}

// An HTTP/1.0 client is sent no informational answer (RFC 9110 15.2), which it would take
// for the final one: not a backend's 103, nor the 100 Continue a backend sends to an Expect
// the client sent (which servers ignore in 1.0).
func TestNo1xxToHTTP10(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		_, _ = io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(be.Close)
	fe := front(t, proxyTo(t, be.URL+"/x"))
	for _, req := range []string{
		"GET /prod/x HTTP/1.0\r\nHost: x\r\n\r\n",
		"POST /prod/x HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		"GET /prod/x HTTP/1.0\r\nHost: x\r\nTrailer: X-T\r\n\r\n", // through ReverseProxy
	} {
		c, err := net.Dial("tcp", fe.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, req)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, _ := io.ReadAll(c)
		_ = c.Close()
		if !strings.HasPrefix(string(got), "HTTP/1.0 200 OK\r\n") || !strings.HasSuffix(string(got), "ok") {
			t.Errorf("%q: the client got\n%s", req, got)
		}
	}
}

// The headers the gateway set before the integration ran (x-request-id on every answer)
// are on the final answer after an informational one: a 103 from the backend, or the 100 it
// sends to a client waiting with Expect: 100-continue. net/http's ResponseWriter does not
// clear a 1xx's headers, and clearing them all had dropped the gateway's.
func TestForwardKeepsGatewayHeadersAfter1xx(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Expect") == "" {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
		}
		b, _ := io.ReadAll(r.Body) // net/http sends the 100 here
		_, _ = io.WriteString(w, "got "+string(b))
	}))
	t.Cleanup(be.Close)
	h := proxyTo(t, be.URL+"/x")
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &reqctx.Request{ID: "rid", Stage: "prod", API: "ns/pets"}
		w.Header().Set("X-Request-Id", rc.ID) // as the proxy does before any step
		h.ServeHTTP(w, r.WithContext(reqctx.With(r.Context(), rc)))
	}))
	t.Cleanup(fe.Close)

	for name, c := range map[string]struct{ expect, trailer bool }{
		"103 Early Hints": {}, "100 Continue": {expect: true},
		// A request with a trailer goes through httputil.ReverseProxy, which clears the
		// header map after a 1xx itself.
		"103 Early Hints, ReverseProxy": {trailer: true}, "100 Continue, ReverseProxy": {expect: true, trailer: true},
	} {
		t.Run(name, func(t *testing.T) {
			var informational []int
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
					informational = append(informational, code)
					return nil
				},
			})
			req, _ := http.NewRequestWithContext(ctx, "POST", fe.URL+"/prod/x", strings.NewReader("hello"))
			if c.expect {
				req.Header.Set("Expect", "100-continue")
			}
			if c.trailer {
				req.ContentLength = -1
				req.Trailer = http.Header{"X-Sum": {"5"}}
			}
			tr := &http.Transport{ExpectContinueTimeout: time.Minute}
			defer tr.CloseIdleConnections()
			res, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if string(body) != "got hello" || res.Header.Get("Link") != "" || len(informational) == 0 {
				t.Errorf("body %q, Link %q, informational %v", body, res.Header.Get("Link"), informational)
			}
			if got := res.Header.Get("X-Request-Id"); got != "rid" {
				t.Errorf("final answer's x-request-id %q, want rid", got)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// A backend that never completes the TCP handshake (its backlog full, or a firewall dropping
// SYNs) times out the dial within the route's timeout: that is the endpoint request timing
// out, 504 INTEGRATION_TIMEOUT as when the route's timeout passes first, not a 502 as for a
// connection refused.
func TestConnectTimeoutIsIntegrationTimeout(t *testing.T) {
	for name, err := range map[string]error{
		"dial timeout": &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}},
		"refused":      &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")},
	} {
		t.Run(name, func(t *testing.T) {
			shared := NewShared(Shared{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, err })})
			h, _, berr := shared.Build(Spec{Integration: &xdsv1alpha1.Integration{Type: TypeHTTPProxy, Uri: "http://192.0.2.1/x"}})
			if berr != nil {
				t.Fatal(berr)
			}
			rc := &reqctx.Request{ID: "rid", Stage: "prod"}
			r := httptest.NewRequest("GET", "/prod/x", nil)
			r = r.WithContext(reqctx.With(r.Context(), rc))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			want, wantType := http.StatusGatewayTimeout, "INTEGRATION_TIMEOUT"
			if name == "refused" {
				want, wantType = http.StatusBadGateway, "INTEGRATION_FAILURE"
			}
			if w.Code != want || w.Header().Get("X-Portico-Error-Type") != wantType {
				t.Errorf("%d %s %q, want %d %s", w.Code, w.Header().Get("X-Portico-Error-Type"), w.Body, want, wantType)
			}
		})
	}
}

// A request handed to code that may use it after the handler returns (ReverseProxy,
// net/http's transport, which may go on writing the body) is retained, so that the proxy
// does not reuse its state; on the lean path everything ends with the handler.
func TestRetainsWhatOutlivesTheHandler(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(be.Close)
	retained := func(h http.Handler, method, trailer string) bool {
		t.Helper()
		req := httptest.NewRequest(method, "/prod/x", strings.NewReader("body"))
		if trailer != "" {
			req.Header.Set("Trailer", trailer)
		}
		rc := &reqctx.Request{ID: "rid"}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req.WithContext(reqctx.With(req.Context(), rc)))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", method, w.Code)
		}
		return rc.Retained()
	}
	lean := proxyTo(t, be.URL+"/x")
	if retained(lean, "GET", "") || retained(lean, "POST", "") {
		t.Error("a request on the lean path was retained")
	}
	if !retained(lean, "POST", "X-Sum") {
		t.Error("a request forwarded by ReverseProxy was not retained")
	}
	h, _, err := NewShared(Shared{Transport: &http.Transport{}}).Build(Spec{Integration: &xdsv1alpha1.Integration{Type: TypeHTTPProxy, Uri: be.URL + "/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !retained(h, "POST", "") {
		t.Error("a request forwarded by net/http's transport was not retained")
	}
}

// A forwarding state goes back for reuse cleared, unless its request was retained: net/http's
// transport may still report a 1xx to it or read the body through it.
func TestForwardingRelease(t *testing.T) {
	for _, retain := range []bool{false, true} {
		f := forwardings.Get().(*forwarding)
		f.w = httptest.NewRecorder()
		f.done = true
		rc := &reqctx.Request{}
		if retain {
			rc.Retain()
		}
		f.release(rc)
		if cleared := f.w == nil && !f.done; cleared == retain {
			t.Errorf("retained %v: cleared %v", retain, cleared)
		}
	}

	// The outgoing header map goes with it, cleared, unless the execution log holds it.
	for _, logged := range []bool{false, true} {
		f := forwardings.Get().(*forwarding)
		rc := &reqctx.Request{ID: "rid", DataTrace: logged}
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("X-A", "1")
		f.out.Header, f.values = forwardHeader(r, rc, nil, nil)
		if logged {
			rc.EndpointHeaders = f.out.Header
		}
		sent := f.out.Header
		f.release(rc)
		switch {
		case logged && (f.header != nil || sent.Get("X-A") != "1" || sent.Get("X-Request-Id") != "rid"):
			t.Errorf("the header the execution log reads was cleared or kept for reuse: %v", sent)
		case !logged && (f.header == nil || len(f.header) != 0 || len(f.values) != 0 || cap(f.values) == 0):
			t.Errorf("the outgoing header was not kept, cleared, for reuse: %v, values %q", f.header, f.values[:cap(f.values)])
		}
	}
}

// The lean transport checks the outgoing header's names and values unless the forwarding
// path vouches for them: every one read by a server, which refuses invalid ones, and none
// mapped in. A value mapped from the query string (where "%0d%0a" decodes to CR LF), or a
// request that no server read (a test invocation, a caller in the process), is still
// checked: the request fails and the backend never sees it.
func TestForwardChecksWhatNoServerChecked(t *testing.T) {
	var reached atomic.Int32
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	t.Cleanup(be.Close)
	mapped, _, err := NewShared(Shared{}).Build(Spec{Integration: &xdsv1alpha1.Integration{Type: TypeHTTPProxy,
		Uri: be.URL + "/x", RequestParameters: map[string]string{"header.x-q": "$request.querystring.q"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := front(t, mapped)
	get := func(query string) int {
		t.Helper()
		res, err := http.Get(srv.URL + "/x?q=" + query)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	if got := get("plain"); got != http.StatusOK || reached.Load() != 1 {
		t.Fatalf("a valid mapped value: status %d, backend reached %d times", got, reached.Load())
	}
	if got := get("a%0d%0aX-Injected:%201"); got != http.StatusBadGateway {
		t.Errorf("CR LF mapped into a header: status %d, want 502", got)
	}

	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header["X-A"] = []string{"a\r\nX-Injected: 1"}
	w := httptest.NewRecorder()
	proxyTo(t, be.URL+"/x").ServeHTTP(w, req.WithContext(reqctx.With(req.Context(), &reqctx.Request{ID: "rid"})))
	if w.Code != http.StatusBadGateway {
		t.Errorf("CR LF in a header no server read: status %d, want 502", w.Code)
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("the backend was reached %d times, want once (the valid request)", n)
	}
}

// A traced stage's integrations call their backends through TracedTransport (which makes the
// calls child spans); the others through Transport, without its look for a span in every
// request's context. Each integration type that calls a backend takes the one its stage's
// spec names.
func TestTracedStagesTakeTheTracedTransport(t *testing.T) {
	var took []string
	answer := func(name string) roundTripFunc {
		return func(r *http.Request) (*http.Response, error) {
			took = append(took, name)
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		}
	}
	shared := NewShared(Shared{Transport: answer("plain"), TracedTransport: answer("traced")})
	for _, typ := range []string{TypeHTTPProxy, TypeHTTP, TypeLambdaProxy} {
		for _, traced := range []bool{false, true} {
			in := &xdsv1alpha1.Integration{Type: typ, Uri: "http://192.0.2.1/x"}
			h, _, err := shared.Build(Spec{Integration: in, Traced: traced})
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			took = nil
			r := httptest.NewRequest("GET", "/prod/x", nil)
			h.ServeHTTP(httptest.NewRecorder(), r.WithContext(reqctx.With(r.Context(), &reqctx.Request{ID: "rid", Stage: "prod"})))
			want := "plain"
			if traced {
				want = "traced"
			}
			if len(took) != 1 || took[0] != want {
				t.Errorf("%s, traced %v: the call took %v, want [%s]", typ, traced, took, want)
			}
		}
	}
}

// A backend's Connection header that says close names hop-by-hop fields all the same: they
// stay out of the client's answer, whatever order or lines the tokens come in, on the lean
// path (a writer that takes fields) and through the header map.
func TestForwardDropsFieldsNamedBesideClose(t *testing.T) {
	for _, connection := range [][]string{{"close, X-A"}, {"X-A, close"}, {"close", "X-A"}} {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Connection"] = connection
			w.Header().Set("X-A", "1")
			w.Header().Set("X-Kept", "2")
			_, _ = io.WriteString(w, "ok")
		}))
		h := proxyTo(t, be.URL+"/x")
		for _, lean := range []bool{false, true} {
			rc := &reqctx.Request{ID: "rid", Stage: "prod"}
			r := httptest.NewRequest("GET", "http://gw.example/prod/x", nil)
			r = r.WithContext(reqctx.With(context.Background(), rc))
			rc.Target, _, _ = h.target.resolve(r, rc, nil, false)
			rec := httptest.NewRecorder()
			var w http.ResponseWriter = rec
			fr := &fieldRecorder{ResponseRecorder: rec}
			if lean {
				w = fr
			}
			h.forward(w, r, rc)
			got := rec.Header().Clone()
			for _, f := range fr.fields {
				got[f.Name] = f.Values
			}
			if got.Get("X-A") != "" || got.Get("X-Kept") != "2" || (lean && len(fr.fields) == 0) {
				t.Errorf("Connection %q, lean %v: the client got X-A %q, X-Kept %q", connection, lean, got.Get("X-A"), got.Get("X-Kept"))
			}
		}
		be.Close()
	}
}

// fieldRecorder is a ResponseRecorder that takes a backend's fields as a list, as the
// proxy's HTTP/1.x writer does.
type fieldRecorder struct {
	*httptest.ResponseRecorder
	fields []httpsyntax.Field
}

func (f *fieldRecorder) ForwardFields() *[]httpsyntax.Field { return &f.fields }

// frontWithID serves h behind a server that sets the gateway's request id in the answer's
// header map first, as the proxy does over net/http's server.
func frontWithID(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &reqctx.Request{ID: "rid", Stage: "prod", API: "ns/pets"}
		w.Header().Set("X-Request-Id", rc.ID)
		h.ServeHTTP(w, r.WithContext(reqctx.With(r.Context(), rc)))
	}))
	t.Cleanup(fe.Close)
	return fe
}

// withTrailer is a POST to url with a chunked body and a trailer: a request the proxy hands
// to httputil.ReverseProxy.
func withTrailer(t *testing.T, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, io.MultiReader(strings.NewReader("body")))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.Trailer = http.Header{"X-T": {"v"}}
	return req
}

// An informational answer is held to the final answer's rules on both paths: no hop-by-hop
// fields nor those its Connection names, the gateway's request id rather than the backend's.
func TestInterimAnswerFiltered(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		be := rawBackend(t, "HTTP/1.1 103 Early Hints\r\nConnection: X-S\r\nX-S: secret\r\nKeep-Alive: 5\r\n"+
			"Proxy-Connection: x\r\nX-Request-Id: be\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		fe := frontWithID(t, proxyTo(t, be.URL+"/x"))
		var interim []textproto.MIMEHeader
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			Got1xxResponse: func(_ int, h textproto.MIMEHeader) error {
				interim = append(interim, h)
				return nil
			},
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fe.URL+"/prod/x", nil)
		if reverse {
			req = withTrailer(t, ctx, fe.URL+"/prod/x")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if len(interim) != 1 {
			t.Fatalf("ReverseProxy %v: %d informational answers, want 1", reverse, len(interim))
		}
		h := interim[0]
		if h.Get("Link") != "</a>" || h.Get("X-Request-Id") != "rid" || h.Get("Connection") != "" || h.Get("X-S") != "" ||
			h.Get("Keep-Alive") != "" || h.Get("Proxy-Connection") != "" {
			t.Errorf("ReverseProxy %v: the 103's header %v", reverse, h)
		}
	}
}

// Through ReverseProxy (a request that declares a trailer) as on the lean path: an answer
// without a Content-Type gets none, and one of known length goes to the client as it comes.
func TestReverseProxyPassesAnswerAsItComes(t *testing.T) {
	be := rawBackend(t, "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\n<html><script>x</script>")
	fe := front(t, proxyTo(t, be.URL+"/x"))
	res, err := http.DefaultClient.Do(withTrailer(t, context.Background(), fe.URL+"/prod/x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if ct, ok := res.Header["Content-Type"]; ok {
		t.Errorf("Content-Type %q, want none (the backend sent none)", ct)
	}

	rest := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = io.WriteString(w, "hello")
		w.(http.Flusher).Flush()
		<-rest
		_, _ = io.WriteString(w, "world")
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-rest:
		default:
			close(rest)
		}
	})
	fe = front(t, proxyTo(t, slow.URL+"/x"))
	req := withTrailer(t, context.Background(), fe.URL+"/prod/x")
	got := make(chan *http.Response, 1)
	go func() {
		if res, err := http.DefaultClient.Do(req); err == nil { //nolint:bodyclose // closed by the receiver
			got <- res
		}
	}()
	select {
	case res := <-got:
		close(rest)
		b, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || string(b) != "helloworld" {
			t.Errorf("body %q, %v", b, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the answer's head waited for the rest of its body")
	}
}

// A request's trailers reach the backend when declared and allowed in a trailer: not the
// forwarding headers, the request id, framing, routing or authentication fields, whatever
// the client declares.
func TestRequestTrailersFiltered(t *testing.T) {
	got := make(chan http.Header, 1)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		got <- r.Trailer
	}))
	t.Cleanup(be.Close)
	fe := front(t, proxyTo(t, be.URL+"/x"))
	c, err := net.Dial("tcp", fe.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "POST /prod/x HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n"+
		"Trailer: X-T, X-Forwarded-For, Host, Authorization, X-Request-Id\r\n\r\n3\r\nabc\r\n0\r\n"+
		"X-T: v\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nHost: evil\r\nAuthorization: x\r\n"+
		"X-Request-Id: client\r\nContent-Length: 5\r\nX-Undeclared: u\r\n\r\n")
	select {
	case tr := <-got:
		if want := (http.Header{"X-T": {"v"}}); !reflect.DeepEqual(tr, want) {
			t.Errorf("the backend's trailers %v, want %v", tr, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the backend got nothing")
	}
}
