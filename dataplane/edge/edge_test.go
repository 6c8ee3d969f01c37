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

package edge_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/internal/httpsyntax"
	"github.com/portico-dev/portico/internal/testkit"
)

func TestValidate(t *testing.T) {
	if err := edge.Defaults().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	l := edge.Defaults()
	l.BodyTimeout, l.MaxHeaderBytes, l.MinBodyRate, l.MaxConnections = -1, 0, -1, -1
	err := l.Validate()
	for _, want := range []string{"--body-timeout", "--max-header-bytes", "--body-min-rate", "--max-connections"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a word on %s", err, want)
		}
	}
	if d := edge.DefaultMaxConnections(); d < 64 || d > 4096 {
		t.Errorf("DefaultMaxConnections() = %d, want within [64, 4096]", d)
	}
}

// TestLimitsOnH1 runs the limits' tests again on the HTTP/1.x engine of the plain listener.
func TestLimitsOnH1(t *testing.T) {
	onH1 = true
	defer func() { onH1 = false }()
	for name, test := range map[string]func(*testing.T){
		"SlowBodyGets408": TestSlowBodyGets408, "SlowBody408KeepsRequestID": TestSlowBody408KeepsRequestID,
		"UnreadSlowBodyIsBounded": TestUnreadSlowBodyIsBounded, "FastAndPausingBodiesAreServed": TestFastAndPausingBodiesAreServed,
		"SlowBodyH2C": TestSlowBodyH2C, "HeaderSize": TestHeaderSize, "SlowHeadersAreClosed": TestSlowHeadersAreClosed,
		"StreamingOutlivesWriteTimeout": TestStreamingOutlivesWriteTimeout, "WriteTimeoutCutsNonReader": TestWriteTimeoutCutsNonReader,
		"ConnectionCap": TestConnectionCap, "LeftDeadlineSparesContinueAndHijack": TestLeftDeadlineSparesContinueAndHijack,
	} {
		t.Run(name, test)
	}
}

// A body trickled a byte at a time gets 408, in the gateway's JSON, once the body deadline
// passes, whatever the handler answers on its failed read; and the connection is closed.
func TestSlowBodyGets408(t *testing.T) {
	l := limits()
	addr := serve(t, l, readAll)
	c := dial(t, addr)
	start := time.Now()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\nContent-Length: 1000\r\n\r\n")
	// Trickle from another goroutine until the server stops reading.
	go func() {
		for i := 0; i < 1000; i++ {
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	res, body := readResponse(t, c)
	took := time.Since(start)
	if res.StatusCode != http.StatusRequestTimeout || body != `{"message":"Request Timeout"}` ||
		res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Portico-Error-Type") != "REQUEST_TIMEOUT" || !res.Close {
		t.Fatalf("slow body: %d %q %v", res.StatusCode, body, res.Header)
	}
	// The body had BodyTimeout plus what its ~10 bytes earned at 1 KiB/s.
	if took < l.BodyTimeout || took > l.BodyTimeout+patience/2 {
		t.Errorf("answered after %s, want about %s", took, l.BodyTimeout)
	}
	waitClosed(t, c)
}

// The request id a handler set survives the 408.
func TestSlowBody408KeepsRequestID(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "id-1")
		w.Header().Set("X-Other", "dropped")
		readAll(w, r)
	})
	addr := serve(t, limits(), h)
	c := dial(t, addr)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	res, _ := readResponse(t, c)
	if res.StatusCode != 408 || res.Header.Get("X-Request-Id") != "id-1" || res.Header.Get("X-Other") != "" {
		t.Errorf("408: %d %v", res.StatusCode, res.Header)
	}
}

// A handler that never reads the body answers, and the unread body cannot hold the
// connection: net/http's read of it after the handler returns is bounded too.
func TestUnreadSlowBodyIsBounded(t *testing.T) {
	l := limits()
	addr := serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	c := dial(t, addr)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
	res, body := readResponse(t, c)
	if res.StatusCode != 200 || body != "ok" {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
	if took := waitClosed(t, c); took > l.BodyTimeout+patience/2 {
		t.Errorf("closed after %s", took)
	}
}

// A large body sent at full speed is served however long the handler takes to read it: a
// handler held back by a slow backend does not use up the client's allowance. A chunked
// body pausing for less than BodyTimeout is served too.
func TestFastAndPausingBodiesAreServed(t *testing.T) {
	l := limits()
	slowReader := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		n := 0
		for {
			k, err := r.Body.Read(buf)
			n += k
			if err == io.EOF {
				break
			}
			if err != nil {
				w.WriteHeader(499)
				return
			}
			time.Sleep(10 * time.Millisecond) // the backend is slow
		}
		_, _ = io.WriteString(w, strconv.Itoa(n))
	})
	addr := serve(t, l, slowReader)
	const size = 4 << 20 // at least 64 reads of 10 ms: longer than BodyTimeout
	start := time.Now()
	res, err := (&http.Client{Timeout: patience}).Post("http://"+addr+"/", "application/octet-stream", bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != strconv.Itoa(size) {
		t.Fatalf("fast large body: %d %q", res.StatusCode, b)
	}
	if took := time.Since(start); took < l.BodyTimeout {
		t.Logf("the upload took %s, less than the body timeout: the test proves less than it should", took)
	}

	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("first "))
		time.Sleep(l.BodyTimeout / 3)
		_, _ = pw.Write([]byte("second"))
		_ = pw.Close()
	}()
	res, err = (&http.Client{Timeout: patience}).Post("http://"+addr+"/", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != "12" {
		t.Errorf("pausing chunked body: %d %q", res.StatusCode, b)
	}
}

// HTTP/2 (h2c) streams get the same body deadline.
func TestSlowBodyH2C(t *testing.T) {
	addr := serve(t, limits(), readAll)
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	pr, pw := io.Pipe()
	defer func() { _ = pw.Close() }()
	go func() { _, _ = pw.Write([]byte("a")) }() // then nothing
	res, err := (&http.Client{Transport: tr, Timeout: patience}).Post("http://"+addr+"/", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	var msg struct{ Message string }
	if res.ProtoMajor != 2 || res.StatusCode != 408 || json.Unmarshal(b, &msg) != nil || msg.Message != "Request Timeout" {
		t.Errorf("h2c slow body: %s %d %q", res.Proto, res.StatusCode, b)
	}
}

// Headers over MaxHeaderBytes get 431 from net/http; headers just under it are served. The
// bound is the limit itself, without net/http's 4 KiB of slack.
func TestHeaderSize(t *testing.T) {
	l := limits()
	addr := serve(t, l, readAll)
	for _, tc := range []struct {
		size int
		want int
	}{
		{l.MaxHeaderBytes - 1024, 200},
		{l.MaxHeaderBytes + 100, 431}, // just over: net/http's own slack would serve it
		{1 << 20, 431},                // the measured attack: a 1 MB header line
	} {
		c := dial(t, addr)
		go func() {
			_, _ = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", tc.size))
		}()
		if res, _ := readResponse(t, c); res.StatusCode != tc.want {
			t.Errorf("%d bytes of headers: %d, want %d", tc.size, res.StatusCode, tc.want)
		}
	}
	if l := edge.Defaults(); l.MaxHeaderBytes != 64<<10 {
		t.Errorf("default MaxHeaderBytes %d, want 64 KiB (API.md)", l.MaxHeaderBytes)
	}
}

// A client that never finishes its headers is disconnected after ReadHeaderTimeout.
func TestSlowHeadersAreClosed(t *testing.T) {
	l := limits()
	l.ReadHeaderTimeout = 300 * time.Millisecond
	addr := serve(t, l, readAll)
	c := dial(t, addr)
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nX-Slow: ")
	if took := waitClosed(t, c); took > patience/2 {
		t.Errorf("closed after %s", took)
	}
}

// A response may stay silent for longer than WriteTimeout between writes: only a write
// blocked on the client counts.
func TestStreamingOutlivesWriteTimeout(t *testing.T) {
	l := limits()
	l.WriteTimeout = 100 * time.Millisecond
	addr := serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i < 3; i++ {
			if i > 0 {
				time.Sleep(3 * l.WriteTimeout)
			}
			fmt.Fprintf(w, "chunk %d\n", i)
			_ = http.NewResponseController(w).Flush()
		}
	}))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: patience}
	var reused bool
	for i := 0; i < 2; i++ {
		// The second request, on the same connection after a pause longer than
		// WriteTimeout, is not cut by the deadlines the first one left.
		if i == 1 {
			time.Sleep(2 * l.WriteTimeout)
		}
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(ci httptrace.GotConnInfo) { reused = ci.Reused },
		}))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || string(b) != "chunk 0\nchunk 1\nchunk 2\n" {
			t.Errorf("request %d streamed %q, %v", i, b, err)
		}
	}
	if !reused {
		t.Error("the second request did not reuse the connection")
	}
}

// A client that stops reading a large response is cut once a write blocks for WriteTimeout.
func TestWriteTimeoutCutsNonReader(t *testing.T) {
	l := limits()
	l.WriteTimeout = 200 * time.Millisecond
	failed := make(chan error, 1)
	addr := serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 64<<10)
		for i := 0; i < 4096; i++ { // 256 MiB: far more than the socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				failed <- err
				return
			}
		}
		failed <- nil
	}))
	c := dial(t, addr)
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-failed:
		if err == nil {
			t.Fatal("256 MiB were written to a client that reads nothing")
		}
	case <-time.After(patience):
		t.Fatal("the write to a client that reads nothing never failed")
	}
}

// Connections over the cap wait; the connections served meanwhile are unaffected; a waiting
// connection is served once a slot frees.
func TestConnectionCap(t *testing.T) {
	l := limits()
	l.MaxConnections = 2
	var served atomic.Int32
	addr := serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	// Two keep-alive connections take both slots, and are served.
	a, b := dial(t, addr), dial(t, addr)
	for _, c := range []net.Conn{a, b} {
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if res, _ := readResponse(t, c); res.StatusCode != 200 {
			t.Fatalf("served connection: %d", res.StatusCode)
		}
	}
	// A third connects (the kernel accepts it into the backlog) but is not served yet.
	third := dial(t, addr)
	fmt.Fprintf(third, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := third.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("a connection over the cap was served: %d bytes, %v", n, err)
	}
	// The served connections keep working.
	fmt.Fprintf(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, _ := readResponse(t, a); res.StatusCode != 200 {
		t.Fatalf("a served connection broke: %d", res.StatusCode)
	}
	// One closes: the third is served.
	_ = b.Close()
	_ = third.SetReadDeadline(time.Now().Add(patience))
	if res, body := readResponse(t, third); res.StatusCode != 200 || body != "ok" {
		t.Fatalf("the waiting connection: %d %q", res.StatusCode, body)
	}
	if n := served.Load(); n != 4 {
		t.Errorf("served %d requests, want 4", n)
	}
}

// The write deadline a response leaves on its connection (HTTP/1.x keeps it between writes)
// does not reach the writes the writer does not make: net/http's 100 Continue and those on a
// hijacked connection, on the next request after a pause longer than WriteTimeout.
// On HTTP/1.x (package h1's server) a kept-alive connection's write deadline is set about
// once, not for each response: a response extends the one the last left only when less
// than the write timeout is left.
func TestWriteDeadlineLeftSetOnH1(t *testing.T) {
	onH1 = true
	defer func() { onH1 = false }()
	l := limits()
	l.WriteTimeout = time.Minute
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl, n := testkit.CountDeadlines(lis)
	addr := serveOn(t, cl, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	c := dial(t, addr)
	br := bufio.NewReader(c)
	const requests = 50
	for range requests {
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, body := readFrom(t, br); body != "ok" {
			t.Fatalf("body %q", body)
		}
	}
	if w := n.Write.Load(); w > 2 {
		t.Errorf("%d write deadlines set for %d requests", w, requests)
	}
}

func TestLeftDeadlineSparesContinueAndHijack(t *testing.T) {
	l := limits()
	l.WriteTimeout = 100 * time.Millisecond
	addr := serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/upload":
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "got %s", b)
		case "/upgrade":
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nhello")
			if err := brw.Flush(); err != nil {
				t.Errorf("write on the hijacked connection: %v", err)
			}
		default:
			_, _ = io.WriteString(w, "first")
		}
	}))
	for _, second := range []string{
		"POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
		"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n",
	} {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readFrom(t, br)
		time.Sleep(3 * l.WriteTimeout) // the deadline the first answer left passes
		fmt.Fprint(c, second)
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%q: %v", second, err)
		}
		switch {
		case strings.Contains(second, "Expect"):
			if !strings.HasPrefix(line, "HTTP/1.1 100") {
				t.Fatalf("no 100 Continue: %q", line)
			}
			_, _ = br.ReadString('\n') // the blank line after 100 Continue
			fmt.Fprint(c, "data")
			if res, body := readFrom(t, br); res.StatusCode != 200 || body != "got data" {
				t.Errorf("upload: %d %q", res.StatusCode, body)
			}
		default:
			rest, _ := io.ReadAll(br)
			if !strings.HasPrefix(line, "HTTP/1.1 101") || !strings.HasSuffix(string(rest), "hello") {
				t.Errorf("upgrade: %q %q", line, rest)
			}
		}
	}
}

// Fields a proxy forwards as they are (httpsyntax.FieldForwarder) go out with the handler's
// answer, and not with the 408 that replaces it when the body timed out.
func TestSlowBody408DropsForwardedFields(t *testing.T) {
	onH1 = true
	defer func() { onH1 = false }()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ff, ok := w.(httpsyntax.FieldForwarder)
		if !ok {
			t.Error("the edge's writer forwards no fields")
			return
		}
		w.Header().Set("X-Request-Id", "id-1")
		l := ff.ForwardFields()
		*l = append(*l, httpsyntax.Field{Name: "X-Forwarded-Field", Values: []string{"backend's"}})
		readAll(w, r)
	})
	addr := serve(t, limits(), h)
	c := dial(t, addr)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
	res, _ := readResponse(t, c)
	if res.StatusCode != 200 || res.Header.Get("X-Forwarded-Field") != "backend's" || res.Header.Get("X-Request-Id") != "id-1" {
		t.Errorf("answer: %d %v", res.StatusCode, res.Header)
	}
	c = dial(t, addr)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	res, _ = readResponse(t, c)
	if res.StatusCode != 408 || res.Header.Get("X-Request-Id") != "id-1" || res.Header.Get("X-Forwarded-Field") != "" {
		t.Errorf("408: %d %v", res.StatusCode, res.Header)
	}
}

// Two listeners with shared slots serve at most the cap between them: a connection to the
// second waits while the first's take the slots, and is served when one closes.
func TestSharedConnectionCap(t *testing.T) {
	slots := edge.NewSlots(2)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	addrs := make([]string, 2)
	for i := range addrs {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		capped := slots.Listener(lis)
		srv := &http.Server{Handler: handler}
		go func() { _ = srv.Serve(capped) }()
		t.Cleanup(func() { _ = srv.Close() })
		addrs[i] = lis.Addr().String()
	}
	get := func(c net.Conn) {
		t.Helper()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if res, _ := readResponse(t, c); res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	a, b := dial(t, addrs[0]), dial(t, addrs[0])
	get(a)
	get(b)
	other := dial(t, addrs[1])
	fmt.Fprintf(other, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	_ = other.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := other.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("the other listener served over the shared cap: %d bytes, %v", n, err)
	}
	_ = a.Close()
	_ = other.SetReadDeadline(time.Now().Add(patience))
	if res, body := readResponse(t, other); res.StatusCode != 200 || body != "ok" {
		t.Fatalf("the waiting connection: %d %q", res.StatusCode, body)
	}
}
