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
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/clock"
)

// fallback records the requests the lean path left to it.
type fallback struct{ n atomic.Int32 }

func (f *fallback) RoundTrip(*http.Request) (*http.Response, error) {
	f.n.Add(1)
	return &http.Response{StatusCode: http.StatusTeapot, Body: http.NoBody, Header: http.Header{}}, nil
}

// rawBackend is a TCP server whose connections serve runs as it likes: the backend that
// answers what net/http's server never would. It returns the base URL and the number of
// connections accepted.
func rawBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = c.Close() }()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + l.Addr().String(), &accepted
}

// readRequest reads one request (headers and a Content-Length body) from br.
func readRequest(br *bufio.Reader) (*http.Request, []byte, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(req.Body)
	return req, b, err
}

// answerEach answers every request on a connection with resp.
func answerEach(resp string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	}
}

func newTransport(t *testing.T, o Options) (*Transport, *fallback) {
	t.Helper()
	fb := &fallback{}
	if o.Fallback == nil {
		o.Fallback = fb
	}
	tr := New(o)
	t.Cleanup(tr.CloseIdleConnections)
	return tr, fb
}

// roundTripErr sends req and returns only the error, closing any response.
func roundTripErr(tr http.RoundTripper, req *http.Request) error {
	res, err := tr.RoundTrip(req)
	if err == nil {
		_ = res.Body.Close()
	}
	return err
}

// answer is what get read of a response, whose body it closed.
type answer struct {
	StatusCode    int
	ContentLength int64
	Trailer       http.Header
}

func get(t *testing.T, tr http.RoundTripper, url string) (*answer, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return &answer{res.StatusCode, res.ContentLength, res.Trailer}, string(b), err
}

// countingServer starts a server of h that counts the connections it accepted, closed when
// the test ends.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	srv := httptest.NewUnstartedServer(h)
	conns := new(atomic.Int32)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

func TestReusesConnections(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	})
	tr, fb := newTransport(t, Options{})
	for i := range 20 {
		res, body, err := get(t, tr, srv.URL+"/pets")
		if err != nil || res.StatusCode != 200 || body != "ok /pets" {
			t.Fatalf("request %d: %v %v %q", i, err, res, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 20 sequential requests, want 1", n)
	}
	if fb.n.Load() != 0 {
		t.Errorf("fallback took %d requests", fb.n.Load())
	}
}

func TestFallback(t *testing.T) {
	tr, fb := newTransport(t, Options{MaxBufferedBody: 10})
	reqs := map[string]func() *http.Request{
		"https": func() *http.Request { r, _ := http.NewRequest("GET", "https://example.invalid/", nil); return r },
		"upgrade": func() *http.Request {
			r, _ := http.NewRequest("GET", "http://example.invalid/", nil)
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
			return r
		},
		"100-continue": func() *http.Request {
			r, _ := http.NewRequest("POST", "http://example.invalid/", strings.NewReader("abc"))
			r.Header.Set("Expect", "100-continue")
			return r
		},
		"large body": func() *http.Request {
			r, _ := http.NewRequest("POST", "http://example.invalid/", strings.NewReader(strings.Repeat("x", 11)))
			return r
		},
		"streamed body": func() *http.Request {
			r, _ := http.NewRequest("POST", "http://example.invalid/", io.NopCloser(strings.NewReader("abc")))
			r.ContentLength = -1
			return r
		},
		"trailers": func() *http.Request {
			r, _ := http.NewRequest("POST", "http://example.invalid/", strings.NewReader("abc"))
			r.Trailer = http.Header{"X-Sum": nil}
			return r
		},
	}
	for name, mk := range reqs {
		before := fb.n.Load()
		res, err := tr.RoundTrip(mk()) //nolint:bodyclose // the fallback's answer has no body
		if err != nil || res.StatusCode != http.StatusTeapot || fb.n.Load() != before+1 {
			t.Errorf("%s: not sent to the fallback: %v %v", name, res, err)
		}
	}
}

func TestRetriesIdempotentOnStaleConnection(t *testing.T) {
	// The backend answers one request per connection and closes it without saying so: the
	// pooled connection is stale when the next request takes it.
	url, accepted := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	tr, _ := newTransport(t, Options{})
	for i := range 3 {
		if res, body, err := get(t, tr, url); err != nil || res.StatusCode != 200 || body != "ok" {
			t.Fatalf("GET %d: %v %q", i, err, body)
		}
	}
	if n := accepted.Load(); n < 3 {
		t.Errorf("%d connections, want one per request", n)
	}

	// A POST is not sent twice: it fails.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("abc"))
	res, err := tr.RoundTrip(req)
	if err == nil {
		_ = res.Body.Close()
		// The pooled connection may have been noticed closed: only a fresh one answers.
		if n := accepted.Load(); n < 4 {
			t.Errorf("POST answered on a stale connection?")
		}
	}
}

func TestNoRetryOnceAnswerStarted(t *testing.T) {
	var calls atomic.Int32
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		calls.Add(1)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Le") // cut mid-header
	})
	tr, _ := newTransport(t, Options{})
	if _, _, err := get(t, tr, url); err == nil {
		t.Fatal("a response cut in its headers was accepted")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("sent %d times, want 1 (only a connection that answered nothing is retried)", n)
	}
}

// roundTripRaw sends a GET to a backend answering resp, raw, to every request, within 2 s
// (the context returned).
func roundTripRaw(t *testing.T, resp string) (*http.Response, context.Context, error) {
	t.Helper()
	url, _ := rawBackend(t, answerEach(resp))
	tr, _ := newTransport(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	return res, ctx, err
}

func TestResponseSmuggling(t *testing.T) {
	for name, resp := range map[string]string{
		"CL and TE":            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"two Content-Lengths":  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\nok",
		"Content-Length list":  "HTTP/1.1 200 OK\r\nContent-Length: 2, 30\r\n\r\nok",
		"obfuscated TE":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"TE list":              "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"TE with space":        "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"negative length":      "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
		"chunk size overflow":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nok\r\n0\r\n\r\n",
		"chunk size not hex":   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2g\r\nok\r\n0\r\n\r\n",
		"bare LF in chunk ext": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\nx\r\nok\r\n0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			res, _, err := roundTripRaw(t, resp)
			if err == nil {
				b, rerr := io.ReadAll(res.Body)
				_ = res.Body.Close()
				if rerr == nil {
					t.Fatalf("accepted: %d %q", res.StatusCode, b)
				}
			}
		})
	}
}

// A Content-Length or Transfer-Encoding with whitespace before its colon is refused before
// any of the answer is given: net/http keeps such a line as a header of another name and
// reads the body up to the connection's end, which a backend reading its own framing never
// closes, and the client got the status and then a cut body at the route's timeout.
func TestObfuscatedFramingNameRefused(t *testing.T) {
	for name, resp := range map[string]string{
		"CL with space": "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
		"TE with space": "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"CL with tab":   "HTTP/1.1 200 OK\r\nContent-Length\t: 2\r\n\r\nok",
	} {
		t.Run(name, func(t *testing.T) {
			res, ctx, err := roundTripRaw(t, resp)
			if err == nil {
				_ = res.Body.Close()
				t.Fatalf("accepted: %d %v", res.StatusCode, res.Header)
			}
			if ctx.Err() != nil {
				t.Errorf("refused only at the deadline: %v", err)
			}
		})
	}
}

func TestSecondResponseNotReused(t *testing.T) {
	// A backend that answers one request twice: the second answer must not be read as the
	// answer to the next request.
	url, accepted := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"+
				"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
		}
	})
	tr, _ := newTransport(t, Options{})
	for i := range 3 {
		if _, body, err := get(t, tr, url); err != nil || body != "ok" {
			t.Fatalf("request %d: %v %q", i, err, body)
		}
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3: a connection with bytes past its answer is closed", n)
	}
}

func TestRequestAsSent(t *testing.T) {
	got := make(chan string, 1)
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		var sb strings.Builder
		tp := textproto.NewReader(br)
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			sb.WriteString(line + "\n")
			if line == "" {
				break
			}
		}
		body := make([]byte, 3)
		_, _ = io.ReadFull(br, body)
		sb.Write(body)
		got <- sb.String()
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
	})
	tr, _ := newTransport(t, Options{})
	req, _ := http.NewRequest(http.MethodPost, url+"/a?b=c", strings.NewReader("abc"))
	req.Header.Set("X-One", "1")
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 204 {
		t.Fatalf("status %d", res.StatusCode)
	}
	s := <-got
	if !strings.HasPrefix(s, "POST /a?b=c HTTP/1.1\n") || strings.Count(s, "Content-Length: 3\n") != 1 ||
		strings.Contains(s, "Transfer-Encoding") || !strings.Contains(s, "X-One: 1\n") || !strings.HasSuffix(s, "\nabc") {
		t.Errorf("sent:\n%s", s)
	}

	// Header values that would split the request are refused before anything is sent.
	for _, h := range []http.Header{
		{"X-Evil": {"a\r\nContent-Length: 0"}},
		{"X-Evil\r\nTransfer-Encoding": {"chunked"}},
		{"Bad Name": {"x"}},
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header = h
		if err := roundTripErr(tr, req); err == nil {
			t.Errorf("sent %v", h)
		}
	}
}

func TestTrailersAndChunked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "part1")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part2")
		w.Header().Set("X-Sum", "42")
	}))
	defer srv.Close()
	tr, _ := newTransport(t, Options{})
	for range 2 {
		res, body, err := get(t, tr, srv.URL)
		if err != nil || body != "part1part2" || res.Trailer.Get("X-Sum") != "42" {
			t.Fatalf("%v %q %v", err, body, res.Trailer)
		}
	}
}

func TestLargeBodyStreams(t *testing.T) {
	const size = 8 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range size / len(chunk) {
			_, _ = w.Write(chunk)
		}
	}))
	defer srv.Close()
	tr, _ := newTransport(t, Options{})
	res, body, err := get(t, tr, srv.URL)
	if err != nil || len(body) != size || res.ContentLength != -1 {
		t.Fatalf("%v %d", err, len(body))
	}
}

func TestEarlyCloseClosesConnection(t *testing.T) {
	url, accepted := rawBackend(t, answerEach("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"))
	tr, _ := newTransport(t, Options{})
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadFull(res.Body, make([]byte, 3))
		_ = res.Body.Close()
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a body closed unread closes its connection", n)
	}
}

func TestTimeouts(t *testing.T) {
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, br) // never answers
	})
	t.Run("context deadline", func(t *testing.T) {
		tr, _ := newTransport(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err := roundTripErr(tr, req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want the deadline", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		tr, _ := newTransport(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		time.AfterFunc(50*time.Millisecond, cancel)
		if err := roundTripErr(tr, req); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want cancelled", err)
		}
	})
	t.Run("response header timeout", func(t *testing.T) {
		tr, _ := newTransport(t, Options{ResponseHeaderTimeout: 50 * time.Millisecond})
		if _, _, err := get(t, tr, url); !errors.Is(err, errHeaderTimeout) {
			t.Errorf("err %v, want the header timeout", err)
		}
	})
	t.Run("connect", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		tr, _ := newTransport(t, Options{})
		_, _, err = get(t, tr, "http://"+addr)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			t.Errorf("err %v, want a dial error (the proxy ejects the endpoint on it)", err)
		}
	})
}

func TestCancelWhileReadingBody(t *testing.T) {
	url, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234")
		_, _ = io.Copy(io.Discard, br) // never finishes the body
	})
	tr, _ := newTransport(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := io.ReadAll(res.Body); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want cancelled", err)
	}
	_ = res.Body.Close()
}

func TestHeaderLimit(t *testing.T) {
	url, _ := rawBackend(t, answerEach("HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", 8<<10)+"\r\nContent-Length: 0\r\n\r\n"))
	tr, _ := newTransport(t, Options{MaxResponseHeaderBytes: 4 << 10})
	if _, _, err := get(t, tr, url); err == nil || !strings.Contains(err.Error(), "exceeded") {
		t.Errorf("err %v, want the header limit", err)
	}
}

func TestInformationalResponses(t *testing.T) {
	url, _ := rawBackend(t, answerEach("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"+
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	tr, _ := newTransport(t, Options{})
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, h.Get("Link"))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	_ = res.Body.Close()
	if len(hints) != 1 || hints[0] != "</a.css>" {
		t.Errorf("1xx seen: %v", hints)
	}
}

func TestIdleTimeoutAndSweep(t *testing.T) {
	srv, conns := countingServer(t, func(http.ResponseWriter, *http.Request) {})
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tr, _ := newTransport(t, Options{IdleTimeout: time.Hour, Now: clock})
	if _, _, err := get(t, tr, srv.URL); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, _, err := get(t, tr, srv.URL); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: one idle past the timeout is not used", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	tr.sweep()
	if tr.pools.Size() != 0 {
		t.Error("a pool with nothing idle left after the sweep")
	}
}

// With the real clock, the transport takes a caller's reading (Hints.Start) as the time now for
// its pool: a reading an idle timeout after the connection went idle finds it too old. A
// zero reading, or a transport on a clock of its own, reads the clock.
func TestStartServesAsNow(t *testing.T) {
	srv, conns := countingServer(t, func(http.ResponseWriter, *http.Request) {})
	tr, _ := newTransport(t, Options{IdleTimeout: time.Minute})
	send := func(start time.Time) {
		t.Helper()
		ctx := context.WithValue(context.Background(), HintsKey{}, &Hints{Start: start})
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := roundTripErr(tr, req); err != nil {
			t.Fatal(err)
		}
	}
	send(time.Time{})
	send(time.Time{})
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for two requests read on the clock, want 1", n)
	}
	send(time.Now().Add(2 * time.Minute))
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a reading past the idle timeout finds the idle one too old", n)
	}

	// A clock of the transport's own is not the caller's: its reading is ignored.
	own, _ := newTransport(t, Options{IdleTimeout: time.Minute, Now: time.Now})
	tr = own
	send(time.Time{})
	send(time.Now().Add(2 * time.Minute))
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3: a transport on its own clock reuses its idle one", n)
	}
}

// The time the head was read is the caller's (ReadAt) on the real clock, and the time its
// connection went idle when the whole body came with the head; a body still to come, or a
// clock of the transport's own, reads the clock again.
func TestReadAtServesAsIdleSince(t *testing.T) {
	rest := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.Header().Set("Content-Length", "2")
			_, _ = io.WriteString(w, "o")
			w.(http.Flusher).Flush()
			<-rest // the body's rest comes once the head was read: not in the buffer with it
			_, _ = io.WriteString(w, "k")
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	send := func(tr *Transport, path string) (time.Time, bool, time.Time) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if path == "/slow" {
			close(rest)
		}
		at, ok := ReadAt(res)
		if b, err := io.ReadAll(res.Body); err != nil || string(b) != "ok" {
			t.Fatalf("body %q, %v", b, err)
		}
		_ = res.Body.Close()
		Release(res)
		p := tr.pool(req.URL)
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.idle) != 1 {
			t.Fatalf("%d idle connections, want 1", len(p.idle))
		}
		return at, ok, p.idle[0].idleSince
	}
	tr, _ := newTransport(t, Options{})
	before := clock.Now()
	at, ok, idle := send(tr, "/")
	if !ok || at.Before(before) || time.Since(at) < 0 {
		t.Fatalf("ReadAt %v, %v; want a reading after %v", at, ok, before)
	}
	if !idle.Equal(at) {
		t.Errorf("idle since %v, want the head's reading %v: the body came with it", idle, at)
	}
	at, _, idle = send(tr, "/slow")
	if !idle.After(at) {
		t.Errorf("idle since %v, the head's reading %v: want a reading after the body's rest", idle, at)
	}

	fixed := time.Unix(1000, 0)
	own, _ := newTransport(t, Options{Now: func() time.Time { return fixed }})
	if _, ok, idle := send(own, "/"); ok || !idle.Equal(fixed) {
		t.Errorf("on a clock of its own: ReadAt ok %v (want false), idle since %v (want %v)", ok, idle, fixed)
	}
}
