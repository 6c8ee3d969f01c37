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
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	leanhttp "github.com/portico-dev/portico/dataplane/upstream"
	"github.com/portico-dev/portico/internal/testkit"
)

// stallingBackend reads each request's headers and then answers with head (nothing if
// empty) and never more, keeping the connection open until the test ends.
func stallingBackend(t *testing.T, head string) string {
	t.Helper()
	done := make(chan struct{})
	addr := testkit.ServeTCP(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, head)
		<-done
	})
	t.Cleanup(func() { close(done) })
	return "http://" + addr + "/x"
}

// The route's timeout holds on the lean path, whose context arms no timer (deadlineCtx: the
// connection's deadline bounds the exchange), and on the paths the transport hands to
// net/http, which need a context that ends at the deadline (a body larger than the lean
// path buffers, Expect: 100-continue): each a 504 within the timeout and a margin, or an
// answer cut there when the headers came in time.
func TestRouteTimeoutOnEveryPath(t *testing.T) {
	const timeout = 300 * time.Millisecond
	big := strings.Repeat("x", 100<<10) // over the lean path's 64 KiB
	for _, tc := range []struct {
		name, head, body string
		header           http.Header
		lean             bool
		wantStatus       int
	}{
		{name: "lean, no answer", lean: true, wantStatus: 504},
		{name: "lean, headers then a stalled body", head: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", lean: true, wantStatus: 200},
		{name: "net/http, large body", body: big, wantStatus: 504},
		{name: "net/http, 100-continue", body: "hello", header: http.Header{"Expect": {"100-continue"}}, wantStatus: 504},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uri := stallingBackend(t, tc.head)
			built, _, err := NewShared(Shared{}).Build(Spec{Integration: &xdsv1alpha1.Integration{
				Type: TypeHTTPProxy, Uri: uri, TimeoutMillis: int32(timeout / time.Millisecond)}})
			if err != nil {
				t.Fatal(err)
			}
			h := built.(*httpIntegration)
			method := "GET"
			var body io.Reader
			if tc.body != "" {
				method, body = "POST", strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(method, "http://gw.example/prod/x", body)
			for k, v := range tc.header {
				r.Header[k] = v
			}
			rc := &reqctx.Request{ID: "rid", Stage: "prod"}
			r = r.WithContext(reqctx.With(context.Background(), rc))
			out := r.Clone(r.Context())
			out.URL, _ = out.URL.Parse(uri)
			out.Header, _ = forwardHeader(r, rc, nil, nil)
			if got := enforcesDeadline(h.shared.Transport, out); got != tc.lean {
				t.Fatalf("the transport enforces the deadline itself: %v, want %v", got, tc.lean)
			}
			w := httptest.NewRecorder()
			start := time.Now()
			served := make(chan struct{})
			go func() { h.ServeHTTP(w, r); close(served) }()
			select {
			case <-served:
			case <-time.After(timeout + testkit.WaitTimeout):
				t.Fatalf("no answer after %v: the route's timeout did not hold", time.Since(start))
			}
			took := time.Since(start)
			if w.Code != tc.wantStatus {
				t.Errorf("status %d %q, want %d", w.Code, w.Body, tc.wantStatus)
			}
			if tc.wantStatus == 200 && w.Body.String() != "01234" {
				t.Errorf("body %q, want what came before the deadline", w.Body)
			}
			if took < timeout || took > timeout+testkit.WaitTimeout {
				t.Errorf("took %v, want the route's %v", took, timeout)
			}
		})
	}
}

// A deadlineCtx has the earlier of its deadline and its parent's, an Err that turns at it
// without waiting on anything, and its parent's cancellation.
func TestDeadlineCtx(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := &deadlineCtx{Context: parent, deadline: time.Now().Add(time.Hour)}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Errorf("deadline %v %v", d, ok)
	}
	if c.Err() != nil {
		t.Errorf("err %v before the deadline", c.Err())
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("err %v, want the parent's", c.Err())
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed with the parent")
	}

	early, cancelEarly := context.WithTimeout(context.Background(), time.Minute)
	defer cancelEarly()
	c = &deadlineCtx{Context: early, deadline: time.Now().Add(time.Hour)}
	if d, _ := c.Deadline(); time.Until(d) > time.Minute {
		t.Errorf("deadline %v, want the parent's earlier one", d)
	}
	c = &deadlineCtx{Context: context.Background(), deadline: time.Now().Add(-time.Millisecond)}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("err %v past the deadline", c.Err())
	}
}

// The integration's start is the reading the deadline was counted from when the clock is the
// real one, and the deadline context hands it to the transport (upstream.Hints.Start); cleared (after a
// failed dial), or with a clock of the caller's, the clock is read.
func TestStartSharedWithDeadline(t *testing.T) {
	long := time.Now().Add(-time.Hour)
	d := &deadlineCtx{Context: context.Background(), deadline: long.Add(time.Minute), hints: leanhttp.Hints{Start: long}}
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(d)
	if got := NewShared(Shared{}).start(req); !got.Equal(long) {
		t.Errorf("start %v, want the deadline's reading %v", got, long)
	}
	if got, _ := d.Value(leanhttp.HintsKey{}).(*leanhttp.Hints); got == nil || !got.Start.Equal(long) {
		t.Errorf("the hints' start is %v, want %v", got, long)
	}
	fixed := time.Unix(1000, 0)
	if got := NewShared(Shared{Now: func() time.Time { return fixed }}).start(req); !got.Equal(fixed) {
		t.Errorf("with an injected clock start is %v, want its %v", got, fixed)
	}
	d.hints.Start = time.Time{}
	if got := NewShared(Shared{}).start(req); time.Since(got) > time.Minute {
		t.Errorf("a cleared reading gave %v, not the clock's", got)
	}
}
