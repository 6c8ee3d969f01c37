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

package reqctx

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"unsafe"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"

	"github.com/portico-dev/portico/internal/vtl"
)

// The request body is read at most once per request, by the first step that needs its
// content (validation, a mapping template): steps after it, and the integration, use the
// copy kept here instead of reading the client's connection again. A route whose steps never
// look at the body (an HTTP_PROXY route without validation) streams it untouched.

// ErrBodyTooLarge is returned by ReadBody for a body, or a decompressed body, over the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ErrBadEncoding is returned by ReadBody for a Content-Encoding of gzip or deflate whose
// content does not decompress.
var ErrBadEncoding = errors.New("request body does not decompress")

// Body is a request body read into memory.
type Body struct {
	// Raw is the body as the client sent it (still compressed when it was). Read-only: Text
	// shares its memory when the body was not compressed.
	Raw []byte
	// Text is the body after Content-Encoding gzip or deflate is undone: what validation and
	// templates read.
	Text string
	// Decoded is set when Text was decompressed from Raw.
	Decoded bool

	parsed bool
	doc    any
	docErr error

	taped   bool
	tape    *vtl.Tape
	tapeErr error
}

// JSONParsed reports whether JSON has read the body already.
func (b *Body) JSONParsed() bool { return b.parsed }

// TemplateJSON is the body as a mapping template reads it (vtl.Env.JSON): what JSON
// returned when a step before (validation) read the body so, else the body read onto a
// vtl.Tape, once, which costs the template a fraction of building the values JSON makes.
func (b *Body) TemplateJSON() (any, error) {
	if b.parsed || strings.TrimSpace(b.Text) == "" {
		return b.JSON()
	}
	if !b.taped {
		b.taped = true
		b.tape, b.tapeErr = vtl.ParseTape(b.Text)
	}
	if b.tapeErr != nil {
		return nil, b.tapeErr
	}
	return b.tape, nil
}

// release gives the tape back for the next request's body (vtl.Tape.Release).
func (b *Body) release() {
	if b.tape != nil {
		b.tape.Release()
		b.tape, b.taped = nil, false
	}
}

// JSON returns Text read as JSON, as internal/vtl's ParseJSON reads it (an empty body is an
// empty object, as API Gateway reads it). It is parsed once, on first use, and shared by
// every reader of the request: request validation and the request template.
func (b *Body) JSON() (any, error) {
	if !b.parsed {
		b.parsed = true
		if strings.TrimSpace(b.Text) == "" {
			b.doc = vtl.NewMap()
		} else {
			b.doc, b.docErr = vtl.ParseJSON(b.Text)
		}
	}
	return b.doc, b.docErr
}

// ReadBody reads req's body once, bounded by limit (before and after decompression), keeps
// it in r for the steps after, and puts a replayable copy of the raw bytes back as req.Body so
// that a pass-through integration still sends what the client sent. A body over limit, or
// one that decompresses to more (a decompression bomb), fails with ErrBodyTooLarge.
func (r *Request) ReadBody(req *http.Request, limit int64) (*Body, error) {
	if r.body != nil {
		return r.body, nil
	}
	b := &Body{}
	if req.Body != nil && req.Body != http.NoBody {
		raw, err := readAll(req.Body, req.ContentLength, limit)
		_ = req.Body.Close()
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) || r.BodyTooLarge() {
				return nil, ErrBodyTooLarge
			}
			return nil, err
		}
		if int64(len(raw)) > limit {
			r.MarkBodyTooLarge()
			return nil, ErrBodyTooLarge
		}
		b.Raw = raw
	}
	text, decoded, err := Decode(req.Header.Get("Content-Encoding"), b.Raw, limit)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			r.MarkBodyTooLarge()
		}
		return nil, err
	}
	b.Text, b.Decoded = text, decoded
	r.body = b
	r.ReplayBody(req)
	return b, nil
}

// readAll reads r up to limit+1 bytes. A declared length sizes the buffer once, where
// io.ReadAll would grow it from 512 bytes and copy it at each step.
func readAll(r io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	b := make([]byte, 0, length+1) // +1: a body longer than declared shows without a regrowth
	lr := io.LimitReader(r, limit+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as append does
		}
	}
}

// ReadBodyDone returns the body ReadBody read, or nil when no step read it.
func (r *Request) ReadBodyDone() *Body { return r.body }

// ReplayBody sets req.Body to a fresh reader over the raw body read, for a request (or a copy
// of one) about to be sent on. It does nothing when the body was not read.
func (r *Request) ReplayBody(req *http.Request) {
	if r.body == nil {
		return
	}
	req.ContentLength = int64(len(r.body.Raw))
	if len(r.body.Raw) == 0 {
		req.Body = http.NoBody
		return
	}
	raw := r.body.Raw
	req.Body = io.NopCloser(bytes.NewReader(raw))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
}

// Decode undoes a Content-Encoding of gzip or deflate (zlib as RFC 9110 says, or raw deflate
// as some clients send it), bounded by limit, and says whether it did. Other encodings are
// left as they are (the string shares raw's memory then): the caller sees bytes that are not
// JSON and refuses them where it needs JSON. It fails with ErrBadEncoding, or with
// ErrBodyTooLarge for content over limit.
func Decode(encoding string, raw []byte, limit int64) (string, bool, error) {
	var zr io.Reader
	var err error
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "gzip", "x-gzip":
		zr, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		zr, err = zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			zr, err = flate.NewReader(bytes.NewReader(raw)), nil
		}
	default:
		// Text shares Raw's memory (a 4 KB body is not copied a second time): neither is
		// written after ReadBody.
		return unsafe.String(unsafe.SliceData(raw), len(raw)), false, nil
	}
	if len(raw) == 0 {
		return "", true, nil
	}
	if err != nil {
		return "", false, ErrBadEncoding
	}
	var out strings.Builder
	n, err := io.Copy(&out, io.LimitReader(zr, limit+1))
	if err != nil {
		return "", false, ErrBadEncoding
	}
	if n > limit {
		return "", false, ErrBodyTooLarge
	}
	return out.String(), true, nil
}
