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

package websocket

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// conn is one client connection and what $connect established for it.
type conn struct {
	srv *Server
	ws  *websocket.Conn
	id  string

	stageKey, variant         string
	connectedAt               time.Time
	sourceIP, userAgent, host string
	// apiKeyID and apiKey are the key $connect accepted; clientCert the upgrade's mutual
	// TLS certificate. Every event of the connection carries them, as AWS's do.
	apiKeyID, apiKey string
	clientCert       *reqctx.ClientCert
	authorizer       reqctx.Authorizer

	// last is the stage as the last event or sweep saw it: $disconnect runs on it when the
	// stage is gone.
	last       atomic.Pointer[proxy.WSStage]
	lastActive atomic.Int64 // unix nanoseconds

	// inFlight holds a token for each message being routed (Options.MessagesInFlight);
	// routing counts them, so that $disconnect comes after the last.
	inFlight chan struct{}
	routing  sync.WaitGroup

	mu          sync.Mutex
	queue       []outbound
	queuedBytes int
	writing     bool
	closed      bool
	closeCode   int
	closeReason string
	closeOnce   sync.Once
}

type outbound struct {
	kind int
	data []byte
}

// Upgrade serves a request to a WEBSOCKET stage's root: $connect decides, then the
// connection is upgraded and read, until it ends, by a goroutine of its own, which then runs
// $disconnect.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request, st *proxy.WSStage) {
	if !websocket.IsWebSocketUpgrade(r) {
		writeJSON(w, http.StatusUpgradeRequired, map[string]string{"message": "Upgrade Required"})
		return
	}
	if s.isClosing() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
		return
	}
	rc := reqctx.From(r.Context())
	c := &conn{srv: s, id: s.newConnectionID(), stageKey: st.Stage.GetKey(), variant: st.Variant,
		connectedAt: s.opts.Now(), userAgent: r.UserAgent(), inFlight: make(chan struct{}, s.opts.MessagesInFlight)}
	if rc != nil {
		c.sourceIP, c.host, c.clientCert = rc.SourceIP, rc.Host, rc.ClientCert
	}
	c.last.Store(st)
	c.touch()

	header := http.Header{}
	// Without a $connect route every connection is accepted; ServeEvent still logs it.
	if st.Has(proxy.RouteConnect) || st.Logged() {
		ev := c.event(proxy.EventConnect)
		ev.SelectedAPIKey, ev.KeySelected = selectAPIKey(r, st.API.GetApiKeySelectionExpression())
		res := s.proxy.ServeEvent(context.WithoutCancel(r.Context()), st, proxy.RouteConnect, ev, r)
		s.metrics.event(proxy.EventConnect)
		if res.Status < 200 || res.Status > 299 {
			// Refused: the client gets the route's answer, a gateway response or the
			// integration's status.
			s.metrics.error("connect_refused")
			for k, v := range res.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(res.Status)
			_, _ = w.Write(res.Body)
			return
		}
		c.authorizer, c.apiKeyID, c.apiKey = res.Authorizer, res.APIKeyID, res.APIKey
		header.Set("X-Request-Id", res.RequestID)
		// A subprotocol is the integration's to choose, as in AWS.
		if p := res.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			header.Set("Sec-WebSocket-Protocol", p)
		}
	} else {
		s.metrics.event(proxy.EventConnect)
	}
	// The connection is known before the 101 goes out: a client that has its answer may have
	// its backend post to it at once (the chat sample broadcasts on the first message), and
	// @connections must not answer 410 then. Until the upgrade is done, messages queue
	// (writing holds the writer back) and a close only marks the connection.
	c.writing = true
	s.mu.Lock()
	if s.closing {
		// Run's shutdown began during $connect, which the backend has seen: no $disconnect
		// follows, as none does for a connection the upgrade fails.
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
		return
	}
	s.conns[c.id] = c
	// Added under the lock Run's shutdown takes: never once its Wait began.
	s.wg.Add(1)
	s.mu.Unlock()
	ws, err := s.upgrader.Upgrade(w, r, header)
	if err != nil {
		s.mu.Lock()
		delete(s.conns, c.id)
		s.mu.Unlock()
		s.wg.Done()
		c.mu.Lock()
		c.closed, c.queue, c.queuedBytes = true, nil, 0
		c.mu.Unlock()
		s.metrics.error("upgrade")
		return // the upgrader answered
	}
	c.mu.Lock()
	c.ws = ws
	closed := c.closed
	c.writing = len(c.queue) > 0 && !closed
	start := c.writing
	c.mu.Unlock()
	if closed {
		_ = ws.NetConn().Close() // closed during the upgrade: the reader ends it
	}
	if start {
		go c.write()
	}
	s.metrics.connections.Inc()
	// The reader is a goroutine of its own, and the upgrade request's returns: its stack,
	// grown by the request path, and everything the request held (headers, its context, the
	// proxy's per-request state) would otherwise stay alive as long as the connection.
	go func() {
		defer s.wg.Done()
		c.read()
		c.routing.Wait() // the messages read before the end are answered (or not) first
		s.mu.Lock()
		delete(s.conns, c.id)
		s.mu.Unlock()
		s.metrics.connections.Dec()
		c.disconnect()
	}()
}

// selectAPIKey returns the API key where apiKeySelectionExpression says, and whether the
// expression selects one (false: the API key step reads x-api-key, or the authorizer's
// usageIdentifierKey, which the compiler turns into apiKeySource AUTHORIZER). The request
// itself is left as the client sent it: authorizers and the $connect event see its headers
// and query, not a header the gateway made up; only the selected value may be the key.
func selectAPIKey(r *http.Request, expr string) (string, bool) {
	switch {
	case strings.HasPrefix(expr, "$request.header."):
		return r.Header.Get(strings.TrimPrefix(expr, "$request.header.")), true
	case strings.HasPrefix(expr, "$request.querystring."):
		return r.URL.Query().Get(strings.TrimPrefix(expr, "$request.querystring.")), true
	}
	return "", false
}

// event returns an event of this connection, with what $connect established.
func (c *conn) event(typ string) *proxy.Event {
	return &proxy.Event{
		Type: typ, ConnectionID: c.id, ConnectedAt: c.connectedAt,
		SourceIP: c.sourceIP, UserAgent: c.userAgent, Host: c.host,
		APIKeyID: c.apiKeyID, APIKey: c.apiKey, Authorizer: c.authorizer, ClientCert: c.clientCert,
	}
}

func (c *conn) touch() { c.lastActive.Store(c.srv.opts.Now().UnixNano()) }

// read reads messages until the connection ends, and routes each.
func (c *conn) read() {
	for {
		c.ws.SetReadLimit(limitsOf(c.last.Load()).maxMessage)
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		c.touch()
		if kind == websocket.TextMessage && !utf8.Valid(data) {
			// RFC 6455 8.1: a text message that is not UTF-8 fails the connection (1007).
			// gorilla/websocket leaves the check to its caller.
			c.srv.metrics.error("invalid_utf8")
			c.close(websocket.CloseInvalidFramePayloadData, "Invalid UTF-8 in a text message")
			continue // the next read fails, and records nothing over this close
		}
		c.inFlight <- struct{}{} // past the bound, the client's next message waits unread
		c.routing.Add(1)
		go func() {
			defer func() { <-c.inFlight; c.routing.Done() }()
			c.srv.message(c, kind, data)
		}()
	}
}

// readFailed records why the connection ended, unless the proxy closed it and said why.
func (c *conn) readFailed(err error) {
	code, reason := websocket.CloseAbnormalClosure, "Connection closed abnormally"
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		code, reason = ce.Code, ce.Text
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has sent 1009 already.
		code, reason = websocket.CloseMessageTooBig, "Message too big"
		c.srv.metrics.error("message_too_big")
	case isProtocolError(err):
		// gorilla has sent 1002 already.
		code, reason = websocket.CloseProtocolError, "Protocol error"
		c.srv.metrics.error("protocol")
	}
	c.mu.Lock()
	if !c.closed {
		c.closed, c.closeCode, c.closeReason = true, code, reason
	}
	c.mu.Unlock()
	_ = c.ws.NetConn().Close()
}

// isProtocolError reports whether a read failed on a frame that breaks RFC 6455 (unmasked,
// reserved bits, a bad opcode or control frame), after which gorilla/websocket has sent a
// 1002 close. gorilla gives these errors no type of their own: they are the ones that are
// neither the connection's (network, end of stream) nor a close.
func isProtocolError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return false
	}
	return strings.HasPrefix(err.Error(), "websocket: ")
}

// message routes one message and sends back what the client is owed.
func (s *Server) message(c *conn, kind int, data []byte) {
	s.metrics.event(proxy.EventMessage)
	st := s.proxy.WebSocketStage(c.stageKey, c.variant)
	if st == nil {
		c.close(websocket.CloseGoingAway, "Going away")
		return
	}
	c.last.Store(st)
	ev := c.event(proxy.EventMessage)
	ev.MessageID, ev.Body, ev.Binary = randomID(9), data, kind == websocket.BinaryMessage
	key := selectRouteKey(st.API.GetRouteSelectionExpression(), data)
	res := s.proxy.ServeEvent(context.Background(), st, key, ev, nil)
	switch {
	case !res.Routed:
		s.metrics.error("forbidden")
		c.sendJSON(map[string]string{"message": "Forbidden", "connectionId": c.id, "requestId": res.RequestID})
	case res.Header.Get("X-Portico-Error-Type") != "":
		// A refusal (throttled, integration failure) says so, as AWS does, one-way or not.
		// A backend's own answer, 5xx or not, is its body on a two-way route and nothing
		// on a one-way one.
		s.metrics.error("integration")
		c.sendJSON(map[string]string{"message": errorMessage(res), "connectionId": c.id, "requestId": res.RequestID})
	case res.TwoWay && len(res.Body) > 0:
		c.send(messageKind(res.Body), res.Body)
	}
}

// errorMessage is the message of a gateway response body, else the status text.
func errorMessage(res proxy.EventResult) string {
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(res.Body, &body) == nil && body.Message != "" {
		return body.Message
	}
	if res.Status >= 500 {
		return "Internal server error"
	}
	return http.StatusText(res.Status)
}

// messageKind sends valid UTF-8 as text, anything else as binary.
func messageKind(b []byte) int {
	if utf8.Valid(b) {
		return websocket.TextMessage
	}
	return websocket.BinaryMessage
}

func (c *conn) sendJSON(v any) {
	b, _ := json.Marshal(v)
	c.send(websocket.TextMessage, b)
}

// send queues a message for the client. A client whose queue is full is too slow: it is
// closed (1008) rather than let the proxy's memory grow. It returns false when the message
// will not be sent.
func (c *conn) send(kind int, data []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.srv.opts.SendQueueMessages || c.queuedBytes+len(data) > c.srv.opts.SendQueueBytes {
		c.mu.Unlock()
		c.srv.metrics.error("slow_client")
		c.close(websocket.ClosePolicyViolation, "Client too slow")
		return false
	}
	c.queue = append(c.queue, outbound{kind, data})
	c.queuedBytes += len(data)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.write()
	}
	return true
}

// write sends the queued messages, then exits: an idle connection has no writer goroutine.
func (c *conn) write() {
	for {
		c.mu.Lock()
		if c.closed || len(c.queue) == 0 {
			c.writing = false
			c.queue, c.queuedBytes = nil, 0
			c.mu.Unlock()
			return
		}
		m := c.queue[0]
		c.queue[0] = outbound{}
		c.queue = c.queue[1:]
		c.queuedBytes -= len(m.data)
		c.mu.Unlock()
		_ = c.ws.SetWriteDeadline(time.Now().Add(c.srv.opts.WriteTimeout))
		if err := c.ws.WriteMessage(m.kind, m.data); err != nil {
			c.srv.metrics.error("write")
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			c.close(websocket.CloseAbnormalClosure, "Write failed")
			return
		}
		c.touch()
	}
}

// close ends the connection with code and reason, once; the reader then runs $disconnect.
func (c *conn) close(code int, reason string) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		already := c.closed
		if !already {
			c.closed, c.closeCode, c.closeReason = true, code, reason
		}
		c.queue, c.queuedBytes = nil, 0
		ws := c.ws
		c.mu.Unlock()
		if ws == nil {
			return // not upgraded yet: Upgrade closes it when it is
		}
		if !already && code != websocket.CloseAbnormalClosure {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		_ = ws.NetConn().Close()
	})
}

// disconnect runs $disconnect, best effort, on the stage as served now or, when it is
// gone, as the connection last saw it.
func (c *conn) disconnect() {
	c.srv.metrics.event(proxy.EventDisconnect)
	st := c.srv.proxy.WebSocketStage(c.stageKey, c.variant)
	if st == nil {
		st = c.last.Load()
	}
	if st == nil || !st.Has(proxy.RouteDisconnect) && !st.Logged() {
		return
	}
	// Without a $disconnect route, ServeEvent only logs the event.
	c.mu.Lock()
	ev := c.event(proxy.EventDisconnect)
	ev.DisconnectStatusCode, ev.DisconnectReason = c.closeCode, c.closeReason
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.srv.proxy.ServeEvent(ctx, st, proxy.RouteDisconnect, ev, nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
