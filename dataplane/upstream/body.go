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
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// body is a response body on the lean path, read from the connection's buffer by its
// framing: a length, chunks (net/http's chunked reader, then the trailers as net/http reads
// them) or the connection's end. Read to its end it returns the connection to the pool;
// closed early it closes the connection (nothing else could read the rest).
//
// It is allocated with its response, not kept with the connection for the next one: the
// connection goes back to the pool when the body's end is read, and the caller still holds
// the body then and closes it afterwards (httputil.ReverseProxy closes it twice), which on
// a body reused by the connection's next exchange would end another request's answer. Only
// a caller that says it is done with the response (Release) gives it back for reuse.
type body struct {
	owner    *response // the response it is part of, for Release
	ctx      context.Context
	pc       *persistConn
	res      *http.Response // its Trailer takes the trailers
	chunks   io.Reader      // chunked framing; nil otherwise
	left     int64          // length framing: bytes still to come; -1: up to the connection's end
	reusable bool
	// doneAt is the time the connection went idle, when the whole body was in its buffer
	// as the head was read (the time it was read): finish needs no other reading.
	doneAt time.Time
	state  atomic.Int32
	err    error // what ended the body, set before state says so
}

// The states of a body.
const (
	bodyOpen int32 = iota
	bodyEnded
	bodyClosed
)

func (b *body) Read(p []byte) (int, error) {
	if s := b.state.Load(); s != bodyOpen {
		if s == bodyClosed {
			return 0, http.ErrBodyReadAfterClose
		}
		return 0, b.err
	}
	var n int
	var err error
	switch {
	case b.chunks != nil:
		n, err = b.chunks.Read(p)
		if errors.Is(err, io.EOF) {
			if terr := httpsyntax.ReadTrailer(b.pc.br, &b.res.Trailer); terr != nil {
				err = terr
			}
		}
	case b.left >= 0:
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err = b.pc.br.Read(p)
		b.left -= int64(n)
		switch {
		case errors.Is(err, io.EOF):
			err = io.ErrUnexpectedEOF // the length promised more
		case err == nil && b.left == 0:
			err = io.EOF // with the last bytes, so the connection is reused at once
		}
	default:
		n, err = b.pc.br.Read(p)
	}
	if err != nil {
		err = b.end(err)
	}
	return n, err
}

// end ends the body with err (io.EOF: at its end), returning the connection to the pool or
// closing it, and returns what the caller sees: the context's error for a failure of the
// request's end.
func (b *body) end(err error) error {
	eof := errors.Is(err, io.EOF)
	if !eof {
		err = ctxError(b.ctx, err, b.pc.cancelled.Load())
	}
	b.err = err
	if b.state.CompareAndSwap(bodyOpen, bodyEnded) {
		b.pc.finish(eof && b.reusable, b.doneAt)
	}
	return err
}

// WriteBody writes res's body to w as it arrives, from its connection's buffer, without a
// copy in between, when res is the lean path's with a body of known length, and reports
// handled; for any other body it does nothing. The body ends as read to its end (the
// connection goes back to the pool once its last bytes are written) or, on a read's
// failure, as Read's does; a failed write leaves it open, for the caller to close. err is
// nil at the body's end. What w buffers (an http.Flusher: a server's response) is flushed
// before each wait for the backend, so that a body the backend sends slowly reaches the
// client as it comes, as a proxy's should; a body read whole at once is not flushed here.
func WriteBody(res *http.Response, w io.Writer) (handled bool, err error) {
	r := leanOf(res)
	if r == nil {
		return false, nil
	}
	b := &r.body
	if b.chunks != nil || b.left <= 0 || b.state.Load() != bodyOpen {
		return false, nil
	}
	br := b.pc.br
	for {
		if br.Buffered() == 0 {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if _, err := br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF // the length promised more
				}
				return true, b.end(err)
			}
		}
		p, _ := br.Peek(int(min(int64(br.Buffered()), b.left)))
		n, err := w.Write(p)
		_, _ = br.Discard(n)
		if b.left -= int64(n); b.left == 0 {
			_ = b.end(io.EOF) // all read, whatever became of the write
		}
		switch {
		case err != nil:
			return true, err
		case n < len(p):
			return true, io.ErrShortWrite
		case b.left == 0:
			return true, nil
		}
	}
}

// Buffered returns how many bytes of the answer are read from the connection but not yet
// from the body: when some are, the next Read does not wait for the backend (bar a chunk
// header cut in two).
func (b *body) Buffered() int {
	if b.state.Load() != bodyOpen {
		return 0
	}
	return b.pc.br.Buffered()
}

func (b *body) Close() error {
	if b.state.CompareAndSwap(bodyOpen, bodyClosed) {
		b.pc.finish(false, time.Time{})
	}
	return nil
}
