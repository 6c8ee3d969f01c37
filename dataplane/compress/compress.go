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

// Package compress is the response compression step: with the API's
// minimumCompressionSize set, a response body of at least that many bytes is compressed
// with gzip or deflate, as the client's Accept-Encoding and its q-values choose, unless the
// response already has a Content-Encoding (never twice). Responses that may be compressed
// say Vary: Accept-Encoding. The body is held back only until the threshold is reached,
// then streamed through the compressor, so large and streamed bodies stay streamed; a
// Flush of part of the body before the threshold sends the response as it is (a Flush of the
// headers alone waits for the body, unless it is server-sent events).
//
// (Request bodies sent with Content-Encoding gzip or deflate are decompressed, bounded,
// where they are read: reqctx.ReadBody.)
package compress

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"

	"github.com/portico-dev/portico/dataplane/proxy"
)

// NewStep returns the compression step. It is the outermost step, so that whatever
// answers (the cache, the integration, a gateway response) is compressed alike, and the cache
// keeps bodies as the integration made them.
func NewStep() proxy.Step {
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		min := rt.API.MinimumCompressionSize
		if min == nil {
			return next, nil
		}
		return &handler{min: int(*min), next: next}, nil
	}
}

type handler struct {
	min  int
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	enc := Negotiate(r.Header.Values("Accept-Encoding"))
	if enc == Identity {
		addVary(w.Header())
		h.next.ServeHTTP(w, r)
		return
	}
	cw := &writer{w: w, enc: enc, min: h.min, head: r.Method == http.MethodHead}
	h.next.ServeHTTP(cw, r)
	// Not deferred: a handler that panics (an aborted stream) must not get a tail written.
	cw.finish()
}

func addVary(h http.Header) {
	for _, v := range h.Values("Vary") {
		for part := range strings.SplitSeq(v, ",") {
			if t := strings.TrimSpace(part); strings.EqualFold(t, "Accept-Encoding") || t == "*" {
				return
			}
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

type state uint8

const (
	undecided state = iota
	plain           // passing through as is
	compressing
)

// writer holds the body back until it knows whether to compress.
type writer struct {
	w      http.ResponseWriter
	enc    Encoding
	min    int
	status int
	head   bool // a HEAD request's answer: its head only, as GET's would be
	header bool // WriteHeader was called
	state  state
	buf    []byte
	zw     resetWriter
}

type resetWriter interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

var (
	gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression); return w }}
	zlibPool = sync.Pool{New: func() any { w, _ := zlib.NewWriterLevel(io.Discard, zlib.DefaultCompression); return w }}
)

func (c *writer) Header() http.Header { return c.w.Header() }

func (c *writer) Unwrap() http.ResponseWriter { return c.w }

func (c *writer) WriteHeader(code int) {
	if c.header || c.state != undecided {
		return
	}
	if code >= 100 && code < 200 {
		c.w.WriteHeader(code) // informational: pass on, the final one follows
		return
	}
	c.header, c.status = true, code
	h := c.w.Header()
	if h.Get("Content-Encoding") != "" {
		c.pass() // already encoded: never twice
		return
	}
	addVary(h)
	// A range's Content-Range counts the bytes as they are: compressed, they would not
	// match it, and a client joining ranges would get a corrupt body.
	// Cache-Control: no-transform forbids a proxy to change the content (RFC 9110, 7.7), and
	// a coding added on the way is a change.
	if code == http.StatusNoContent || code == http.StatusNotModified || h.Get("Content-Range") != "" || noTransform(h) {
		c.pass()
		return
	}
	n, err := strconv.Atoi(h.Get("Content-Length"))
	switch {
	case err != nil:
		// No length: the body decides. A HEAD answer's is the one its handler writes (a
		// MOCK's, which the server drops), as GET's; with none, its head stays as it is.
	case n < c.min:
		c.pass()
	case c.head:
		// The head GET's answer would have (RFC 9110 9.3.2): its body would be encoded.
		h.Del("Content-Length")
		h.Set("Content-Encoding", c.enc.String())
		c.pass()
	}
}

// noTransform reports whether the response's Cache-Control says no-transform.
func noTransform(h http.Header) bool {
	for _, v := range h["Cache-Control"] {
		for d := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-transform") {
				return true
			}
		}
	}
	return false
}

// pass sends the status and what was held back, uncompressed, and everything after as is.
func (c *writer) pass() {
	c.state = plain
	c.w.WriteHeader(c.status)
	if len(c.buf) > 0 {
		_, _ = c.w.Write(c.buf)
		c.buf = nil
	}
}

func (c *writer) start() error {
	c.state = compressing
	h := c.w.Header()
	h.Del("Content-Length")
	h.Set("Content-Encoding", c.enc.String())
	if c.enc == Gzip {
		c.zw = gzipPool.Get().(*gzip.Writer)
	} else {
		c.zw = zlibPool.Get().(*zlib.Writer)
	}
	c.zw.Reset(c.w)
	c.w.WriteHeader(c.status)
	buf := c.buf
	c.buf = nil
	_, err := c.zw.Write(buf)
	return err
}

func (c *writer) Write(p []byte) (int, error) {
	if !c.header && c.state == undecided {
		c.WriteHeader(http.StatusOK)
	}
	switch c.state {
	case plain:
		return c.w.Write(p)
	case compressing:
		return c.zw.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= c.min {
		if err := c.start(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush sends what is held back: a stream flushed before the threshold goes uncompressed.
// A flush before any byte of the body (a backend of unknown length gets its headers
// flushed before its first read) decides nothing and waits for the body, unless the
// response is server-sent events, whose headers the client waits for.
func (c *writer) Flush() {
	switch c.state {
	case undecided:
		if !c.header {
			c.WriteHeader(http.StatusOK)
		}
		if c.state == undecided && len(c.buf) == 0 && !isEventStream(c.w.Header().Get("Content-Type")) {
			return
		}
		if c.state == undecided {
			c.pass()
		}
	case compressing:
		_ = c.zw.Flush()
	}
	if f, ok := c.w.(http.Flusher); ok {
		f.Flush()
	}
}

func isEventStream(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// finish ends the response: a body that stayed under the threshold goes as it is, a
// compressed one is closed and its compressor pooled.
func (c *writer) finish() {
	switch c.state {
	case undecided:
		if !c.header {
			if len(c.buf) == 0 {
				return // nothing written: net/http answers 200 with no body
			}
			c.WriteHeader(http.StatusOK)
		}
		if c.state == undecided {
			c.pass()
		}
	case compressing:
		_ = c.zw.Close()
		c.zw.Reset(io.Discard)
		if c.enc == Gzip {
			gzipPool.Put(c.zw)
		} else {
			zlibPool.Put(c.zw)
		}
		c.zw = nil
	}
}
