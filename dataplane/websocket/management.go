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
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// HeaderAPIKey carries a management key on @connections calls.
const HeaderAPIKey = "X-Api-Key"

// maxPostBytes bounds a message posted to a connection: AWS's 128 KB.
const maxPostBytes = 128 << 10

// Op is one @connections call on a connection, as it is carried to the replica that holds
// the connection.
type Op struct {
	Method       string `json:"method"`
	ConnectionID string `json:"connectionId"`
	// StageKeys are the stages the caller's key may manage: a connection of another stage
	// is gone, to this caller.
	StageKeys []string `json:"stageKeys"`
	Body      []byte   `json:"body,omitempty"`
}

// Reply is the answer to an Op.
type Reply struct {
	Status int    `json:"status"`
	Body   []byte `json:"body,omitempty"`
}

// Forwarder carries Ops to the replica holding a connection.
type Forwarder interface {
	// Serve receives the Ops for node in the background, until ctx ends, and answers each
	// with handle.
	Serve(ctx context.Context, node string, handle func(Op) Reply) error
	// Call sends op to node and returns its answer; ok is false when no replica is node.
	Call(ctx context.Context, node string, op Op) (reply Reply, ok bool, err error)
}

var gone = Reply{Status: http.StatusGone, Body: []byte(`{"message":"Gone"}`)}

// ManagementHandler serves the @connections API (API.md's table):
//
//	POST   /{stageName}/@connections/{connectionId}   200, the body delivered as one message
//	GET    /{stageName}/@connections/{connectionId}   200 {"connectedAt", "lastActiveAt", "identity"}
//	DELETE /{stageName}/@connections/{connectionId}   204, the connection closed
//
// 410 {"message": "Gone"} for a connection that is gone; 403 without x-api-key or with a key
// not in the stage's managementApiKeys. A connection on another replica is reached through
// the Forwarder.
func (s *Server) ManagementHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := s.serveManagement(errorTypeWriter{w}, r)
		s.metrics.management.WithLabelValues(r.Method, strconv.Itoa(status)).Inc()
	})
}

// managementErrors are the error types of the ApiGatewayManagementApi, by status: AWS's SDKs
// read x-amzn-ErrorType to raise them (a chat backend's `except GoneException` forgets the
// connection).
var managementErrors = map[int]string{
	http.StatusGone:                  "GoneException",
	http.StatusForbidden:             "ForbiddenException",
	http.StatusRequestEntityTooLarge: "PayloadTooLargeException",
	http.StatusTooManyRequests:       "LimitExceededException",
}

// HeaderErrorType is the header AWS's SDKs read an error's type from.
const HeaderErrorType = "X-Amzn-Errortype"

// errorTypeWriter sets x-amzn-ErrorType on an @connections error as it is written.
type errorTypeWriter struct{ http.ResponseWriter }

func (e errorTypeWriter) WriteHeader(status int) {
	if t := managementErrors[status]; t != "" {
		e.Header().Set(HeaderErrorType, t)
	}
	e.ResponseWriter.WriteHeader(status)
}

func (s *Server) serveManagement(w http.ResponseWriter, r *http.Request) int {
	stageName, id, ok := parseManagementPath(r.URL.EscapedPath())
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return http.StatusNotFound
	}
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Method Not Allowed"})
		return http.StatusMethodNotAllowed
	}
	stageKeys := s.authorizedStages(stageName, r.Header.Get(HeaderAPIKey))
	if len(stageKeys) == 0 {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
		return http.StatusForbidden
	}
	op := Op{Method: r.Method, ConnectionID: id, StageKeys: stageKeys}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxPostBytes+1))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
			return http.StatusBadRequest
		}
		if len(body) > maxPostBytes {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Payload Too Large"})
			return http.StatusRequestEntityTooLarge
		}
		op.Body = body
	}
	reply := s.route(r.Context(), op)
	if len(reply.Body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(reply.Status)
	_, _ = w.Write(reply.Body)
	return reply.Status
}

// route answers op here when the connection is here, else asks the replica its id names.
func (s *Server) route(ctx context.Context, op Op) Reply {
	node := nodeOf(op.ConnectionID)
	if node == s.node || s.opts.Forwarder == nil || node == "" {
		return s.manage(op)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	reply, ok, err := s.opts.Forwarder.Call(ctx, node, op)
	switch {
	case err != nil:
		s.opts.Log.Error(err, "forwarding an @connections call", "connectionId", op.ConnectionID)
		return Reply{Status: http.StatusBadGateway, Body: []byte(`{"message":"Bad Gateway"}`)}
	case !ok:
		return gone // no replica answers for the node: its connections are gone
	}
	return reply
}

// manage performs op on a connection of this Server.
func (s *Server) manage(op Op) Reply {
	c := s.get(op.ConnectionID)
	if c == nil || !contains(op.StageKeys, c.stageKey) {
		return gone
	}
	switch op.Method {
	case http.MethodPost:
		if !c.send(messageKind(op.Body), op.Body) {
			return gone
		}
		return Reply{Status: http.StatusOK}
	case http.MethodDelete:
		c.close(websocket.CloseNormalClosure, "Connection deleted")
		return Reply{Status: http.StatusNoContent}
	default:
		const layout = "2006-01-02T15:04:05.000Z"
		body, _ := json.Marshal(map[string]any{
			"connectedAt":  c.connectedAt.UTC().Format(layout),
			"lastActiveAt": time.Unix(0, c.lastActive.Load()).UTC().Format(layout),
			"identity":     map[string]string{"sourceIp": c.sourceIP, "userAgent": c.userAgent},
		})
		return Reply{Status: http.StatusOK, Body: body}
	}
}

// authorizedStages returns the keys of the WEBSOCKET stages named stageName whose
// managementApiKeys hold key, compared as SHA-256 digests as the snapshot carries them.
func (s *Server) authorizedStages(stageName, key string) []string {
	if key == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(key))
	var out []string
	for _, st := range s.proxy.WebSocketStagesNamed(stageName) {
		for _, k := range st.Stage.GetWebsocketManagementKeys() {
			d, err := hex.DecodeString(k.GetSha256())
			if err == nil && subtle.ConstantTimeCompare(d, sum[:]) == 1 {
				out = append(out, st.Stage.GetKey())
				break
			}
		}
	}
	return out
}

// parseManagementPath splits /{stageName}/@connections/{connectionId}.
func parseManagementPath(p string) (stage, id string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] != "@connections" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
