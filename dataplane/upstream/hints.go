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
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"time"

	"github.com/portico-dev/portico/internal/httpsyntax"
)

// HintsKey is the context key of a request's Hints (*Hints): what its caller knows of it that
// spares the transport work. One key for all of them, so that the transport asks the
// context once: each Value call walks the context's chain, about 70 instructions a walk on
// a proxied request's, which asked five keys and httptrace's before it had one.
type HintsKey struct{}

// Hints is what a caller tells the transport about a request (HintsKey). The zero value
// tells nothing: the transport checks and looks up for itself.
type Hints struct {
	// HeaderChecked is the caller's word that the request's header names and values (its
	// map's and Fields') are all valid as written: each came from a request that a server
	// checked (h1 and net/http refuse an invalid name or value) or from the caller itself.
	// The transport then skips its own check, a pass over every name and value (a
	// twentieth of a proxied request's instructions).
	HeaderChecked bool
	// Start is the time a caller read from clock.Now as it started the request's call,
	// moments before RoundTrip: the transport takes it as the time now for its first
	// connection, rather than read the clock again. Zero for none: a caller that calls
	// again after a while (a retry after a failed dial) clears it first.
	Start time.Time
	// Fields are the request's header fields beyond its header map (names canonical, no two
	// of one name, none of the map's): a proxy's outgoing fields, built as a list rather
	// than as a map, which the transport writes with the map's, sorted together by name as
	// it writes a map alone. net/http's Transport, when a request goes to it (Fallback),
	// gets them in a copy of the map.
	Fields []httpsyntax.Field
	// FieldsReady says Fields go out as they are, after the map's, in their order: none is
	// Host, Content-Length, Transfer-Encoding or Trailer in any case (fields the transport
	// writes itself), their values are trimmed, and a User-Agent is among them or not sent
	// (the transport adds no default of its own). The transport then neither sorts nor looks
	// through them (a sort and a switch per field, some 900 instructions of a proxied
	// request's).
	FieldsReady bool
	// LazyHeader is the caller's word that it reads the answer's header through Fields,
	// Values and Header only, never res.Header directly (see lazy.go).
	LazyHeader bool
	// Got1xx takes the request's informational answers. A caller's context may hold it where
	// httptrace.WithClientTrace would wrap the context in one that hides the caller's type
	// (and its reqend.Notifier) from the transport. Without it, an httptrace.ClientTrace's
	// Got1xxResponse does.
	Got1xx Got1xxHandler
	// Untraced is the caller's word that the request's context holds no
	// httptrace.ClientTrace, which the transport then does not look for: a walk of the
	// whole context chain, as httptrace's key is one the caller cannot answer itself.
	Untraced bool
}

// noHints are a request's without any.
var noHints Hints

// hintsOf returns req's Hints, or the zero Hints; not to be changed.
func hintsOf(req *http.Request) *Hints {
	if h, _ := req.Context().Value(HintsKey{}).(*Hints); h != nil {
		return h
	}
	return &noHints
}

// Got1xxHandler takes a request's informational responses (1xx), as an
// httptrace.ClientTrace's Got1xxResponse does.
type Got1xxHandler interface {
	Got1xxResponse(code int, header textproto.MIMEHeader) error
}

// clientTrace is ctx's httptrace.ClientTrace, or nil; nil without a look when h says there is
// none.
func (h *Hints) clientTrace(ctx context.Context) *httptrace.ClientTrace {
	if h.Untraced {
		return nil
	}
	return httptrace.ContextClientTrace(ctx)
}

// got1xx hands an informational response to the request's Got1xxHandler, or to its trace
// as net/http's Transport does (httputil.ReverseProxy forwards it to the client that way).
func got1xx(req *http.Request, h *Hints, res *http.Response) error {
	if h.Got1xx != nil {
		return h.Got1xx.Got1xxResponse(res.StatusCode, textproto.MIMEHeader(res.Header))
	}
	if trace := h.clientTrace(req.Context()); trace != nil && trace.Got1xxResponse != nil {
		return trace.Got1xxResponse(res.StatusCode, textproto.MIMEHeader(res.Header))
	}
	return nil
}

// withFields returns req with h's fields (beyond its map) in a copy of its map, for a writer
// that knows only the map; req itself when there are none. Ready fields (FieldsReady) send no
// User-Agent of the writer's: an empty one stands in the copy when none is there.
func withFields(req *http.Request, h *Hints) *http.Request {
	if h.Fields == nil && !h.FieldsReady {
		return req
	}
	r2 := *req
	r2.Header = req.Header.Clone()
	if r2.Header == nil {
		r2.Header = make(http.Header, len(h.Fields)+1)
	}
	for _, f := range h.Fields {
		r2.Header[f.Name] = f.Values
	}
	if _, ok := r2.Header["User-Agent"]; !ok && h.FieldsReady {
		r2.Header["User-Agent"] = []string{""}
	}
	return &r2
}
