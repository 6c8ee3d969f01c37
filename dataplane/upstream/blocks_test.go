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
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Answers read over one connection share its blocks (blocks.go): each keeps what it read
// while later ones are read, whether its map was built at once or when asked for, and an
// append to one of its values does not reach another answer's.
func TestAnswersKeepTheirHeads(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := r.URL.Query().Get("n")
		w.Header().Set("X-N", n)
		w.Header().Set("X-Pad", strings.Repeat(n, len(n)*7)) // heads of different lengths
		w.Header()["x-lower"] = []string{"v" + n}            // a name not canonical
		_, _ = io.WriteString(w, n)
	})
	tr, _ := newTransport(t, Options{})

	const answers = 300 // several blocks of each kind
	type kept struct {
		header http.Header
		n      []string // Values(res, "X-N")
	}
	var all []kept
	for i := range answers {
		ctx := context.Background()
		if i%2 == 1 {
			ctx = context.WithValue(ctx, HintsKey{}, &Hints{LazyHeader: true})
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/?n="+strconv.Itoa(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		n := Values(res, "X-N")
		h := Header(res)
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if i%3 == 0 {
			n = append(n, "appended") // must not write into the next answer's slot
		}
		all = append(all, kept{header: h, n: n})
	}
	if c := conns.Load(); c != 1 {
		t.Fatalf("%d connections, want 1: the answers must share one connection's blocks", c)
	}
	for i, k := range all {
		want := strconv.Itoa(i)
		if got := k.header.Get("X-N"); got != want {
			t.Errorf("answer %d: X-N is now %q", i, got)
		}
		if got := k.header.Get("X-Pad"); got != strings.Repeat(want, len(want)*7) {
			t.Errorf("answer %d: X-Pad is now %q", i, got)
		}
		if got := k.header.Get("X-Lower"); got != "v"+want {
			t.Errorf("answer %d: X-Lower is now %q", i, got)
		}
		if len(k.n) == 0 || k.n[0] != want {
			t.Errorf("answer %d: its X-N values are now %q", i, k.n)
		}
	}
}
