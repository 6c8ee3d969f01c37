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

package h1_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/h1"
	"github.com/portico-dev/portico/internal/testkit"
)

func TestHijack(t *testing.T) {
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
		_ = rw.Flush()
		line, _ := rw.ReadString('\n')
		_, _ = rw.WriteString("echo " + line)
		_ = rw.Flush()
	}))
	c := dial(t, addr)
	// The first bytes after the request arrive with it: the hijacker gets them buffered.
	c.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: upgrade\r\n\r\nhel")
	if head := c.head(); head != "HTTP/1.1 101 Switching Protocols\r\n\r\n" {
		t.Fatalf("%q", head)
	}
	c.send("lo\n")
	if got := c.rest(); got != "echo hello\n" {
		t.Errorf("%q", got)
	}
}

func TestPanics(t *testing.T) {
	var logs testkit.Buffer
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		panic("boom")
	}), func(s *h1.Server) { s.ErrorLog = log.New(&logs, "", 0) })
	for _, path := range []string{"/abort", "/boom"} {
		c := dial(t, addr)
		c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if got := c.rest(); got != "" {
			t.Errorf("%s: %q", path, got)
		}
	}
	if got := logs.String(); strings.Count(got, "panic serving") != 1 || !strings.Contains(got, "boom") {
		t.Errorf("log: %q", got)
	}
}

func TestFlushAndTrailers(t *testing.T) {
	release := make(chan struct{})
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "first")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Error(err)
		}
		<-release
		_, _ = io.WriteString(w, "second")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	}))
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	first := make([]byte, 5)
	if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "first" {
		t.Fatalf("before the handler ended: %q %v", first, err)
	}
	close(release)
	rest, _ := io.ReadAll(res.Body)
	if string(rest) != "second" || res.Trailer.Get("X-Sum") != "42" || res.Trailer.Get("X-Late") != "yes" {
		t.Errorf("%q, trailers %v", rest, res.Trailer)
	}
}

func TestConnHooks(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	var states []http.ConnState
	closed := make(chan struct{})
	_, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(key{}) != "conn" || r.Context().Value(http.LocalAddrContextKey) == nil {
			t.Error("the request's context is not the connection's")
		}
		_, _ = io.WriteString(w, "ok")
	}), func(s *h1.Server) {
		s.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return context.WithValue(ctx, key{}, "conn") }
		s.ConnState = func(_ net.Conn, st http.ConnState) {
			mu.Lock()
			states = append(states, st)
			mu.Unlock()
			if st == http.StateClosed {
				close(closed)
			}
		}
	})
	c := dial(t, addr)
	// Pipelined: each request is Active once, whether read off the wire or buffered.
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	c.read("GET")
	c.read("GET")
	<-closed
	mu.Lock()
	defer mu.Unlock()
	want := []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateClosed}
	if !slices.Equal(states, want) {
		t.Errorf("%v, want %v", states, want)
	}
}

func TestShutdownWaitsForActiveRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv, addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	}))
	idle := dial(t, addr)
	idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	idle.read("GET")
	active := dial(t, addr)
	active.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	if !idle.closed(2 * time.Second) {
		t.Error("Shutdown left an idle connection open")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned with a request active: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts")
	}
	close(release)
	if res, body := active.read("GET"); body != "ok" || !res.Close {
		t.Errorf("%q close %v", body, res.Close)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}

	// A Shutdown whose context ends first returns its error.
	started2, release2 := make(chan struct{}), make(chan struct{})
	defer close(release2)
	srv2, addr2 := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(started2); <-release2 }))
	dial(t, addr2).send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started2
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv2.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestClientDepartureCancelsRequest(t *testing.T) {
	cancelled := make(chan time.Duration, 1)
	_, addr := serve(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		start := time.Now()
		select {
		case <-r.Context().Done():
			cancelled <- time.Since(start)
		case <-time.After(5 * time.Second):
			cancelled <- -1
		}
	}))
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", // unread: watched only once read
	} {
		c := dial(t, addr)
		c.send(req)
		time.Sleep(20 * time.Millisecond)
		_ = c.c.Close()
		d := <-cancelled
		if strings.HasPrefix(req, "GET") && (d < 0 || d > h1.ClientWatchDelay+time.Second) {
			t.Errorf("a departed client's request ran for %v", d)
		}
		if strings.HasPrefix(req, "POST") && d >= 0 {
			t.Errorf("a request whose body was not read was cancelled after %v", d)
		}
	}
	// A client that sends its next request early (pipelining) is not taken for gone.
	_, addr = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
				t.Error("the request was cancelled")
			case <-time.After(3 * h1.ClientWatchDelay):
			}
		}
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	c := dial(t, addr)
	c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(2 * h1.ClientWatchDelay)
	c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"/slow", "/next"} {
		if _, body := c.read("GET"); body != want {
			t.Fatalf("%q, want %q", body, want)
		}
	}
}

func TestH2CHandoff(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	_, addr := serve(t, h, func(s *h1.Server) { s.H2C = &http.Server{Handler: h, Protocols: &protocols} })
	var client http.Protocols
	client.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &client}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(b) != "HTTP/2.0" {
		t.Errorf("%q", b)
	}
	// Without an H2C server, the preface is refused.
	_, addr = serve(t, h)
	c := dial(t, addr)
	c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	if got, _ := bufio.NewReader(strings.NewReader(c.rest())).ReadString('\n'); !strings.HasPrefix(got, "HTTP/1.1 505") {
		t.Errorf("%q", got)
	}
}
