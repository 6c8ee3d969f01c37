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

package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"

	"github.com/portico-dev/portico/dataplane/gatewayresponse"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	leanhttp "github.com/portico-dev/portico/dataplane/upstream"
	"github.com/portico-dev/portico/internal/clock"
	"github.com/portico-dev/portico/internal/httpsyntax"
)

// The lean forwarding path of HTTP_PROXY. It does what httputil.ReverseProxy does with the
// route's Rewrite, ModifyResponse and ErrorHandler (rewrite, modifyResponse and fail), step
// for step, without what ReverseProxy pays for its generality: the deep clone of the request
// and its headers followed by deletions, a header map per Set, the buffer pool's allocation
// per Put, a timer and a goroutine per streamed response. The outgoing request is built once,
// its headers copied in one pass into one slab of values, and sent with the same transport
// (h.up: timing, ejection and the retry on another endpoint).
//
// What it leaves to ReverseProxy (reverseProxy): protocol upgrades (a Connection header naming
// "upgrade": WebSocket pass-through, h2c), whose 101 answer ReverseProxy turns into a
// hijacked, spliced connection; and requests with trailers, declared (a Trailer header) or
// read, which ReverseProxy hands to the transport as they come. Response trailers are
// forwarded here as ReverseProxy forwards them: nothing tells before the answer whether a
// backend sends some.

// headerNotes is what outgoingFields notes of the client's header on its one pass over the
// map, for forward, which would otherwise look the names up: a lookup in a map that holds any
// field hashes the name, and five of them cost a request with a header ~400 instructions.
type headerNotes struct {
	expect  bool // an Expect field: net/http's transport answers 100-continue
	reverse bool // a Trailer field, or Connection naming Upgrade: ReverseProxy's request
	// contentLength is the client's Content-Length field, which the transport writes from
	// the request's length rather than from the fields.
	contentLength []string
}

// requestIDKey is the request id's header name as a map key.
var requestIDKey = http.CanonicalHeaderKey(gatewayresponse.HeaderRequestID)

// forwarding is one request's state on the lean path: the outgoing request, the body
// wrapper, the 1xx handler and its guard, and the route's timeout when the transport enforces
// it. They are reused (forwardings).
type forwarding struct {
	w        http.ResponseWriter
	out      http.Request
	body     noCloseBody
	deadline deadlineCtx

	mu     sync.Mutex
	done   bool // the round trip returned: a late 1xx is dropped, as ReverseProxy does
	http10 bool // the client's request is HTTP/1.0, which may be sent no 1xx (RFC 9110 15.2)

	// header, fields and values are an earlier request's outgoing header map, field list
	// and its values' slab, cleared, for this one's (outgoingFields).
	header http.Header
	fields []httpsyntax.Field
	values []string
}

// forwardings keeps forwarding states for reuse: at about 400 bytes, one was a third of what
// an HTTP_PROXY request allocated once the proxy reused its exchanges. The lean transport is
// done with the outgoing request, its context and its body when the answer's body is closed,
// which forward does before it returns.
var forwardings = sync.Pool{New: func() any { return new(forwarding) }}

// release clears f and keeps it for another request, unless the request was retained: handed
// to net/http's transport, which may read the body or report a 1xx after forward returns.
// The outgoing header goes with it unless the execution log reads it after the request
// (rc.EndpointHeaders), or it grew large: clearing a map costs its largest size.
func (f *forwarding) release(rc *reqctx.Request) {
	if rc.Retained() {
		return
	}
	var h http.Header
	var fl []httpsyntax.Field
	var v []string
	if rc.EndpointHeaders == nil && cap(f.values) <= 64 {
		if h = httpsyntax.Reusable(f.out.Header); h != nil {
			clear(f.values[:cap(f.values)])
			v = f.values[:0]
			clear(f.fields[:cap(f.fields)])
			fl = f.fields[:0]
		}
	}
	// Cleared in place and then given its rooms back: a literal with them was built on the
	// stack (600 bytes) and copied over.
	*f = forwarding{}
	f.header, f.fields, f.values = h, fl, v
	forwardings.Put(f)
}

// noCloseBody keeps the transport from closing the client's body (ReverseProxy's
// noopCloseReader): closing a body not received yet (100-continue) would wait for it.
type noCloseBody struct{ rc io.ReadCloser }

func (b *noCloseBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b *noCloseBody) Close() error               { return nil }

// Got1xxResponse forwards an informational answer (103 Early Hints) to the client, unless
// it is an HTTP/1.0 client, which would take it for the final answer (a 100 Continue to an
// Expect it sent too: RFC 9110 has servers ignore that expectation in 1.0).
func (f *forwarding) Got1xxResponse(code int, header textproto.MIMEHeader) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.http10 {
		return nil
	}
	h := f.w.Header()
	// The headers the gateway set before the integration (x-request-id, CORS) belong to the
	// final answer too: WriteHeader does not clear a 1xx's headers, and ReverseProxy's
	// clear(h) after it drops them. Put aside, put back; a 1xx is rare, the copy is cheap.
	gateway := maps.Clone(h)
	// As the final answer's: no hop-by-hop fields nor those Connection names, and the
	// gateway's request id rather than the backend's (which the server writes itself).
	var buf [4]string
	named := connectionNamed(header["Connection"], buf[:0])
	for k, vv := range header {
		if k = canonicalName(k); !leftOut(k, named) {
			addCanonical(h, k, vv)
		}
	}
	f.w.WriteHeader(code)
	clear(h)
	maps.Copy(h, gateway)
	return nil
}

// forward sends r to rc.Target within the route's timeout and streams the answer to w, or
// hands it to reverseProxy: an upgrade, or trailers declared or read.
func (h *httpIntegration) forward(w http.ResponseWriter, r *http.Request, rc *reqctx.Request) {
	f := forwardings.Get().(*forwarding)
	var notes headerNotes
	f.fields, f.values, notes = outgoingFields(r, rc, f.fields[:0], f.values)
	if notes.reverse || len(r.Trailer) > 0 {
		f.release(rc)
		h.reverseProxy(w, r, rc)
		return
	}
	// Apart, as one more return in send would cost its defers their open coding (the
	// compiler's limit on returns times defers): about 240 instructions a request.
	h.send(w, r, rc, f, notes)
}

// send is forward's lean path for f, whose fields outgoingFields made, with what it noted.
func (h *httpIntegration) send(w http.ResponseWriter, r *http.Request, rc *reqctx.Request, f *forwarding, notes headerNotes) {
	expect := notes.expect
	defer f.release(rc)
	f.w = w
	f.http10 = r.ProtoMajor == 1 && r.ProtoMinor == 0
	// A copy, its context the deadline's (&f.deadline, filled below) when the transport holds
	// the request to it (enforcesDeadline), replaced otherwise: a copy of the request less
	// than setting the context once out is built (WithContext copies it twice).
	f.deadline.Context = r.Context() // its parent at once: a Value asked of it before the rest is filled
	f.out = *r.WithContext(&f.deadline)
	out := &f.out
	out.URL = rc.Target
	out.Host = ""
	out.Close = false
	// checked: every name and value comes from a request a server read (h1 and net/http
	// refuse invalid ones) or from outgoingFields itself, with no requestParameters mapping
	// in values (a query string decodes to any byte), so the transport need not check them.
	// The fields then go as a list, which the lean transport writes with the header map's
	// (upstream.FieldsKey), when nothing else reads or changes them in the map on the way:
	// no data trace (its execution log shows them), and no Expect (the transport looks for
	// it in the map, and leaves such a request to net/http's).
	checked := h.params == nil && r.Context().Value(http.ServerContextKey) != nil
	list := checked && !rc.DataTrace && !expect
	if list {
		// The fields go out ready (upstream.Hints.FieldsReady): the client's sorted, then
		// the gateway's, a User-Agent only if the client sent one.
		out.Header = f.header
		if out.Header == nil {
			out.Header = make(http.Header)
		}
	} else {
		out.Header = fieldMap(f.fields, f.header)
		if cl := notes.contentLength; cl != nil {
			out.Header["Content-Length"] = cl // as the client sent it, for the execution log
		}
	}
	if r.ContentLength == 0 || r.Body == nil {
		out.Body = nil
	} else {
		f.body.rc = r.Body
		out.Body = &f.body
	}
	h.params.apply(out, r, rc)
	if _, ok := out.Header["User-Agent"]; !ok && !list {
		// Not net/http's default User-Agent either.
		out.Header["User-Agent"] = slabValue(&f.values, "")
	}
	if rc.DataTrace {
		rc.EndpointHeaders = out.Header
	}

	if enforcesDeadline(h.up.transport, out) {
		// The lean transport asks the context itself for its hints (Value), so that no
		// wrapper hides the request's context from it (reqend). Nothing on the way adds an
		// httptrace.ClientTrace to the request's context (Untraced).
		// Filled in place (a pooled forwarding's is zero): a literal was built aside and
		// copied in.
		start := clock.Now()
		d := &f.deadline
		d.deadline = start.Add(h.timeout)
		d.hints.Start, d.hints.Got1xx, d.hints.HeaderChecked, d.hints.LazyHeader, d.hints.Untraced = start, f, checked, true, true
		if list {
			d.hints.Fields, d.hints.FieldsReady = f.fields, true
		}
	} else {
		if list {
			// net/http's transport: it writes the map alone.
			out.Header = fieldMap(f.fields, out.Header)
			if _, ok := out.Header["User-Agent"]; !ok {
				out.Header["User-Agent"] = slabValue(&f.values, "")
			}
		}
		// net/http's transport may go on writing the body after it returns the answer.
		rc.Retain()
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		defer cancel()
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got1xxResponse: f.Got1xxResponse})
		*out = *out.WithContext(ctx)
	}

	res, err := h.up.RoundTrip(out)
	f.mu.Lock()
	f.done = true
	f.mu.Unlock()
	if err != nil {
		h.fail(w, out, err)
		return
	}
	// Every way out closes the body first. The header's values stay valid after it (the
	// client's header map or forwarded fields may still hold them): Release keeps them.
	defer leanhttp.Release(res)
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Nothing asked for an upgrade (those go to ReverseProxy), which refuses this with
		// the same errors.
		_ = res.Body.Close()
		up := upgradeType(leanhttp.Header(res))
		switch {
		case !isPrint(up):
			err = fmt.Errorf("backend tried to switch to invalid protocol %q", up)
		case up != "":
			err = fmt.Errorf("backend tried to switch protocol %q when %q was requested", up, "")
		default:
			err = fmt.Errorf("internal error: 101 switching protocols response with non-writable body")
		}
		h.fail(w, out, err)
		return
	}

	announced := len(res.Trailer)
	contentType, forwarded := []string(nil), false
	if announced == 0 && !rc.DataTrace {
		contentType, forwarded = forwardFields(w, res)
	}
	if !forwarded {
		dst := w.Header()
		fields, _ := leanhttp.Fields(res)
		contentType = copyResponseHeader(dst, leanhttp.Header(res), leanhttp.CanonicalNames(res), connectionOf(res, fields))
		if res.StatusCode == http.StatusNoContent {
			// RFC 9110 (8.6): never a Content-Length on a 204, whatever the backend sent.
			// The HTTP/1.x server leaves it out itself; HTTP/2's would send it.
			delete(dst, "Content-Length")
		}
		if announced > 0 {
			keys := make([]string, 0, announced)
			for k := range res.Trailer {
				keys = append(keys, k)
			}
			dst.Add("Trailer", strings.Join(keys, ", "))
		}
	}
	if contentType == nil {
		// An answer without a Content-Type passes without one: the server would sniff one
		// from the body (text/plain) where a proxy adds nothing.
		if h := w.Header(); h["Content-Type"] == nil {
			h["Content-Type"] = nil
		}
	}
	// ReverseProxy flushes every write of an answer of unknown length or of server-sent
	// events, and the headers at once (by a timer); here the headers are flushed before the
	// first read only when it might wait for the backend.
	flush := res.ContentLength == -1 || isEventStream(contentType)
	w.WriteHeader(res.StatusCode)
	var ctl *http.ResponseController
	if flush {
		ctl = http.NewResponseController(w)
		if b, ok := res.Body.(interface{ Buffered() int }); !ok || b.Buffered() == 0 {
			_ = ctl.Flush()
		}
	}

	if err := copyBody(w, res, ctl); err != nil {
		_ = res.Body.Close()
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			h.shared.Log.V(1).Info("integration response copy", "route", rc.RouteName, "target", out.URL.Host, "error", err.Error())
		}
		// The status and part of the body are out: only cutting the connection tells the
		// client the answer is incomplete. net/http's server recovers this panic.
		if out.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler)
		}
		return
	}
	_ = res.Body.Close() // now, so that res.Trailer is complete

	if len(res.Trailer) == 0 {
		// Nothing to copy; and w.Header() after WriteHeader costs the server a copy of the
		// header sent (it keeps what went out apart from later changes).
		return
	}
	// Chunked, so that net/http does not compute a Content-Length for a short body.
	_ = http.NewResponseController(w).Flush()
	if len(res.Trailer) == announced {
		copyHeader(w.Header(), res.Trailer)
		return
	}
	for k, vv := range res.Trailer {
		k = http.TrailerPrefix + k
		for _, v := range vv {
			w.Header().Add(k, v)
		}
	}
}

// copyBody streams res's body to w, flushing after each write when ctl is set: with a pooled
// buffer, or, for the lean path's answer of known length not flushed, from its connection's
// buffer (upstream.WriteBody).
func copyBody(w io.Writer, res *http.Response, ctl *http.ResponseController) error {
	if ctl == nil {
		// The lean path's answer of known length, from its connection's buffer.
		if handled, err := leanhttp.WriteBody(res, w); handled {
			return err
		}
	}
	src := res.Body
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	buf := *bp
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			if werr != nil {
				return werr
			}
			if nw != nr {
				return io.ErrShortWrite
			}
			if ctl != nil {
				_ = ctl.Flush()
			} else if b, ok := src.(interface{ Buffered() int }); !ok || b.Buffered() == 0 {
				// The next read may wait for the backend: what is written goes to the
				// client first, as it comes (the last flush is the server's anyway).
				if f, ok := w.(http.Flusher); ok && rerr == nil {
					f.Flush()
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// outgoingFields appends to list the outgoing request's header fields: the client's, sorted
// by name, without hop-by-hop headers (those named in Connection too), forwarding headers,
// its request id, Host and Content-Length (noted: the transport writes its own), and its
// User-Agent's first value only; then TE: trailers when the client sent it, X-Forwarded-For,
// -Host, -Port and -Proto as rewrite sets them, and the request id; one field per name. The values share one slab, slab's room,
// grown as needed, which it returns with the list; each slice is capped so that an append
// copies (and one taken before the slab grows keeps the old array). The slab keeps room for
// one more value (a User-Agent, slabValue). It returns what forward asks of the header too.
func outgoingFields(in *http.Request, rc *reqctx.Request, list []httpsyntax.Field, slab []string) ([]httpsyntax.Field, []string, headerNotes) {
	const extra = 7 // Te, X-Forwarded-*, the request id, User-Agent
	// A field has one value nearly always: sized by the fields, without counting values.
	if n := len(in.Header) + extra; cap(slab) < n {
		slab = make([]string, 0, n)
	}
	add := func(k string, vv []string) {
		list = httpsyntax.AppendField(list, k, vv)
	}
	// The names looked for are noted as the pass meets them, rather than looked up.
	var notes headerNotes
	var connection, te, prior, proto, host, port []string
	from := len(list)
	for k, vv := range in.Header {
		switch k {
		case "Connection":
			connection = vv
			continue
		case "Te":
			te = vv
			continue
		case "Trailer":
			notes.reverse = true
			continue
		case "Expect":
			notes.expect = vv != nil
		case "X-Forwarded-For":
			prior = vv
			continue
		case "X-Forwarded-Proto":
			proto = vv
			continue
		case "X-Forwarded-Host":
			host = vv
			continue
		case "X-Forwarded-Port":
			port = vv
			continue
		case "Forwarded", requestIDKey:
			continue // set below
		case "Content-Length":
			notes.contentLength = vv
			continue
		case "Host":
			continue // the request's own (never in a server's map)
		case "User-Agent":
			// Its first value, as net/http writes it; none for an empty one, which stops
			// its default.
			if len(vv) > 0 && vv[0] != "" {
				add(k, slabValue(&slab, vv[0]))
			}
			continue
		}
		if isHopByHop(k) || !rc.PeerTrusted && forwardingName(k) {
			continue
		}
		if vv == nil {
			add(k, nil)
			continue
		}
		i := len(slab)
		slab = append(slab, vv...)
		add(k, slab[i:len(slab):len(slab)])
	}
	if connection != nil {
		notes.reverse = notes.reverse || httpguts.HeaderValuesContainsToken(connection, "Upgrade")
		// The fields Connection names stay out too; met before or after it, so taken out
		// once the pass is over (a Connection header naming more than keep-alive is rare).
		var buf [4]string
		if named := connectionNamed(connection, buf[:0]); len(named) > 0 {
			list = list[:from+len(slices.DeleteFunc(list[from:], func(f httpsyntax.Field) bool { return slices.Contains(named, f.Name) }))]
		}
	}
	// The client's in name order, as net/http writes a map (its order is the map's, which
	// changes from one pass to the next); the gateway's after them, in the order below.
	httpsyntax.SortFields(list[from:])
	if httpguts.HeaderValuesContainsToken(te, "trailers") {
		add("Te", slabValue(&slab, "trailers"))
	}

	// As rewrite and httputil.ProxyRequest.SetXForwarded, with AWS's X-Forwarded-Port. A
	// client's own forwarding headers count only from a trusted proxy; from anyone else they
	// are replaced, or left out (any other X-Forwarded-*: forwardingName).
	if !rc.PeerTrusted {
		prior, proto, host, port = nil, nil, nil, nil
	}
	if clientIP, ok := peerHost(in.RemoteAddr, rc); ok {
		if len(prior) > 0 {
			clientIP = strings.Join(prior, ", ") + ", " + clientIP
		}
		add("X-Forwarded-For", slabValue(&slab, clientIP))
	}
	switch {
	case len(host) > 0:
		add("X-Forwarded-Host", host)
	case in.Host != "":
		add("X-Forwarded-Host", slabValue(&slab, in.Host))
	}
	if len(port) == 0 {
		port = slabValue(&slab, forwardedPort(in))
	}
	add("X-Forwarded-Port", port)
	switch {
	case len(proto) > 0:
		add("X-Forwarded-Proto", proto)
	case in.TLS == nil:
		add("X-Forwarded-Proto", slabValue(&slab, "http"))
	default:
		add("X-Forwarded-Proto", slabValue(&slab, "https"))
	}
	add(requestIDKey, slabValue(&slab, rc.ID))
	return list, slab, notes
}

// forwardingName reports whether a header name is an X-Forwarded-* one, in any case and with
// underscores for dashes (X_Forwarded_For, which frameworks that map both to HTTP_X_...
// read as X-Forwarded-For): what a client may not tell a backend unless it is a trusted
// proxy.
func forwardingName(k string) bool {
	const prefix = "x-forwarded-"
	if len(k) <= len(prefix) || k[0]|0x20 != 'x' {
		return false
	}
	for i := 1; i < len(prefix); i++ {
		c := k[i]
		if c == '_' {
			c = '-'
		}
		if c|0x20 != prefix[i] { // names hold no control bytes that would fold to one
			return false
		}
	}
	return true
}

// forwardedPort is the port the client called, as X-Forwarded-Port tells it: the Host's
// port, else the scheme's. Not the listener's, which behind a Service (80 to 8080) is not
// the one the client used; and read from the Host, a request's own, at no lookup's cost.
func forwardedPort(r *http.Request) string {
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && i+1 < len(host) {
		port := host[i+1:] // digits only: "[::1]" has its colons inside the brackets
		digits := true
		for j := 0; j < len(port) && digits; j++ {
			digits = '0' <= port[j] && port[j] <= '9'
		}
		if digits {
			return port
		}
	}
	if r.TLS != nil {
		return "443"
	}
	return "80"
}

// slabValue appends v to the slab and returns it as a value of its own, capped.
func slabValue(slab *[]string, v string) []string {
	*slab = append(*slab, v)
	n := len(*slab)
	return (*slab)[n-1 : n : n]
}

// fieldMap puts fields in out, an empty map, or a new one when out is nil.
func fieldMap(fields []httpsyntax.Field, out http.Header) http.Header {
	if out == nil {
		out = make(http.Header, len(fields))
	}
	for _, f := range fields {
		out[f.Name] = f.Values
	}
	return out
}

// isHopByHop reports whether k, a canonical name, is a header for one connection only, as
// ReverseProxy lists them.
func isHopByHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// copyHeader adds src's values to dst, as ReverseProxy does. A name dst lacks takes src's
// slice, capped so that a later Add copies it.
func copyHeader(dst, src http.Header) {
	for k, vv := range src {
		addValues(dst, k, vv)
	}
}

// addValues adds vv to dst under k's canonical form, as ReverseProxy's Add.
func addValues(dst http.Header, k string, vv []string) {
	addCanonical(dst, canonicalName(k), vv)
}

// addCanonical is addValues for k in canonical form.
func addCanonical(dst http.Header, k string, vv []string) {
	if len(vv) == 0 {
		return
	}
	if have := dst[k]; len(have) > 0 {
		dst[k] = append(have, vv...)
		return
	}
	dst[k] = vv[:len(vv):len(vv)]
}

// copyResponseHeader adds a backend's answer's header to dst as ReverseProxy's three steps
// leave it, in one pass over src, which it leaves as it is: without the hop-by-hop fields
// and those its Connection header names (removeHopByHop), without the backend's request id
// (modifyResponse), each name canonical (copyHeader). It returns the answer's Content-Type
// as ReverseProxy would see it then (none when Connection names it). canonical says src's
// names are canonical already (upstream.CanonicalNames).
func copyResponseHeader(dst, src http.Header, canonical bool, connection []string) (contentType []string) {
	var buf [4]string
	named := connectionNamed(connection, buf[:0])
	for k, vv := range src {
		if leftOut(k, named) {
			continue
		}
		if k == "Content-Type" {
			contentType = vv
		}
		if !canonical {
			k = canonicalName(k)
		}
		addCanonical(dst, k, vv)
	}
	return contentType
}

// peerHost is net.SplitHostPort's host of the client connection's address, and false when
// that has none. The proxy split it already for rc.SourceIP, which is that host unless the
// peer is a trusted proxy (the address comes from X-Forwarded-For then): taken from there
// when the address is it and a port, saving the split's second run per request.
func peerHost(remoteAddr string, rc *reqctx.Request) (string, bool) {
	if ip := rc.SourceIP; !rc.PeerTrusted && len(remoteAddr) > len(ip) && remoteAddr[len(ip)] == ':' &&
		remoteAddr[:len(ip)] == ip && strings.IndexByte(ip, ':') < 0 {
		return ip, true
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	return host, err == nil
}

// forwardFields passes the lean path's answer's fields to w as they came
// (httpsyntax.FieldForwarder), those copyResponseHeader leaves out left out, its Content-Length
// too, as one field where its first line was, which the server frames the body by (in the
// header map it cost a map assignment and a field more in the server's pass over the map). The
// client gets the fields copyResponseHeader would give it, in the backend's order after the
// gateway's own rather than all sorted by name. A copy into w's map costs a map assignment and
// lookup per field, and the server's pass over the map, its sort and its checks of every name
// and value: about 4,000 instructions of a proxied request's 39,000. It returns the answer's
// Content-Type as copyResponseHeader does, and false, having done nothing, when res is not the
// lean path's, its head is not plain (upstream.Fields), or w cannot forward (HTTP/2, or a
// writer that reads or changes the header, such as the cache's or the CORS policy's).
func forwardFields(w http.ResponseWriter, res *http.Response) (contentType []string, ok bool) {
	ff, ok := w.(httpsyntax.FieldForwarder)
	if !ok {
		return nil, false
	}
	fields, ok := leanhttp.Fields(res)
	if !ok {
		return nil, false
	}
	out := ff.ForwardFields()
	if out == nil {
		return nil, false
	}
	var buf [4]string
	named := connectionNamed(connectionOf(res, fields), buf[:0])
	at, lengths := -1, 0 // the Content-Length field's place in out, the lines that gave it
	for _, f := range fields {
		if leftOut(f.Name, named) {
			continue
		}
		switch f.Name {
		case "Content-Length":
			if lengths++; lengths > 1 {
				continue
			}
			at = len(*out)
		case "Content-Type":
			if contentType == nil {
				contentType = f.Values // the map's first value, all isEventStream reads
			}
		}
		*out = httpsyntax.AppendField(*out, f.Name, f.Values)
	}
	if lengths > 1 || at >= 0 && res.TransferEncoding != nil {
		// The map's: one value for any number of equal lines, none for a chunked body. A
		// single line's value is the map's own (upstream.Fields).
		if length := leanhttp.Values(res, "Content-Length"); len(length) > 0 {
			(*out)[at].Values = length
		} else {
			*out = slices.Delete(*out, at, at+1)
		}
	}
	return contentType, true
}

// connectionOf is the values of the Connection lines of res as the backend sent them, from
// its fields when the lean client read it: the header map drops a Connection header that
// says close (as net/http's reader does), and with it the fields it names beside close.
func connectionOf(res *http.Response, fields []httpsyntax.Field) []string {
	if fields == nil {
		return res.Header["Connection"]
	}
	var out []string
	for _, f := range fields {
		switch {
		case f.Name != "Connection":
		case out == nil:
			out = f.Values // one line, nearly always: no copy
		default:
			out = append(out[:len(out):len(out)], f.Values...)
		}
	}
	return out
}

// connectionNamed appends to named the fields a Connection header's values name, as
// Header.Del keys them, but Keep-Alive (hop-by-hop whatever names it), and returns it.
func connectionNamed(connection, named []string) []string {
	for _, v := range connection {
		for v != "" { // strings.SplitSeq's items, without its iterator's calls
			sf := v
			if i := strings.IndexByte(v, ','); i >= 0 {
				sf, v = v[:i], v[i+1:]
			} else {
				v = ""
			}
			switch sf = textproto.TrimString(sf); sf {
			case "":
			case "keep-alive", "Keep-Alive":
				// Nearly every backend's (nginx's): Keep-Alive is hop-by-hop already
				// (isHopByHop), so naming it leaves nothing more out.
			case "close", "Close":
				named = append(named, "Close")
			default:
				named = append(named, textproto.CanonicalMIMEHeaderKey(sf))
			}
		}
	}
	return named
}

// leftOut reports whether a backend's answer's field k stays out of the client's: a
// hop-by-hop field, one named by its Connection header (named), or the backend's request id.
func leftOut(k string, named []string) bool {
	return isHopByHop(k) || k == requestIDKey || slices.Contains(named, k)
}

// canonicalName is textproto.CanonicalMIMEHeaderKey, with the common case (a name already
// canonical, as every name net/http or the lean transport reads is) checked by case alone:
// CanonicalMIMEHeaderKey returns such a name as it is whatever its other bytes.
func canonicalName(k string) string {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return textproto.CanonicalMIMEHeaderKey(k)
		}
		upper = c == '-'
	}
	return k
}

// isEventStream reports whether a Content-Type is text/event-stream, as ReverseProxy decides
// it (mime.ParseMediaType), parsing only what may be one.
func isEventStream(ct []string) bool {
	if len(ct) == 0 || len(ct[0]) < len("text/event-stream") {
		return false // shorter than the type, as most are (text/plain, application/json)
	}
	base, _, _ := strings.Cut(ct[0], ";")
	if !strings.EqualFold(strings.TrimSpace(base), "text/event-stream") {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct[0])
	return mt == "text/event-stream"
}

func upgradeType(h http.Header) string {
	if !httpguts.HeaderValuesContainsToken(h["Connection"], "Upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

func isPrint(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
