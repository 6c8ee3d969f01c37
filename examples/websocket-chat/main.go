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

// Command websocket-chat is the backend of Amazon API Gateway's "simple WebSocket chat"
// sample, for Portico: one LAMBDA_PROXY function (an HTTP service speaking the Lambda event
// and response JSON) behind $connect, $disconnect and sendmessage. $connect stores the
// connection id, $disconnect forgets it, and sendmessage ({"action":"sendmessage","data":"hi"})
// posts the data to every connection through the @connections API, forgetting those that
// answer 410 Gone. The original keeps the ids in DynamoDB; this one keeps them in memory,
// so run one replica.
//
//	PORTICO_CONNECTIONS_URL  base of @connections, e.g. http://127.0.0.1:9902/chat
//	PORTICO_MANAGEMENT_KEY   a key listed in the RestApi's websocket.managementApiKeys
//	LISTEN                   address to listen on (default :8080)
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

type event struct {
	RequestContext struct {
		RouteKey     string `json:"routeKey"`
		ConnectionID string `json:"connectionId"`
	} `json:"requestContext"`
	Body string `json:"body"`
}

type chat struct {
	mu    sync.Mutex
	conns map[string]bool
	base  string
	key   string
	http  *http.Client
}

func main() {
	c := &chat{
		conns: map[string]bool{},
		base:  os.Getenv("PORTICO_CONNECTIONS_URL"),
		key:   os.Getenv("PORTICO_MANAGEMENT_KEY"),
		http:  &http.Client{Timeout: 5 * time.Second},
	}
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = ":8080"
	}
	log.Printf("chat backend on %s, @connections at %s", addr, c.base)
	srv := &http.Server{Addr: addr, Handler: c, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// ServeHTTP answers one event with a Lambda proxy response.
func (c *chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e event
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := e.RequestContext.ConnectionID
	status := http.StatusOK
	switch e.RequestContext.RouteKey {
	case "$connect":
		c.mu.Lock()
		c.conns[id] = true
		c.mu.Unlock()
	case "$disconnect":
		c.forget(id)
	case "sendmessage":
		var msg struct {
			Data string `json:"data"`
		}
		if json.Unmarshal([]byte(e.Body), &msg) != nil {
			status = http.StatusBadRequest
			break
		}
		c.broadcast([]byte(msg.Data))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": status})
}

func (c *chat) forget(id string) {
	c.mu.Lock()
	delete(c.conns, id)
	c.mu.Unlock()
}

// broadcast posts data to every connection; a connection that is gone is forgotten.
func (c *chat) broadcast(data []byte) {
	c.mu.Lock()
	ids := make([]string, 0, len(c.conns))
	for id := range c.conns {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		req, err := http.NewRequest(http.MethodPost, c.base+"/@connections/"+id, bytes.NewReader(data))
		if err != nil {
			continue
		}
		req.Header.Set("x-api-key", c.key)
		resp, err := c.http.Do(req)
		if err != nil {
			log.Printf("posting to %s: %v", id, err)
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusGone {
			c.forget(id)
		}
	}
}
