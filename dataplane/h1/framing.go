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
	"bufio"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// frame decides how the request's body is delimited, by net/http's rules (its readTransfer
// for a request), and reports false where http.ReadRequest refuses the request. These are
// the request-smuggling defences: Transfer-Encoding must be exactly one "chunked" (any
// other, or a list, is refused; HTTP/1.0 ignores it), several Content-Lengths must agree,
// a Content-Length must be a plain decimal, and chunked wins over Content-Length, which is
// dropped.
func (p *head) frame(req *http.Request) bool {
	h := p.header
	if p.has&(1<<keyTransferEncoding) != 0 {
		te := h["Transfer-Encoding"]
		delete(h, "Transfer-Encoding")
		// net/http reads a version of 0.0 as 1.1 here.
		if p.major > 1 || p.major == 1 && p.minor >= 1 || p.major == 0 && p.minor == 0 {
			if len(te) != 1 || !httpsyntax.EqualFoldASCII(te[0], "chunked") {
				return false
			}
			p.chunked = true
		}
	}
	var cl []string
	if p.has&(1<<keyContentLength) != 0 {
		cl = h["Content-Length"]
	}
	if len(cl) > 1 {
		// Repeats of one value are kept as one, trimmed; different values are refused.
		first := textproto.TrimString(cl[0])
		for _, v := range cl[1:] {
			if textproto.TrimString(v) != first {
				return false
			}
		}
		cl = []string{first}
		h["Content-Length"] = cl
	}
	if len(cl) > 0 {
		// An empty value is refused (unless GODEBUG=httplaxcontentlength=1, which is left
		// to net/http: the fast path refuses it too).
		v := textproto.TrimString(cl[0])
		n, err := strconv.ParseUint(v, 10, 63)
		if v == "" || err != nil {
			return false
		}
		p.length = int64(n)
	}
	if p.chunked {
		delete(h, "Content-Length")
		p.length = -1
		if p.has&(1<<keyTrailer) != 0 {
			vv := h["Trailer"]
			delete(h, "Trailer")
			var ok bool
			if req.Trailer, ok = declaredTrailer(vv); !ok {
				return false
			}
		}
	}
	return true
}

// declaredTrailer is the Trailer header's names, canonical, each with no value yet; the
// framing fields may not be trailers.
func declaredTrailer(vv []string) (http.Header, bool) {
	trailer := make(http.Header)
	for _, v := range vv {
		for f := range strings.SplitSeq(v, ",") {
			if f = textproto.TrimString(f); f == "" {
				continue
			}
			k := http.CanonicalHeaderKey(f)
			switch k {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return nil, false
			}
			trailer[k] = nil
		}
	}
	if len(trailer) == 0 {
		return nil, true
	}
	return trailer, true
}

// request is the parsed head as the *http.Request that http.ReadRequest returns, its body
// read from br.
func (p *head) request(br *bufio.Reader) *http.Request {
	req := &p.alloc.req
	req.Method = p.method
	req.URL = p.url
	req.Proto, req.ProtoMajor, req.ProtoMinor = p.proto, p.major, p.minor
	req.Header = p.header
	req.RequestURI = p.target
	req.ContentLength = p.length
	switch {
	case p.chunked:
		req.TransferEncoding = []string{"chunked"}
		req.Body = &chunkedBody{src: httputil.NewChunkedReader(br), br: br, req: req}
	case p.length > 0:
		req.Body = &lengthBody{br: br, n: p.length}
	default:
		req.Body = http.NoBody
	}
	if p.method == "PRI" && len(p.header) == 0 && p.hosts == 0 && p.url.Path == "*" && p.proto == "HTTP/2.0" {
		// HTTP/2's preface read as a request: net/http gives it no length and closes
		// after it, so that a handler may take the connection over. (It looks before it
		// drops Host from the header, which the header here never had.)
		req.ContentLength = -1
		req.Close = true
	}
	return req
}

// lengthBody is a body of a declared length: net/http's body over an io.LimitedReader.
// Ending early is io.ErrUnexpectedEOF, and the last bytes come with io.EOF.
type lengthBody struct {
	br     *bufio.Reader
	n      int64 // bytes left
	sawEOF bool
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.sawEOF || b.n <= 0 {
		b.sawEOF = true
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	switch {
	case err == io.EOF:
		b.sawEOF = true
		if b.n > 0 {
			err = io.ErrUnexpectedEOF
		}
	case err == nil && n > 0 && b.n == 0:
		b.sawEOF = true
		err = io.EOF
	}
	return n, err
}

// Close is a no-op: the server's body wrapper reads or drops the rest.
func (b *lengthBody) Close() error { return nil }

// chunkedBody is a chunked body (net/http's own chunked reader), then its trailer, merged
// into the request's Trailer as net/http does.
type chunkedBody struct {
	src    io.Reader
	br     *bufio.Reader
	req    *http.Request
	sawEOF bool
	closed bool // the trailer was malformed: no further read may succeed
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.sawEOF {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	if err == io.EOF { //nolint:errorlint // the chunked reader returns io.EOF unwrapped
		b.sawEOF = true
		if terr := httpsyntax.ReadTrailer(b.br, &b.req.Trailer); terr != nil {
			err = terr
			b.sawEOF = false
			b.closed = true
		}
	}
	return n, err
}

// Close is a no-op: the server's body wrapper reads or drops the rest.
func (b *chunkedBody) Close() error { return nil }
