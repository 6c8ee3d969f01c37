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

package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/dataplane/websocket"
	"github.com/portico-dev/portico/internal/redisconn"
)

// newWebSocketServer returns the server of WEBSOCKET APIs. With --state-redis its
// @connections calls reach connections held by other replicas over Redis pub/sub; without,
// each proxy reaches its own connections only, and a call for a connection on another
// replica answers 410 Gone.
func newWebSocketServer(o dataPlaneOptions, reg prometheus.Registerer) (*websocket.Server, func(), error) {
	opts := websocket.Options{Log: o.log.WithName("websocket"), Registerer: reg}
	closeFn := func() {}
	if o.redis.state != "" {
		ro, err := redisconn.ParseURL(o.redis.state, "websocket forwarder")
		if err != nil {
			return nil, nil, fmt.Errorf("--state-redis: %w", err)
		}
		// Pub/sub waits for messages: no read timeout on its connection.
		ro.ReadTimeout = -1
		client := goredis.NewClient(ro)
		opts.Forwarder = websocket.NewRedisForwarder(client, o.redis.prefix, o.log.WithName("websocket"))
		closeFn = func() { _ = client.Close() }
	}
	return websocket.New(opts), closeFn, nil
}

// listenConnections opens the @connections listener; nil when none is configured.
func listenConnections(o dataPlaneOptions) (net.Listener, error) {
	if o.connectionsListener != nil {
		return o.connectionsListener, nil
	}
	if o.connectionsAddr == "" {
		return nil, nil
	}
	return net.Listen("tcp", o.connectionsAddr)
}

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// serveWebSockets runs the WebSocket server's sweeper and the @connections listener until
// gctx ends; then every connection is closed (1001) and gets its $disconnect, within drain.
func serveWebSockets(gctx, ctx context.Context, s *websocket.Server, lis net.Listener, drain time.Duration) error {
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	var srv *http.Server
	if lis != nil {
		srv = &http.Server{Handler: s.ManagementHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(lis) }()
	}
	select {
	case err := <-done:
		stop()
		return err
	case <-gctx.Done():
	}
	if srv != nil {
		_ = srv.Close()
	}
	stop()
	select {
	case err := <-done:
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	case <-time.After(drain):
		return nil
	}
}
