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

package httpsyntax

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/textproto"
)

// ErrTrailerEOF is net/http's error, by its text, for input that ends within a trailer.
var ErrTrailerEOF = errors.New("http: unexpected EOF reading trailer")

// ErrLongTrailer is net/http's error, by its text, for a trailer that does not end within
// the reader's buffer.
var ErrLongTrailer = errors.New("http: suspiciously long trailer after chunked body")

// ReadTrailer reads what follows a chunked body's last chunk from br, by net/http's rules:
// commonly just the CRLF; else a header block, which must end within br's buffer (a bound on
// its size, so that a peer cannot send trailers without end), read by textproto as net/http
// reads it and merged into *trailer (trailers are rare: no fast path).
func ReadTrailer(br *bufio.Reader, trailer *http.Header) error {
	buf, err := br.Peek(2)
	switch {
	case string(buf) == "\r\n":
		_, _ = br.Discard(2)
		return nil
	case len(buf) < 2:
		return ErrTrailerEOF
	case err != nil:
		return err
	}
	if !endsInBuffer(br) {
		return ErrLongTrailer
	}
	hdr, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		if err == io.EOF { //nolint:errorlint // textproto returns io.EOF unwrapped
			return ErrTrailerEOF
		}
		return err
	}
	if *trailer == nil {
		*trailer = http.Header(hdr)
	} else {
		maps.Copy(*trailer, http.Header(hdr))
	}
	return nil
}

// endsInBuffer peeks ever further, until br's buffer is full or its input ends, for a CRLF
// CRLF at the end of what it peeked.
func endsInBuffer(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}
