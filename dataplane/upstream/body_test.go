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
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// failingWriter takes up to n bytes, then fails.
type failingWriter struct{ n int }

var errWrite = errors.New("client gone")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, errWrite
}

// takesAllFails takes every byte, and fails the write that takes the last of left.
type takesAllFails struct{ left int }

func (w *takesAllFails) Write(p []byte) (int, error) {
	if w.left -= len(p); w.left <= 0 {
		return len(p), errWrite
	}
	return len(p), nil
}

// WriteBody writes a body of known length as Read would give it, the connection back in the
// pool at its end; a write that fails before the end leaves the body for the caller to
// close, which closes the connection; one that fails having taken the last bytes keeps it.
func TestWriteBody(t *testing.T) {
	long := strings.Repeat("x", 3*bufferSize+7) // over several fills of the buffer
	url, conns := rawBackend(t, answerEach("HTTP/1.1 200 OK\r\nContent-Length: 12295\r\n\r\n"+long))
	tr, _ := newTransport(t, Options{})
	// do writes an answer's body to w, then closes it, as forward does.
	do := func(w io.Writer) (bool, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		return WriteBody(res, w)
	}

	var out bytes.Buffer
	if handled, err := do(&out); !handled || err != nil || out.String() != long {
		t.Fatalf("handled %v, %v, %d bytes; want the body", handled, err, out.Len())
	}
	if _, err := do(&out); err != nil || conns.Load() != 1 {
		t.Fatalf("second: %v, %d connections; want the first one again", err, conns.Load())
	}

	if handled, err := do(&failingWriter{n: bufferSize}); !handled || !errors.Is(err, errWrite) {
		t.Fatalf("failing write: handled %v, %v", handled, err)
	}
	if _, err := do(&out); err != nil || conns.Load() != 2 {
		t.Fatalf("after a failed write: %v, %d connections; want a new one", err, conns.Load())
	}

	if _, err := do(&takesAllFails{left: len(long)}); !errors.Is(err, errWrite) { // takes every byte, then fails
		t.Fatalf("write failed after the last bytes: %v", err)
	}
	if _, err := do(&out); err != nil || conns.Load() != 2 {
		t.Fatalf("after a write failed on the last bytes: %v, %d connections; want the same", err, conns.Load())
	}
}
