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
	"reflect"
	"testing"
)

// scanned is what scanBuffered returns and leaves for the response to be built from.
type scanned struct {
	N       int
	Err     string
	Fields  []field
	Entries int
	Folded  bool
	Named   uint8
	Plain   bool
}

func scan(s *headScan, b []byte) scanned {
	n, err := s.scanBuffered(b)
	r := scanned{N: n, Entries: s.entries, Folded: s.folded, Named: s.named, Plain: s.plain}
	if err != nil {
		r.Err = err.Error()
	}
	r.Fields = append(r.Fields, s.fields...)
	return r
}

// checkSeen scans a then b over one connection's scanner, and b alone over a new one: the
// lines remembered from a must change nothing of what b gives.
func checkSeen(t *testing.T, a, b []byte) {
	t.Helper()
	var s headScan
	scan(&s, a)
	got := scan(&s, b)
	var fresh headScan
	if want := scan(&fresh, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("after %q, %q gave\n%+v\nalone\n%+v", a, b, got, want)
	}
}

var seenPairs = [][2]string{
	{nginxHead, nginxHead},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:01 GMT\r\nContent-Length: 3\r\n\r\n"},
	// The same place, another line: a framing name with a space before its colon, a
	// control byte in a value, a name no longer canonical, or with a space.
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length : 3\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: ngin\x01\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nserver: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nSer ver: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\n\r\n"},
	// Lines that move, one more, one fewer, a continuation, both framing fields.
	{nginxHead, "HTTP/1.1 200 OK\r\nX-A: 1\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\n  more\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\n\r\n"},
	{nginxHead, "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"},
	{"HTTP/1.1 200 OK\r\nA b: 1\r\nConnection: x\r\nPragma: no-cache\r\nTrailer: X\r\n\r\n", "HTTP/1.1 200 OK\r\nA b: 1\r\nConnection: x\r\nPragma: no-cache\r\nTrailer: X\r\n\r\n"},
	{"HTTP/1.1 200 OK\r\nServer: nginx\r\n  more\r\n\r\n", "HTTP/1.1 200 OK\r\nServer: nginx\r\n  more\r\n\r\n"},
	// Not all in the buffer yet.
	{nginxHead, nginxHead[:40]},
}

const nginxHead = "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sat, 05 Dec 2026 20:50:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n"

func TestSeenLines(t *testing.T) {
	for _, p := range seenPairs {
		checkSeen(t, []byte(p[0]), []byte(p[1]))
	}
	for i := range responseSeeds {
		for j := range responseSeeds {
			checkSeen(t, []byte(responseSeeds[i]), []byte(responseSeeds[j]))
		}
	}
}

// The lines of the last head are taken, not checked again: a remembered verdict, changed
// here, shows in the next scan of the same head, and only for its line.
func TestSeenLinesTaken(t *testing.T) {
	var s headScan
	first := scan(&s, []byte(nginxHead))
	if first.Err != "" || len(s.seen.lines) != 5 {
		t.Fatalf("%+v, %d lines remembered", first, len(s.seen.lines))
	}
	s.seen.lines[0].canonical = false
	second := scan(&s, []byte(nginxHead))
	if second.Fields[0].canonical || !second.Fields[1].canonical {
		t.Errorf("the remembered lines were not taken: %+v", second.Fields)
	}
}

// FuzzSeenLines: two heads over one connection give what the second gives alone.
func FuzzSeenLines(f *testing.F) {
	for _, p := range seenPairs {
		f.Add([]byte(p[0]), []byte(p[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		checkSeen(t, a, b)
	})
}
