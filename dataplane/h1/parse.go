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
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// readRequest reads a request's head from br, as http.ReadRequest does, for less work:
// net/http's parser was about a quarter of a small request's instructions (a string per
// header line, a textproto.Reader, canonical keys looked up in a map, the target through
// the general URL parser).
//
// The fast path takes a head that is wholly in br's buffer, which is where a client's
// request almost always is after one read: the head becomes one string, names and values
// its substrings. Anything else goes to http.ReadRequest itself, on the same bytes (the
// fast path only peeks): a head still arriving (so that a malformed one is refused as soon
// as net/http would, and the connection's read limit, the 431, is met the same way), a
// head longer than the buffer, and every head the fast path would refuse (so that the
// error, and the status it maps to, are net/http's own). The fast path must therefore
// never accept what net/http refuses, nor read a request differently; FuzzParseRequest
// holds it to that.
//
// valid reports that every header name and value is known to be valid (check's loop is
// then skipped).
func readRequest(br *bufio.Reader) (req *http.Request, valid bool, err error) {
	req, _, valid, err = readRequestInto(br, nil, nil, nil)
	return req, valid, err
}

// rawHead is a request's head as its client sent it (request line, header lines and the
// blank line), whether it named both a Content-Length and a Transfer-Encoding, and the kinds
// of name it has.
type rawHead struct {
	text        string
	bothLengths bool
	// names has bit 1<<kind set for each kind of name the head has (head.has), all bits
	// when the head was not read by parse: the server looks up in the header map only the
	// names it may hold, since a lookup in a map that holds any field hashes the name.
	names uint16
}

// mayHave reports whether the request may have a field of kind k.
func (r *rawHead) mayHave(k keyKind) bool { return r.names&(1<<k) != 0 }

// allNames is rawHead.names for a head whose names were not sorted by kind.
const allNames = ^uint16(0)

// readRequestInto is readRequest, filling reuse (empty) as the request's header map when
// the head is read by parse: the connection's map of its last request; and spare, when not
// nil and cleared, as its other memory (the request is then &spare.req). It also returns the
// head as sent: on the fast path the string its names and values are cut from; otherwise
// what tap, when not nil, recorded of the bytes http.ReadRequest read.
func readRequestInto(br *bufio.Reader, reuse http.Header, spare *requestAlloc, tap *headTap) (req *http.Request, raw rawHead, valid bool, err error) {
	if br.Buffered() == 0 {
		// As http.ReadRequest would: wait for the first bytes, and return the read's
		// error as it is (io.EOF for a client that left between requests).
		if _, err := br.Peek(1); err != nil {
			return nil, raw, false, err
		}
	}
	buf, _ := br.Peek(br.Buffered())
	if len(buf) < br.Size() && bytes.IndexByte(buf, '\n') < 0 {
		// Not even the request line is here: a connection's first bytes, which the HTTP/2
		// preface check reads no further than, or a request cut short by the network.
		// http.ReadRequest would wait for more before it could tell anything; so does this,
		// once, so that the fast path may have the whole head. An error is left for
		// http.ReadRequest to meet, as it would have. buf is taken again either way: a fill
		// may move the buffered bytes to the buffer's start.
		_, _ = br.Peek(len(buf) + 1)
		buf, _ = br.Peek(br.Buffered())
	}
	var ends lineEnds
	if n, fields := scanHead(buf, &ends); n > 0 {
		p := head{reuse: reuse, alloc: spare}
		text := string(buf[:n])
		if p.parse(text, fields, &ends) {
			_, _ = br.Discard(n)
			req = p.request(br)
			te := p.has&(1<<keyTransferEncoding) != 0
			raw = rawHead{text: text, bothLengths: faultyFraming(p.has&(1<<keyContentLength) != 0, te, p.major == 1 && p.minor == 0), names: p.has}
			return req, raw, !p.badName, nil
		}
	}
	if spare != nil {
		*spare = requestAlloc{} // parse may have begun filling it
	}
	raw.names = allNames
	if tap == nil {
		req, err = http.ReadRequest(br)
		return req, raw, false, err
	}
	tap.start(buf)
	req, err = http.ReadRequest(br)
	recorded := tap.stop()
	if err == nil {
		raw = rawHeadOf(recorded, req.ProtoMajor == 1 && req.ProtoMinor == 0)
	}
	return req, raw, false, err
}

// headLen is the length of the head at the start of buf, through the blank line that ends
// it, or 0 if buf does not hold it all; and how many header fields it has (its lines but
// the first and continuations), to size the header map. Lines end at LF (a CR before it
// is dropped, as bufio.Reader.ReadLine does), and the first line is the request line
// whatever it holds.
func headLen(buf []byte) (n, fields int) {
	return scanHead(buf, nil)
}

// maxLines is how many lines' ends scanHead records: a request line, 14 header lines and
// the blank line. A longer head is cut line by line again.
const maxLines = 16

// lineEnds is where scanHead found a head's lines to end, for parse to cut them there
// rather than look for each LF again.
type lineEnds struct {
	at [maxLines]int32 // the index of each line's LF, the request line's first
	// usable: the head's lines all fit at, and none continues another (obs-fold, which
	// parse joins on its own).
	usable bool
}

// scanHead is headLen, recording in ends, when not nil, where the head's lines end: parse
// then looks for no LF again (a bearer token's line was searched twice, 140 instructions of
// a JWT request's head; 35 of a head of two lines).
func scanHead(buf []byte, ends *lineEnds) (n, fields int) {
	i := indexLF(buf, 0)
	if i < 0 {
		return 0, 0
	}
	lines, folded := 1, false
	if ends != nil {
		ends.at[0] = int32(i)
	}
	for s := i + 1; s < len(buf); {
		switch buf[s] {
		case '\n', '\r':
			lf := s
			if buf[s] == '\r' {
				lf++
			}
			if lf < len(buf) && buf[lf] == '\n' { // the blank line
				if ends != nil && lines < maxLines {
					ends.at[lines] = int32(lf)
					ends.usable = !folded
				}
				return lf + 1, fields
			}
		case ' ', '\t':
			fields-- // a continuation
			folded = true
		}
		fields++
		j := indexLF(buf, s)
		if j < 0 {
			return 0, 0
		}
		if ends != nil && lines < maxLines {
			ends.at[lines] = int32(j)
		}
		lines++
		s = j + 1
	}
	return 0, 0
}

func indexLF(b []byte, from int) int {
	i := bytes.IndexByte(b[from:], '\n')
	if i < 0 {
		return -1
	}
	return from + i
}

// head is a request's head read by parse, before its body is framed.
type head struct {
	method, target, proto string
	major, minor          int
	url                   *url.URL
	header                http.Header
	reuse                 http.Header   // an empty map to fill rather than make one
	alloc                 *requestAlloc // a cleared one to fill, or nil for a new one
	length                int64         // the body's: -1 chunked
	chunked               bool
	// badName: a header name has a space before its colon. textproto accepts it (and does
	// not canonicalize it), and check refuses it, after the checks that come first.
	badName bool
	// has: the kinds of name present (1<<keyKind), so that the rules on the framing and
	// connection fields look up only the fields that are there.
	has uint16
	// The Host fields, kept out of the header: http.ReadRequest drops it (for req.Host).
	hosts int
	host  string
	buf   [16]field // backs the fields, while they are not in the map yet
}

type field struct{ key, value string }

// requestAlloc holds what a request needs besides its header map, in one allocation.
type requestAlloc struct {
	req  http.Request
	url  url.URL
	vals [8]string // the first values of the first keys
}

// parse parses a whole head (s, fields and its lines' ends as scanHead found them; nil ends:
// parse finds each line's end itself): the request line, the header fields, and net/http's
// rules on them; false for anything http.ReadRequest would refuse (and for what the fast
// path leaves to it).
func (p *head) parse(s string, fields int, ends *lineEnds) bool {
	if ends != nil && !ends.usable {
		ends = nil
	}
	var i int
	if ends != nil {
		i = int(ends.at[0])
	} else {
		i = strings.IndexByte(s, '\n')
	}
	line := trimCR(s[:i])
	rest := s[i+1:]

	// The request line: method, target and version split at the first two spaces (the
	// version takes whatever follows, spaces included, and must then be well formed).
	sp1 := strings.IndexByte(line, ' ')
	if sp1 < 0 {
		return false
	}
	sp2 := strings.IndexByte(line[sp1+1:], ' ')
	if sp2 < 0 {
		return false
	}
	p.method, p.target, p.proto = line[:sp1], line[sp1+1:sp1+1+sp2], line[sp1+2+sp2:]
	if !isToken(p.method) {
		return false
	}
	var ok bool
	if p.major, p.minor, ok = http.ParseHTTPVersion(p.proto); !ok {
		return false
	}
	if p.alloc == nil {
		p.alloc = new(requestAlloc)
	}
	if p.url, ok = parseTarget(p.method, p.target, &p.alloc.url); !ok {
		return false
	}

	// The header fields. textproto refuses a first line that starts with a space or tab;
	// later ones are continuations (obs-fold) of the field before.
	if rest[0] == ' ' || rest[0] == '\t' {
		return false
	}
	list := p.buf[:0]
	for k := 1; ; k++ {
		if ends != nil {
			i = int(ends.at[k]) - (len(s) - len(rest))
		} else {
			i = strings.IndexByte(rest, '\n')
		}
		line, rest = trimCR(rest[:i]), rest[i+1:]
		if line == "" {
			break
		}
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return false
		}
		// Only spaces and tabs are trimmed (not the CR a value may hold, which makes it
		// invalid); the name cannot start with either, so only its value loses any.
		kv := httpsyntax.TrimOWS(line)
		if rest[0] == ' ' || rest[0] == '\t' {
			kv, rest = unfold(kv, rest)
		}
		key, kind := canonicalKey(kv[:colon])
		v := kv[colon+1:]
		if kind == keyInvalid || !httpsyntax.ValidValue(v) {
			return false
		}
		v = trimLeftOWS(v) // not the right: a folded value keeps the space its fold ends in
		p.has |= 1 << kind
		switch kind {
		case keySpace:
			p.badName = true
		case keyHost:
			if p.hosts++; p.hosts > 1 {
				return false // http.ReadRequest refuses a second Host
			}
			p.host = v
			continue
		}
		list = append(list, field{key, v})
	}
	p.header = p.headerOf(list, fields)
	return p.fields()
}

// headerOf is the fields as a header map, of size hint: each name's values in the order
// they came.
func (p *head) headerOf(list []field, hint int) http.Header {
	h := p.reuse
	if h == nil {
		h = make(http.Header, hint)
	}
	vals := p.alloc.vals[:]
	for i, f := range list {
		if repeated(h, list, i) {
			h[f.key] = append(h[f.key], f.value)
		} else if len(vals) > 0 {
			// Most fields are single: each first value is a one-element slice of one
			// array, capped so that a second value does not write into the next one's.
			vals[0] = f.value
			h[f.key], vals = vals[:1:1], vals[1:]
		} else {
			h[f.key] = []string{f.value}
		}
	}
	return h
}

// repeated reports whether list[i]'s name came before it: compared with each before it in
// a short list (cheaper than the map's lookup), looked up in h in a long one.
func repeated(h http.Header, list []field, i int) bool {
	if len(list) > 16 {
		_, ok := h[list[i].key]
		return ok
	}
	for _, f := range list[:i] {
		if f.key == list[i].key {
			return true
		}
	}
	return false
}

// unfold joins the continuation lines at the start of rest to kv, as textproto does: each
// adds a space and its text without the spaces and tabs around it. It returns the joined
// field and what follows it.
func unfold(kv, rest string) (string, string) {
	var b strings.Builder
	b.WriteString(kv)
	for rest[0] == ' ' || rest[0] == '\t' {
		i := strings.IndexByte(rest, '\n')
		b.WriteByte(' ')
		b.WriteString(httpsyntax.TrimOWS(trimCR(rest[:i])))
		rest = rest[i+1:]
	}
	return b.String(), rest
}

// fields applies what http.ReadRequest does with the header fields before the body's
// framing: the request's Host, Pragma: no-cache, and Close.
func (p *head) fields() bool {
	if p.has&(1<<keyPragma) != 0 && p.has&(1<<keyCacheControl) == 0 && p.header["Pragma"][0] == "no-cache" {
		p.header["Cache-Control"] = []string{"no-cache"}
	}
	req := &p.alloc.req
	req.Host = p.url.Host
	if req.Host == "" {
		req.Host = p.host
	}
	if p.has&(1<<keyConnection) != 0 {
		req.Close = shouldClose(p.major, p.minor, p.header)
	} else {
		req.Close = p.major < 1 || p.major == 1 && p.minor == 0
	}
	return p.frame(req)
}

// shouldClose is net/http's rule for a request: HTTP/1.0 keeps the connection only when
// asked to, later versions unless asked not to, and anything older never does.
func shouldClose(major, minor int, h http.Header) bool {
	if major < 1 {
		return true
	}
	conn := h["Connection"]
	hasClose := httpguts.HeaderValuesContainsToken(conn, "close")
	if major == 1 && minor == 0 {
		return hasClose || !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	}
	return hasClose
}

// parseTarget is the request target's URL, as http.ReadRequest reads it. An origin-form
// target ("/path?query") whose path needs no unescaping nor RawPath is read here into u;
// the others (escapes, absolute-form, "*", CONNECT's authority-form) by url.ParseRequestURI.
func parseTarget(method, target string, u *url.URL) (*url.URL, bool) {
	if len(target) > 0 && target[0] == '/' {
		q := len(target)
		for i := 0; i < len(target); i++ {
			c := target[i]
			if c == '?' {
				q = i
				break
			}
			if !pathByte[c] {
				return slowTarget(method, target)
			}
		}
		for i := q + 1; i < len(target); i++ {
			if c := target[i]; c < ' ' || c == 0x7f {
				return nil, false // url.ParseRequestURI refuses control bytes
			}
		}
		u.Path = target[:q]
		switch {
		case q == len(target)-1:
			// A lone "?" at the end: an empty query, kept.
			u.ForceQuery = true
		case q < len(target):
			u.RawQuery = target[q+1:]
		}
		return u, true
	}
	return slowTarget(method, target)
}

// slowTarget is http.ReadRequest's reading of a target: CONNECT's authority-form
// ("host:port") read as the authority of an http URL whose scheme is then dropped.
func slowTarget(method, target string) (*url.URL, bool) {
	authority := method == http.MethodConnect && !strings.HasPrefix(target, "/")
	raw := target
	if authority {
		raw = "http://" + target
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, false
	}
	if authority {
		u.Scheme = ""
	}
	return u, true
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

// trimLeftOWS removes the spaces and tabs before s.
func trimLeftOWS(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}
