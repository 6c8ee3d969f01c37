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

package compress

import (
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/dataplane/proxy"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Encoding
	}{
		{"", Identity},
		{"gzip", Gzip},
		{"deflate", Deflate},
		{"gzip, deflate, br", Gzip},
		{"deflate;q=1, gzip;q=0.5", Deflate},
		{"gzip;q=0, deflate;q=0.1", Deflate},
		{"gzip;q=0", Identity},
		{"*", Gzip},
		{"*;q=0.5, gzip;q=0", Deflate},
		{"identity", Identity},
		{"br, zstd", Identity},
		{"GZIP ; Q=0.8 , deflate;q=0.9", Deflate},
		{"gzip;q=2", Identity},
		{"gzip;q=abc", Identity},
	} {
		if got := Negotiate([]string{tc.in}); got != tc.want {
			t.Errorf("Negotiate(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"gzip", "deflate;q=0.5, *;q=0", "*;q=0.001", "a;b;c=;q=", ",,;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Negotiate([]string{s})
		if e > Deflate {
			t.Fatalf("Negotiate(%q) = %d", s, e)
		}
		if !strings.Contains(strings.ToLower(s), "gzip") && !strings.Contains(strings.ToLower(s), "deflate") && !strings.Contains(s, "*") && e != Identity {
			t.Fatalf("Negotiate(%q) chose %v, which the client did not name", s, e)
		}
	})
}

func step(t *testing.T, min int32, next http.HandlerFunc) http.Handler {
	t.Helper()
	h, err := NewStep()(&proxy.Route{API: &xdsv1alpha1.Api{MinimumCompressionSize: &min}}, next)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, ae string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	if ae != "" {
		r.Header.Set("Accept-Encoding", ae)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestCompression(t *testing.T) {
	big := strings.Repeat("pets and more pets ", 200)
	write := func(body string, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			// In pieces: the threshold is crossed mid-body.
			for rest := body; len(rest) > 0; {
				n := min(len(rest), 100)
				_, _ = io.WriteString(w, rest[:n])
				rest = rest[n:]
			}
		}
	}
	h := step(t, 1024, write(big, "Content-Length", "3800", "Content-Type", "text/plain"))
	w := get(h, "gzip")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Content-Length") != "" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != big {
		t.Errorf("gzip round trip lost the body")
	}
	w = get(h, "deflate, gzip;q=0.5")
	zr2, err := zlib.NewReader(w.Body)
	if err != nil || w.Header().Get("Content-Encoding") != "deflate" {
		t.Fatal(err, w.Header())
	}
	if b, _ := io.ReadAll(zr2); string(b) != big {
		t.Errorf("deflate round trip lost the body")
	}
	// Below the threshold, not accepted, or already encoded: as is.
	for name, tc := range map[string]struct {
		h  http.Handler
		ae string
	}{
		"small":            {step(t, 1024, write("tiny")), "gzip"},
		"small by length":  {step(t, 1024, write("tiny", "Content-Length", "4")), "gzip"},
		"not accepted":     {h, "br"},
		"refused":          {h, "gzip;q=0"},
		"already encoded":  {step(t, 10, write(big, "Content-Encoding", "br")), "gzip"},
		"threshold zero":   {step(t, 0, write("")), "gzip"},
		"exactly at limit": {step(t, 5, write("1234")), "gzip"},
		"a range":          {step(t, 10, write(big, "Content-Range", "bytes 0-3799/9000")), "gzip"},
		"no-transform":     {step(t, 10, write(big, "Cache-Control", "public, No-Transform")), "gzip"},
	} {
		w := get(tc.h, tc.ae)
		if ce := w.Header().Get("Content-Encoding"); ce != "" && ce != "br" {
			t.Errorf("%s: compressed (%s)", name, ce)
		}
		if name == "already encoded" && w.Header().Get("Vary") != "" {
			t.Errorf("%s: Vary %q", name, w.Header().Get("Vary"))
		}
	}
	// No minimumCompressionSize: the step is not there.
	next := http.NotFoundHandler()
	if h, _ := NewStep()(&proxy.Route{API: &xdsv1alpha1.Api{}}, next); h == nil {
		t.Error("no handler")
	}
}

// A stream flushed before the threshold is sent as it is, flush by flush.
func TestFlushBeforeThreshold(t *testing.T) {
	h := step(t, 1024, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, strings.Repeat("x", 2000))
	})
	w := get(h, "gzip")
	if w.Header().Get("Content-Encoding") != "" || !w.Flushed || !strings.HasPrefix(w.Body.String(), "data: 1") {
		t.Errorf("flushed stream: %v flushed=%v", w.Header(), w.Flushed)
	}
}

// A backend of unknown length gets its headers flushed before its first read (forward.go):
// that flush, before any byte of the body, does not decide, so a large body streamed after
// it is compressed still. Server-sent events go at once, as they are.
func TestFlushBeforeBody(t *testing.T) {
	h := step(t, 1024, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for range 3 {
			_, _ = io.WriteString(w, strings.Repeat("x", 1024))
			w.(http.Flusher).Flush()
		}
	})
	w := get(h, "gzip")
	if w.Header().Get("Content-Encoding") != "gzip" || !w.Flushed {
		t.Fatalf("streamed body: %v flushed=%v", w.Header(), w.Flushed)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); len(b) != 3*1024 {
		t.Errorf("%d bytes", len(b))
	}

	h = step(t, 1024, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, strings.Repeat("x", 2000))
	})
	if w := get(h, "gzip"); w.Header().Get("Content-Encoding") != "" || !w.Flushed {
		t.Errorf("event stream: %v flushed=%v", w.Header(), w.Flushed)
	}
}

// A HEAD request gets the head its GET would: Content-Encoding without a length when the
// answer's length reaches the threshold, or without a length the body the handler writes
// (which the server drops); as it is below it, or with neither.
func TestHeadLikeGet(t *testing.T) {
	for _, c := range []struct {
		length, body string
		encoded      bool
	}{{"3800", "", true}, {"10", "", false}, {"", "", false}, {"", strings.Repeat("x", 2000), true}, {"", "short", false}} {
		h := step(t, 1024, func(w http.ResponseWriter, r *http.Request) {
			if c.length != "" {
				w.Header().Set("Content-Length", c.length)
			}
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, c.body)
		})
		r := httptest.NewRequest(http.MethodHead, "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header()
		if c.encoded && (got.Get("Content-Encoding") != "gzip" || got.Get("Content-Length") != "") ||
			!c.encoded && (got.Get("Content-Encoding") != "" || got.Get("Content-Length") != c.length) ||
			got.Get("Vary") != "Accept-Encoding" {
			t.Errorf("length %q: head %v, body %q", c.length, got, w.Body.String())
		}
	}
}
