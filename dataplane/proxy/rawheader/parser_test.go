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

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// parse feeds stream to a parser in pieces of size step (0: at once) and returns the blocks.
func parse(stream []byte, step int) (blocks []block, dead bool) {
	return parseAs(parser{}, stream, step)
}

// parseAs is parse with a parser set up as p (framingOnly).
func parseAs(p parser, stream []byte, step int) (blocks []block, dead bool) {
	emit := func(b block) {
		if len(blocks) == 1<<10 {
			p.dead = true
			return
		}
		blocks = append(blocks, b)
	}
	if step <= 0 {
		step = len(stream)
	}
	for i := 0; i < len(stream) && !p.dead; i += step {
		p.feed(stream[i:min(i+step, len(stream))], emit)
	}
	return blocks, p.dead
}

// goRequests frames stream as net/http's server does and returns what it read of each
// request, until the first it refuses.
func goRequests(stream []byte) []*http.Request {
	br := bufio.NewReader(bytes.NewReader(stream))
	var out []*http.Request
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return out
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return out
		}
		out = append(out, req)
	}
}

// agree checks the parser against net/http: every request net/http reads has its block, in
// order, with its request line's digest and its names, until the parser stops. The parser
// may stop early (no hints) but never frames differently.
func agree(t *testing.T, stream []byte, step int) []block {
	t.Helper()
	blocks, dead := parse(stream, step)
	reqs := goRequests(stream)
	if !dead && len(blocks) < len(reqs) {
		t.Fatalf("step %d: %d blocks for %d requests, and the parser still follows", step, len(blocks), len(reqs))
	}
	for i, req := range reqs {
		if i >= len(blocks) {
			break
		}
		b := blocks[i]
		if b.sum != requestLineSum(req.Method, req.RequestURI) {
			t.Fatalf("step %d: block %d is not request %d (%s %s)", step, i, i, req.Method, req.RequestURI)
		}
		if b.names == "" {
			continue
		}
		for k := range req.Header {
			if n := (Names{list: b.names}).Spell(k); !strings.EqualFold(n, k) {
				t.Fatalf("step %d: request %d: %q spelled %q", step, i, k, n)
			}
		}
	}
	return blocks
}

func TestPipelinedFraming(t *testing.T) {
	stream := "POST /a HTTP/1.1\r\nHost: x\r\nHeaderAuth1: v\r\nContent-Length: 46\r\n\r\n" +
		"GET /evil HTTP/1.1\r\nHost: x\r\nEVIL: 1\r\n\r\nxxxxxx" + // a body that looks like a request
		"PUT /b?q=1 HTTP/1.1\r\nhost: x\r\nTransfer-Encoding: chunked\r\nX-Chunked: y\r\n\r\n" +
		"1d;ext=1\r\nGET /evil2 HTTP/1.1\r\nA: b\r\n\r\n\r\n0\r\nTrailer-Field: z\r\n\r\n" +
		"GET /c HTTP/1.0\r\nHost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\nabc" +
		"DELETE /d HTTP/1.1\r\nHost: x\r\nX-Last:  1\r\n\r\n"
	for _, step := range []int{0, 1, 2, 3, 7, 64} {
		blocks := agree(t, []byte(stream), step)
		if len(blocks) != 4 {
			t.Fatalf("step %d: %d blocks, want 4", step, len(blocks))
		}
		if n := (Names{list: blocks[0].names}); n.Spell("Headerauth1") != "HeaderAuth1" || n.Spell("Evil") != "Evil" {
			t.Errorf("step %d: first block %q", step, blocks[0].names)
		}
		if n := (Names{list: blocks[1].names}); n.Spell("Host") != "host" || n.Spell("X-Chunked") != "X-Chunked" || n.Spell("A") != "A" {
			t.Errorf("step %d: second block %q", step, blocks[1].names)
		}
		if len(goRequests([]byte(stream))) != 4 {
			t.Fatal("net/http does not read 4 requests")
		}
	}
}

func TestLimits(t *testing.T) {
	// Names over the limit: the block has none, and the framing goes on.
	big := "GET /a HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Long-Header-Name-Padding-"+strings.Repeat("a", 100)+": 1\r\n", 100) + "\r\n" +
		"GET /b HTTP/1.1\r\nHost: x\r\nNext: 1\r\n\r\n"
	blocks := agree(t, []byte(big), 0)
	if len(blocks) != 2 || blocks[0].names != "" || blocks[1].names != "Host\nNext\n" {
		t.Fatalf("%d blocks", len(blocks))
	}
	// HTTP/2 with prior knowledge, or a framing net/http refuses, stops the parser.
	for _, s := range []string{
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 5\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
	} {
		if _, dead := parse([]byte(s), 0); !dead {
			t.Errorf("%q: parser not stopped", s)
		}
		agree(t, []byte(s), 1)
	}
}

func FuzzParser(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: y\r\n\r\n"), 3)
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 1)
	f.Add([]byte("GET / HTTP/1.1\nHost: x\nA:\n b\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0)
	f.Add([]byte("PUT /b HTTP/1.1\r\nhost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"+
		"1d;e=1\r\nGET /evil2 HTTP/1.1\r\nA: b\r\n\r\n\r\n0\r\nT: z\r\n\r\n"+
		"GET /c HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"+
		"DELETE /d HTTP/1.1\r\nHost: x\r\n\r\n"), 5)
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), 2)
	f.Fuzz(func(t *testing.T, stream []byte, step int) {
		if step < 0 {
			step = -step
		}
		blocks := agree(t, stream, step%17)
		// Following the framing only, the parser frames alike and flags alike.
		framing, _ := parseAs(parser{framingOnly: true}, stream, step%17)
		if len(framing) != len(blocks) {
			t.Fatalf("framing only: %d blocks, with names %d", len(framing), len(blocks))
		}
		for i, b := range framing {
			if b.names != "" || b.sum != blocks[i].sum || b.bothLengths != blocks[i].bothLengths {
				t.Fatalf("block %d: framing only %+v, with names %+v", i, b, blocks[i])
			}
		}
	})
}

// A request with both a Content-Length and a Transfer-Encoding is flagged, however its
// names are spelled or split by reads, with names kept or not, and so is an HTTP/1.0 one
// with a Transfer-Encoding (faulty framing, RFC 9112 6.1); either length alone in 1.1 is not.
func TestBothLengths(t *testing.T) {
	for stream, want := range map[string][]bool{
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
			"GET /b HTTP/1.1\r\nHost: x\r\n\r\n": {true, false},
		"POST /a HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\nCONTENT-LENGTH: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n": {true},
		"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n":                      {false},
		// A length that does not parse, which net/http ignores beside the Transfer-Encoding.
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n": {true, false},
		"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc":                                                             {false},
		"POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc":                               {true},
		"POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n":                                                       {true},
		"POST /a HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc":                                                             {false},
	} {
		for _, framingOnly := range []bool{false, true} {
			for _, step := range []int{0, 1, 5, 13} {
				blocks, _ := parseAs(parser{framingOnly: framingOnly}, []byte(stream), step)
				if len(blocks) != len(want) {
					t.Fatalf("%q (framing only %v, step %d): %d blocks, want %d", stream, framingOnly, step, len(blocks), len(want))
				}
				for i, b := range blocks {
					if b.bothLengths != want[i] {
						t.Errorf("%q (framing only %v, step %d): block %d bothLengths %v", stream, framingOnly, step, i, b.bothLengths)
					}
					if framingOnly && b.names != "" {
						t.Errorf("%q: framing only kept names %q", stream, b.names)
					}
				}
			}
		}
	}
}
