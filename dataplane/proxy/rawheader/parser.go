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

package rawheader

import "bytes"

// parser follows the HTTP/1.x request framing of a connection's bytes as net/http frames
// it (request line, header block, Content-Length or chunked body and trailers) and emits a
// block per header block. It reads each byte at most once and buffers only the names, a
// Content-Length or Transfer-Encoding value, and the request line's digest. Whatever
// net/http would refuse, or it does not follow, makes it dead: net/http closes such a
// connection, and a dead parser gives no hints.
type parser struct {
	dead bool
	st   state
	// framingOnly keeps no names for the blocks: only the current line's name, to tell a
	// Content-Length or Transfer-Encoding split by a read (see Conn).
	framingOnly bool

	// The request line: spaces seen, the digest of "METHOD target", the protocol.
	spaces int
	sum    uint64
	proto  [8]byte
	protoN int
	http10 bool // net/http ignores Transfer-Encoding on HTTP/1.0 requests

	// The header block.
	names     []byte // names kept, one per line
	overflow  bool   // names over maxNamesBytes: the block gets none
	nameLen   int
	field     field // what the current line's field is
	value     [maxValue]byte
	valueN    int
	valueOver bool
	cr        bool // a '\r' starts the line
	inTrailer bool

	hasCL   bool
	badCL   bool // a Content-Length that does not parse: net/http ignores it beside a Transfer-Encoding
	cl      uint64
	te      int // Transfer-Encoding fields
	chunked bool

	remaining uint64 // body or chunk bytes to skip
	digits    int
	chunk     uint64
}

type state uint8

const (
	sRequestLine state = iota
	sLineStart
	sName
	sValue
	sSkipLine
	sBody
	sChunkSize
	sChunkExt
	sChunkData
	sChunkCR
	sChunkLF
)

type field uint8

const (
	fieldOther field = iota
	fieldContentLength
	fieldTransferEncoding
)

func (p *parser) feed(b []byte, emit func(block)) {
	if p.sum == 0 {
		p.reset()
	}
	for i := 0; i < len(b) && !p.dead; {
		switch p.st {
		case sBody, sChunkData:
			n := uint64(len(b) - i)
			if n > p.remaining {
				n = p.remaining
			}
			i += int(n)
			p.remaining -= n
			if p.remaining == 0 {
				if p.st == sBody {
					p.reset()
				} else {
					p.st = sChunkCR
				}
			}
			continue
		case sSkipLine, sChunkExt:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return
			}
			i += j + 1
			if p.st == sChunkExt {
				p.chunkLine()
			} else {
				p.st, p.cr = sLineStart, false
			}
			continue
		case sValue:
			if p.field == fieldOther {
				p.st = sSkipLine
				continue
			}
		case sName:
			// A name ends at ':'; a line end before it is a line net/http refuses.
			rest := b[i:]
			j := bytes.IndexByte(rest, ':')
			if j < 0 {
				j = len(rest)
			}
			if bytes.IndexByte(rest[:j], '\n') >= 0 {
				p.dead = true
				return
			}
			p.nameBytes(rest[:j])
			i += j
			if j < len(rest) {
				p.endName(rest[:j])
				i++
			}
			continue
		case sLineStart:
			if c := b[i]; !p.cr && !p.inTrailer && c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				// A name starts: read it whole above.
				p.st, p.nameLen, p.field = sName, 0, fieldOther
				continue
			}
		case sRequestLine:
			rest := b[i:]
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				j = len(rest)
			}
			p.requestLineBytes(rest[:j])
			i += j
			if j < len(rest) && !p.dead {
				p.endRequestLine()
				i++
			}
			continue
		}
		p.byte(b[i], emit)
		i++
	}
}

// reset starts a new request. The names buffer is kept for the next request unless a large
// header block grew it: an idle connection holds little.
func (p *parser) reset() {
	names := p.names[:0]
	if cap(names) > keptNamesBytes {
		names = nil
	}
	*p = parser{names: names, sum: fnvOffset, framingOnly: p.framingOnly}
}

func (p *parser) byte(c byte, emit func(block)) {
	switch p.st {
	case sLineStart:
		switch {
		case c == '\r' && !p.cr:
			p.cr = true
		case c == '\n':
			if p.inTrailer {
				p.reset()
			} else {
				p.endBlock(emit)
			}
		case p.cr:
			p.dead = true
		case c == ' ' || c == '\t':
			// A continuation line: it belongs to the previous field's value, which
			// is only followed for Content-Length and Transfer-Encoding.
			if p.field != fieldOther {
				p.dead = true
			}
			p.st = sSkipLine
		case p.inTrailer:
			p.st = sSkipLine
		default:
			p.dead = true // unreachable: feed starts names
		}
	case sValue:
		if c == '\n' {
			p.endValue()
			return
		}
		if p.valueN == len(p.value) {
			p.valueOver = true
			return
		}
		p.value[p.valueN] = c
		p.valueN++
	case sChunkSize:
		switch c {
		case '\n':
			if p.digits == 0 {
				p.dead = true
				return
			}
			p.chunkLine()
		case ';', ' ', '\t', '\r':
			if p.digits == 0 {
				p.dead = true
				return
			}
			p.st = sChunkExt
		default:
			v, ok := hexValue(c)
			if !ok || p.digits == maxHexDigits {
				p.dead = true
				return
			}
			p.chunk = p.chunk<<4 | v
			p.digits++
		}
	case sChunkCR:
		switch c {
		case '\r':
			p.st = sChunkLF
		case '\n':
			p.st, p.digits, p.chunk = sChunkSize, 0, 0
		default:
			p.dead = true
		}
	case sChunkLF:
		if c != '\n' {
			p.dead = true
			return
		}
		p.st, p.digits, p.chunk = sChunkSize, 0, 0
	}
}

func (p *parser) endRequestLine() {
	proto := string(p.proto[:p.protoN])
	if p.spaces != 2 || len(proto) != len("HTTP/1.1") || proto[:len("HTTP/1.")] != "HTTP/1." {
		// HTTP/2 with prior knowledge ("PRI * HTTP/2.0"), or what net/http refuses.
		p.dead = true
		return
	}
	p.http10 = proto == "HTTP/1.0"
	p.st, p.cr = sLineStart, false
}

// requestLineBytes reads part of a request line (without its '\n'): "METHOD target" into
// the digest, the protocol after the second space.
func (p *parser) requestLineBytes(seg []byte) {
	for _, c := range seg {
		if p.spaces >= 2 {
			if c == '\r' {
				continue
			}
			if p.protoN == len(p.proto) {
				p.dead = true // not HTTP/1.x
				return
			}
			p.proto[p.protoN] = c
			p.protoN++
			continue
		}
		if c == ' ' {
			p.spaces++
			if p.spaces == 2 {
				continue
			}
		}
		p.sum = (p.sum ^ uint64(c)) * fnvPrime
	}
}

// nameBytes reads part of a header name.
func (p *parser) nameBytes(s []byte) {
	p.nameLen += len(s)
	if p.overflow {
		return
	}
	if len(p.names)+len(s) >= maxNamesBytes {
		p.overflow = true
		return
	}
	p.names = append(p.names, s...)
}

// endName ends a header name whose last part (all of it, unless a read split it) is last.
func (p *parser) endName(last []byte) {
	if p.nameLen == len("content-length") || p.nameLen == len("transfer-encoding") {
		name := last
		if len(last) != p.nameLen {
			if p.overflow {
				// Split by a read, and not kept: it cannot be told apart.
				p.dead = true
				return
			}
			name = p.names[len(p.names)-p.nameLen:]
		}
		switch {
		case bytes.EqualFold(name, []byte("content-length")):
			p.field = fieldContentLength
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			p.field = fieldTransferEncoding
		}
	}
	switch {
	case p.framingOnly:
		p.names = p.names[:0] // the name was only needed until now
	case !p.overflow:
		p.names = append(p.names, '\n')
	}
	p.st, p.valueN, p.valueOver = sValue, 0, false
}

func (p *parser) endValue() {
	p.st, p.cr = sLineStart, false
	v := bytes.Trim(p.value[:p.valueN], " \t\r")
	switch p.field {
	case fieldContentLength:
		n, ok := parseLength(v)
		switch {
		case p.hasCL && (!ok || p.valueOver || p.badCL || n != p.cl):
			p.dead = true // net/http refuses differing lengths, with or without a Transfer-Encoding
		case !ok || p.valueOver:
			p.hasCL, p.badCL = true, true // refused at the block's end unless a Transfer-Encoding overrides it
		default:
			p.hasCL, p.cl = true, n
		}
	case fieldTransferEncoding:
		p.te++
		p.chunked = !p.valueOver && bytes.EqualFold(v, []byte("chunked"))
	}
}

// endBlock ends a header block: it is emitted, and the body framed as net/http frames it.
func (p *parser) endBlock(emit func(block)) {
	// Both lengths on an HTTP/1.1 request: net/http frames it by the Transfer-Encoding and
	// drops the Content-Length, as RFC 9112 allows, but a peer in front that framed it by the
	// length disagrees about where the next request starts (smuggling).
	b := block{sum: p.sum, bothLengths: p.te > 0 && (p.hasCL || p.http10)} // as h1's faultyFraming
	if !p.overflow && !p.framingOnly {
		b.names = string(p.names)
	}
	emit(b)
	if p.dead {
		return
	}
	switch {
	case p.te > 0 && !p.http10:
		if p.te != 1 || !p.chunked {
			p.dead = true // net/http answers 501 and closes
			return
		}
		p.st, p.digits, p.chunk = sChunkSize, 0, 0
	case p.badCL:
		p.dead = true // net/http answers 400 and closes
	case p.hasCL && p.cl > 0:
		p.st, p.remaining = sBody, p.cl
	default:
		p.reset()
	}
}

// chunkLine ends a chunk-size line: the chunk's data, or the trailers after the last one.
func (p *parser) chunkLine() {
	if p.chunk == 0 {
		p.st, p.cr, p.inTrailer, p.field = sLineStart, false, true, fieldOther
		return
	}
	p.st, p.remaining = sChunkData, p.chunk
}

func parseLength(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

func hexValue(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}
