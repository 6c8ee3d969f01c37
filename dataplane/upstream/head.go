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
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// Reading a response's head: the status line and the header lines up to the blank line, in
// one pass over the connection's buffer, each line checked as it is seen, by the rules of
// net/http's reader (http.ReadResponse over textproto.Reader.ReadMIMEHeader), so that what
// is accepted and what comes out are what net/http gives:
//
//   - a line ends at "\n"; one "\r" before it is part of the ending, another is not;
//   - the head ends at the first empty line after the status line;
//   - a header line starting with a space or a tab continues the previous field (obs-fold,
//     joined with one space), and is refused as the first header line;
//   - a field line needs a colon; its name, before the first colon, is token bytes and spaces
//     (a name with a space is kept as it is, not canonicalized); its value has no control
//     byte but the tab;
//   - and, as framingConflict did before net/http parsed: Content-Length or Transfer-Encoding
//     followed by whitespace rather than its colon is refused, and so is a head with both.
//
// What a line holds is recorded as offsets (fields), so that the response is built from one
// string of the whole head, its names and values substrings of it.

var (
	errFraming     = errors.New("upstream: response with both Content-Length and Transfer-Encoding")
	errFramingName = errors.New("upstream: response with whitespace between a Content-Length or Transfer-Encoding name and its colon")
	errFirstFolded = errors.New("upstream: malformed response header: the first line is a continuation")
)

// field is one header line of the head: a field (colon >= 0) or the continuation of the
// field before it (colon < 0). Offsets are into the head, end excludes the line ending.
type field struct {
	start, colon, end int32
	canonical         bool // the name is its own key (canonicalKey's fast case)
}

// headScan is the state of the head's checks, line after line.
type headScan struct {
	fields  []field
	entries int  // fields, continuations excluded
	folded  bool // some field continues on another line
	named   uint8
	plain   bool // no name with a space: every name has a canonical form (canonicalKey)

	// The blocks the connection's response heads and their values are cut from (blocks.go).
	text   []byte
	values []string
	// The connection's last head's lines (seen.go), and what each line of this one's checks
	// found.
	seen  seenHead
	found []lineFound
}

// The fields framing reads, noted in headScan.named as they are seen, so that it looks up
// only those there are.
const (
	hasConnection = 1 << iota
	hasPragma
	hasTrailer
	hasContentLength
	hasTransferEncoding
)

func (s *headScan) reset() {
	s.fields = s.fields[:0]
	s.entries = 0
	s.folded = false
	s.named = 0
	s.plain = true
	s.found = s.found[:0]
}

// readHead reads the next response head from br and returns it: the bytes up to and
// including the blank line, consumed from br. It checks every header line as it comes,
// failing on the first bad one before reading further, as net/http does. On a read error
// it returns the error as is (a timeout stays one), io.ErrUnexpectedEOF for an end of file
// within the head, and io.EOF when not a byte came.
func (s *headScan) readHead(br *bufio.Reader, scratch *[]byte) (string, error) {
	if _, err := br.Peek(1); err != nil {
		return "", err
	}
	// Nearly always the whole head is in the buffer already: check it there and make one
	// string of it.
	b, _ := br.Peek(br.Buffered())
	if n, err := s.scanBuffered(b); err != nil || n > 0 {
		if err != nil {
			return "", err
		}
		head := s.keep(b[:n])
		_, _ = br.Discard(n)
		return head, nil
	}
	return s.readLines(br, scratch)
}

// scanBuffered checks the lines of b, the start of a head, and returns the head's length
// once its blank line is among them, or 0 when b ends first.
func (s *headScan) scanBuffered(b []byte) (int, error) {
	s.reset()
	// The status line is checked when the response is built (or by readLines when the
	// head is not all here).
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return 0, nil
	}
	seen := s.seen.lines
	fresh := false // a line not taken from the last head
	for pos, k := i+1, 0; pos < len(b); k++ {
		j := bytes.IndexByte(b[pos:], '\n')
		if j < 0 {
			return 0, nil
		}
		line := trimEOL(b[pos : pos+j])
		if len(line) == 0 {
			if fresh {
				s.remember(b[i+1:pos], i+1)
			}
			return pos + j + 1, nil
		}
		if k >= len(seen) || !s.again(line, pos, &seen[k]) {
			fresh = true
			if err := s.checkLine(line, pos); err != nil {
				return 0, err
			}
		}
		pos += j + 1
	}
	return 0, nil
}

// readLines reads a head that is not all in br's buffer (longer than it, or not all
// arrived): line by line into scratch, checking each line once it is whole.
func (s *headScan) readLines(br *bufio.Reader, scratch *[]byte) (string, error) {
	s.reset()
	buf := (*scratch)[:0]
	defer func() {
		// Kept for the next long head, unless it is unusually long: an idle connection
		// holds it.
		if cap(buf) <= 2*bufferSize {
			*scratch = buf[:0]
		}
	}()
	start := 0 // of the current line in buf
	for n := 0; ; {
		frag, err := br.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > math.MaxInt32 { // fields hold 32-bit offsets (a budget set that high)
			return "", fmt.Errorf("upstream: response head over %d bytes", math.MaxInt32)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		line := trimEOL(buf[start : len(buf)-1])
		switch {
		case n == 0:
			err = checkStatusLine(line)
		case len(line) == 0:
			return string(buf), nil
		default:
			err = s.line(line, start)
		}
		if err != nil {
			return "", err
		}
		start = len(buf)
		n++
	}
}

// trimEOL removes the "\r" that ended a line with its "\n" (the "\n" is already cut).
func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// line checks one header line, not empty, its ending removed, found at offset off of the
// head, and records it.
func (s *headScan) line(line []byte, off int) error {
	if line[0] == ' ' || line[0] == '\t' {
		if len(s.fields) == 0 {
			return errFirstFolded
		}
		if !httpsyntax.ValidValue(line) {
			return fmt.Errorf("upstream: malformed response header line: %q", line)
		}
		s.folded = true
		s.fields = append(s.fields, field{start: int32(off), colon: -1, end: int32(off + len(line))})
		return nil
	}
	if err := s.framingName(line); err != nil {
		return err
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return fmt.Errorf("upstream: malformed response header line: %q", line)
	}
	// The name's bytes, and whether it is in canonical form (upper case first and after
	// each hyphen, lower case elsewhere, no space) so that it is its own key: each byte's
	// class, masked by what its place refuses, which the byte before it gives (byteClass's
	// high byte). Nothing caught means a canonical name.
	var caught uint8
	refused := lowerByte | spaceByte | notNameByte // the first byte is upper case
	for _, c := range line[:colon] {
		k := byteClass[c]
		caught |= uint8(k) & refused
		refused = uint8(k >> 8)
	}
	if caught&notNameByte != 0 {
		return fmt.Errorf("upstream: malformed response header name: %q", line)
	}
	canonical := caught == 0
	if !httpsyntax.ValidValue(line[colon+1:]) {
		return fmt.Errorf("upstream: malformed response header line: %q", line)
	}
	switch colon {
	case len("connection"):
		if httpsyntax.EqualFoldASCII(line[:colon], "connection") {
			s.named |= hasConnection
		}
	case len("pragma"):
		if httpsyntax.EqualFoldASCII(line[:colon], "pragma") {
			s.named |= hasPragma
		}
	case len("trailer"):
		if httpsyntax.EqualFoldASCII(line[:colon], "trailer") {
			s.named |= hasTrailer
		}
	}
	s.entries++
	if caught&spaceByte != 0 {
		s.plain = false
	}
	s.fields = append(s.fields, field{start: int32(off), colon: int32(off + colon), end: int32(off + len(line)), canonical: canonical})
	return nil
}

// framingName notes a Content-Length or Transfer-Encoding field, any case, and refuses
// either name followed by whitespace before its colon, which RFC 9112 (5.1) says to reject:
// net/http keeps "Content-Length : 2" as a field of another name and reads the body to the
// connection's end where the backend sent a length. Both at once are refused at the head's
// end (framing): RFC 9112 lets a recipient process the Transfer-Encoding and drop the
// length, as net/http does, but that is how a response is smuggled past a proxy, and nginx
// refuses it too.
func (s *headScan) framingName(line []byte) error {
	const cl, te = "content-length", "transfer-encoding"
	if c := line[0] | 0x20; c != 'c' && c != 't' {
		return nil // most names: neither
	}
	var seen uint8
	var name string
	switch {
	case len(line) > len(cl) && isNameEnd(line[len(cl)]) && httpsyntax.EqualFoldASCII(line[:len(cl)], cl):
		seen, name = hasContentLength, cl
	case len(line) > len(te) && isNameEnd(line[len(te)]) && httpsyntax.EqualFoldASCII(line[:len(te)], te):
		seen, name = hasTransferEncoding, te
	default:
		return nil
	}
	if line[len(name)] != ':' {
		return errFramingName
	}
	s.named |= seen
	return nil
}

// isNameEnd reports whether c may end a framing field's name as framingConflict read them:
// its colon, or whitespace that is refused.
func isNameEnd(c byte) bool { return c == ':' || c == ' ' || c == '\t' }

// The classes of a byte in a head, one table lookup per byte: the low byte's bits, and in
// the high byte what a name refuses in the byte after it (upper case after a hyphen, lower
// case after anything else; a space or a byte not of a name anywhere).
const (
	tokenByte   uint8 = 1 << iota // RFC 9110's tchar
	notNameByte                   // not in a name as net/http reads one (tchar or space)
	lowerByte                     // a to z
	upperByte                     // A to Z
	spaceByte                     // a space
)

var byteClass = func() (t [256]uint16) {
	for c := range 256 {
		var k uint8
		switch {
		case 'a' <= c && c <= 'z':
			k = tokenByte | lowerByte
		case 'A' <= c && c <= 'Z':
			k = tokenByte | upperByte
		case '0' <= c && c <= '9', c < 0x80 && bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), byte(c)) >= 0:
			k = tokenByte
		case c == ' ':
			k = spaceByte
		default:
			k = notNameByte
		}
		next := upperByte | spaceByte | notNameByte
		if c == '-' {
			next = lowerByte | spaceByte | notNameByte
		}
		t[c] = uint16(next)<<8 | uint16(k)
	}
	return t
}()
