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

package cors

import (
	"net/http"
	"strings"

	"github.com/portico-dev/portico/dataplane/proxy"
)

// NewStep returns the CORS step, which sets the CORS headers of a route's responses. Place it
// before the authorizers and the API key step: refusals of later steps must carry CORS
// headers for the browser to show them to the page. Preflights never reach it: Guard answers
// them for the whole stage, before routing and before authorization. An API without cors,
// and a WEBSOCKET API (a handshake is not subject to CORS), get next unchanged; an invalid
// policy fails the configuration.
func NewStep() proxy.Step {
	return func(rt *proxy.Route, next http.Handler) (http.Handler, error) {
		c := rt.API.GetCors()
		if c == nil || strings.EqualFold(rt.API.GetProtocol(), "WEBSOCKET") {
			return next, nil
		}
		p, err := Compile(c)
		if err != nil {
			return nil, err
		}
		return p.Handler(next), nil
	}
}

// Handler sets the CORS headers of every response of next, including the gateway's
// refusals.
func (p *Policy) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&writer{ResponseWriter: w, p: p, origin: r.Header.Get(HeaderOrigin)}, r)
	})
}

// writer sets the CORS headers when the response's headers are written, after whatever
// next set, so that the policy's headers replace a backend's.
type writer struct {
	http.ResponseWriter
	p         *Policy
	origin    string
	decorated bool
}

func (w *writer) decorate() {
	if !w.decorated {
		w.decorated = true
		w.p.Decorate(w.Header(), w.origin)
	}
}

func (w *writer) WriteHeader(code int) {
	// Informational responses go out before the final headers are known.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.decorate()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *writer) Write(b []byte) (int, error) {
	w.decorate()
	return w.ResponseWriter.Write(b)
}

// Flush sends the headers, decorated, when a streaming integration flushes before writing.
func (w *writer) Flush() {
	w.decorate()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
