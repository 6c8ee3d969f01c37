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
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A browser-like GET of 13 headers, about 600 bytes, and a POST with a 1 KiB body.
var (
	benchGet = "GET /prod/pets/7?QueryString1=queryValue1 HTTP/1.1\r\nHost: api.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nHeaderAuth1: headerValue1\r\n" +
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnopqrstuvwxyz\r\n" +
		"X-Api-Key: 0123456789abcdef0123456789abcdef\r\nX-Amz-Date: 20261204T000000Z\r\nCache-Control: no-cache\r\n" +
		"Pragma: no-cache\r\nX-Request-Trace: 1-5f84c7a0-0123456789abcdef01234567\r\n\r\n"
	benchPost = "POST /prod/pets HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n" +
		strings.Repeat("x", 1024)
)

func benchParse(b *testing.B, req string) {
	benchParseAs(b, parser{}, req)
}

func benchParseAs(b *testing.B, p parser, req string) {
	var n int
	emit := func(block) { n++ }
	buf := []byte(req)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		p.feed(buf, emit)
	}
	if n == 0 || p.dead {
		b.Fatal("no block")
	}
}

// BenchmarkParseGet is the cost a kept connection adds to each request it reads.
func BenchmarkParseGet(b *testing.B) { benchParse(b, benchGet) }

// BenchmarkParseGetFramingOnly is what every connection pays to tell a request with both
// lengths (BothLengths), when no payload 1.0 event wants the names.
func BenchmarkParseGetFramingOnly(b *testing.B) { benchParseAs(b, parser{framingOnly: true}, benchGet) }

// BenchmarkParsePost: a body is skipped, not read byte by byte.
func BenchmarkParsePost(b *testing.B) { benchParse(b, benchPost) }

// BenchmarkSpell is the cost of spelling a request's names, paid only by the events that
// carry them.
func BenchmarkSpell(b *testing.B) {
	var p parser
	var blk block
	p.feed([]byte(benchGet), func(x block) { blk = x })
	c := &Conn{current: blk}
	r := httptest.NewRequest("GET", "/prod/pets/7?QueryString1=queryValue1", nil)
	r.RequestURI = "/prod/pets/7?QueryString1=queryValue1"
	r = r.WithContext(context.WithValue(r.Context(), connKey{}, c))
	keys := []string{"Host", "User-Agent", "Accept", "Headerauth1", "Authorization", "X-Api-Key", "X-Amz-Date", "Pragma"}
	b.ReportAllocs()
	for b.Loop() {
		names := From(r)
		for _, k := range keys {
			if names.Spell(k) == "" {
				b.Fatal("empty")
			}
		}
	}
	if From(r).Spell("Headerauth1") != "HeaderAuth1" {
		b.Fatal("not spelled")
	}
	_ = http.StatusOK
}
