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
)

// The framing check the lean path ran before http.ReadResponse until the response reader
// of head.go replaced both, kept as the fuzz test's reference (framingConflict, its line
// check now framingOfLines, and hasFieldName are as they were in conn.go), and referenceFraming, which says where it looked
// at other bytes than the head's.

// framingConflict looks at the response headers buffered in br, before net/http parses them,
// for a Content-Length next to a Transfer-Encoding: RFC 9112 lets a recipient process the
// Transfer-Encoding and drop the length (net/http does), but such a response is how a
// response is smuggled past a proxy, and nginx refuses it as Portico does. It also refuses
// either name followed by whitespace before its colon, which RFC 9112 (5.1) says to reject:
// net/http keeps "Content-Length : 2" as a header of another name and reads the body to the
// connection's end, where the backend sent a length. checked is false when the headers' end
// is not buffered yet; err is errFraming or errFramingName.
func framingConflict(br *bufio.Reader) (checked bool, err error) {
	b, _ := br.Peek(br.Buffered())
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if lf := bytes.Index(b, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		end = lf
	}
	if end < 0 {
		return false, nil
	}
	return true, framingOfLines(b[:end])
}

// framingOfLines is framingConflict's check of the lines of head: errFramingName for either
// name followed by whitespace, errFraming for both names, nil otherwise.
func framingOfLines(head []byte) error {
	var cl, te bool
	for _, line := range bytes.SplitAfter(head, []byte("\n")) {
		var colon bool
		switch {
		case hasFieldName(line, "content-length", &colon):
			cl = true
		case hasFieldName(line, "transfer-encoding", &colon):
			te = true
		default:
			continue
		}
		if !colon {
			return errFramingName
		}
	}
	if cl && te {
		return errFraming
	}
	return nil
}

// hasFieldName reports whether line starts with the header field name, any case, followed
// by a colon (colon set) or whitespace (net/http refuses a tab, and keeps a space as part
// of another name).
func hasFieldName(line []byte, name string, colon *bool) bool {
	if len(line) <= len(name) {
		return false
	}
	// The byte after the name first: most lines fail there, without a case-folding compare.
	c := line[len(name)]
	if (c != ':' && c != ' ' && c != '\t') || !bytes.EqualFold(line[:len(name)], []byte(name)) {
		return false
	}
	*colon = c == ':'
	return true
}

// referenceFraming is framingConflict where it looked at the head's lines, and the same
// check over the head's lines where it did not (why says so): where the head is longer than
// what was buffered (framingConflict then checked nothing, and roundTrip let a
// Transfer-Encoding frame the answer on a connection not reused), or where its last line
// ends in a bare "\n" before a "\r\n" (framingConflict, looking for "\r\n\r\n" or "\n\n",
// then read on into the body, or checked nothing). The response reader always checks the
// head's lines, which are in rest (the stream from the head on).
func referenceFraming(br *bufio.Reader, rest []byte) (checked bool, why string, err error) {
	checked, err = framingConflict(br)
	end := headEnd(rest)
	if end < 0 {
		return checked, "", err // an incomplete head, refused either way
	}
	b, _ := br.Peek(br.Buffered())
	crlf := bytes.Index(b, []byte("\r\n\r\n"))
	lf := bytes.Index(b, []byte("\n\n"))
	if checked && (crlf >= 0 && crlf+4 == end && (lf < 0 || crlf < lf) || lf >= 0 && lf+2 == end && (crlf < 0 || lf < crlf)) {
		return checked, "", err
	}
	why = "framingConflict read past the head"
	if !checked {
		why = "framingConflict did not see the head's end"
	}
	return true, why, framingOfLines(rest[:end])
}

// headEnd returns the length of the head at the start of b as net/http reads it (up to the
// first empty line after the status line, "\n" or "\r\n"), or -1 when b holds no end.
func headEnd(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	for i >= 0 {
		next := b[i+1:]
		switch {
		case len(next) >= 1 && next[0] == '\n':
			return i + 2
		case len(next) >= 2 && next[0] == '\r' && next[1] == '\n':
			return i + 3
		}
		j := bytes.IndexByte(next, '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	return -1
}
