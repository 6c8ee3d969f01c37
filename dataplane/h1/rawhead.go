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

package h1

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// The request's head as the client sent it. net/http's reader canonicalizes header names
// and, for a request with both a Content-Length and a Transfer-Encoding, keeps no trace of
// the length; a proxy wants both: payload 1.0 events carry names as clients spell them, and
// a request with both lengths is refused (request smuggling, see package rawheader). The
// fast path has the head at hand, as the string its names and values are cut from; a head
// left to http.ReadRequest is recorded as it is read (headTap).

// RequestHead returns the head of the request ctx belongs to, as its client sent it: the
// request line, the header lines and the blank line that ends them. bothLengths reports
// whether the request's framing is faulty (faultyFraming): both a Content-Length and a
// Transfer-Encoding, or a Transfer-Encoding in HTTP/1.0. ok is false for a context not of this server's requests.
func RequestHead(ctx context.Context) (head string, bothLengths, ok bool) {
	c := requestContextOf(ctx)
	if c == nil {
		return "", false, false
	}
	return c.head.text, c.head.bothLengths, true
}

// Received returns when the request ctx belongs to came: the time the server read as its
// first byte came, for a handler that would read the clock as it starts (a read of the wall
// clock costs 70 to 90 ns on a VM's kvm-clock). ok is false for a context not of this server's requests.
func Received(ctx context.Context) (t time.Time, ok bool) {
	c := requestContextOf(ctx)
	if c == nil || c.received.IsZero() {
		return time.Time{}, false
	}
	return c.received, true
}

// KeepRequest tells the server that the handler of the request ctx belongs to, or something
// it started, may use the request after the handler returns (its *http.Request, URL, header
// map or values): the connection then reuses none of them for its next request, as it
// otherwise does. Call it before the handler returns; it does nothing for a context not of
// this server's requests.
func KeepRequest(ctx context.Context) {
	if c := requestContextOf(ctx); c != nil {
		c.kept.Store(true)
	}
}

// headKey finds the requestContext under the contexts derived from it.
type headKey struct{}

// requestContextOf is the server's context of the request ctx belongs to, or nil.
func requestContextOf(ctx context.Context) *requestContext {
	if ctx == nil {
		return nil
	}
	if c, ok := ctx.(*requestContext); ok {
		return c
	}
	c, _ := ctx.Value(headKey{}).(*requestContext)
	return c
}

// headTap records what a connection reads while http.ReadRequest reads a head the fast path
// did not take (split over reads, or longer than the buffer). Started with the bytes
// already buffered, what it records begins with the head.
type headTap struct {
	on  bool
	buf []byte
}

func (t *headTap) start(buffered []byte) {
	t.on = true
	t.buf = append([]byte(nil), buffered...)
}

// stop ends the record and returns it. The connection keeps no buffer for the next one: a
// head read this way is rare, and an idle connection should hold little.
func (t *headTap) stop() []byte {
	b := t.buf
	t.on, t.buf = false, nil
	return b
}

func (t *headTap) record(p []byte) {
	if t.on {
		t.buf = append(t.buf, p...)
	}
}

// rawHeadOf is the head at the start of b, a request http.ReadRequest accepted; http10 is
// the request's version being 1.0. The framing names are told by their exact bytes before
// the colon, in any case, as the fast path's keys are.
func rawHeadOf(b []byte, http10 bool) rawHead {
	n, _ := headLen(b)
	if n == 0 {
		return rawHead{names: allNames}
	}
	text := string(b[:n])
	var cl, te bool
	for name := range HeadNames(text) {
		switch len(name) {
		case len("content-length"):
			cl = cl || httpsyntax.EqualFoldASCII(name, "content-length")
		case len("transfer-encoding"):
			te = te || httpsyntax.EqualFoldASCII(name, "transfer-encoding")
		}
	}
	return rawHead{text: text, bothLengths: faultyFraming(cl, te, http10), names: allNames}
}

// faultyFraming is whether a request's framing fields are how requests are smuggled, to be
// refused with 400 and the connection closed: both a Content-Length and a Transfer-Encoding,
// or a Transfer-Encoding in HTTP/1.0, which RFC 9112 (6.1) has a server treat as faulty
// framing, Content-Length or not (net/http would ignore it and go by the length, where a
// balancer in front may have gone by the chunks; nginx refuses it too).
func faultyFraming(cl, te, http10 bool) bool {
	return te && (cl || http10)
}

// HeadNames yields the names of a head's header lines (RequestHead's), as sent: each line's
// bytes before its colon, past the request line, continuation lines aside.
func HeadNames(head string) iter.Seq[string] {
	return func(yield func(string) bool) {
		_, fields, _ := strings.Cut(head, "\n")
		for line := range strings.Lines(fields) {
			if line[0] == ' ' || line[0] == '\t' {
				continue // a continuation
			}
			if name, _, ok := strings.Cut(line, ":"); ok && !yield(name) {
				return
			}
		}
	}
}
