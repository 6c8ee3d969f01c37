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

// Package xdsclient is the proxy's side of the xDS wire: a delta ADS client that receives
// stage snapshots and endpoint assignments from the controller and has them applied.
//
// It follows grpc-go's xDS client rules. Every resource of a response is decoded and
// validated before anything is applied; the response is then applied whole, on top of the
// current state, by the Applier, and acknowledged only after that succeeded. Any failure
// rejects the whole response (NACK with the error) and keeps the previous configuration: a
// resource that failed to decode is never acknowledged, and nothing is applied partially.
// When the stream breaks the proxy keeps serving what it has, reconnects with backoff, and
// tells the server the versions it holds so that only changes are sent again.
package xdsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/internal/version"
)

const (
	// keepaliveTime is how long the connection may be idle before the client pings, so that a
	// control plane that vanished (node lost, partition) is noticed in under a minute rather
	// than after the kernel's TCP timeout. The server tolerates pings every 10s at most.
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 10 * time.Second
	// defaultMaxRecvMsgSize raises gRPC's 4 MiB default: the first response carries every
	// stage at once, and a large API's snapshots exceed 4 MiB together.
	defaultMaxRecvMsgSize = 256 << 20
	// connectTimeout bounds one connection attempt (TCP and TLS handshakes), gRPC's default.
	connectTimeout = 20 * time.Second
	// maxErrorDetail bounds a NACK's message. The control plane shows each stage its own
	// line of it (package rejection), so it may name many stages.
	maxErrorDetail = 64 << 10
)

// Options configure a Client.
type Options struct {
	// Server is the xDS server's address, host:port.
	Server string
	// NodeID names this proxy to the control plane, which reports NACKs by node.
	NodeID string
	// TLS, when set, connects with TLS (mutual TLS with a client certificate); nil means
	// plaintext.
	TLS *TLSConfig
	// Applier builds each configuration into the request path. Required.
	Applier config.Applier
	// Logger receives connection events and rejected updates.
	Logger logr.Logger
	// Registerer gets the portico_proxy_xds_* metrics; nil skips registration.
	Registerer prometheus.Registerer
	// Backoff paces reconnection; zero fields take their defaults.
	Backoff Backoff
	// MaxRecvMsgSize bounds one response; default 256 MiB.
	MaxRecvMsgSize int
	// Now is the clock; default time.Now.
	Now func() time.Time

	// Domains subscribes to custom domains too, and to their certificates when the channel
	// is TLS or the server is on loopback (see Options.types).
	Domains bool
}

// NACKError is a response the client rejected.
type NACKError struct {
	// TypeURL is the rejected response's type.
	TypeURL string
	// Nonce identifies the response on its stream.
	Nonce string
	// Resources names the resources the response sent, sorted, and Removed those it removed.
	Resources []string
	Removed   []string
	// Time is when it was rejected.
	Time time.Time
	// Err is why: what the NACK's error_detail carried.
	Err error
}

func (e *NACKError) Error() string {
	return fmt.Sprintf("rejected %s update: %v", typeLabel(e.TypeURL), e.Err)
}

func (e *NACKError) Unwrap() error { return e.Err }

// Client is a delta ADS client. Run drives it; the other methods are safe to call from any
// goroutine.
type Client struct {
	opts    Options
	log     logr.Logger
	metrics *metrics
	backoff Backoff
	now     func() time.Time

	current   atomic.Pointer[config.Config]
	lastNACK  atomic.Pointer[NACKError]
	ready     atomic.Bool
	connected atomic.Bool

	// Owned by Run's goroutine. state is the committed state (what current points to once
	// something was applied); accepted holds the types of which a response was accepted.
	state    *config.Config
	applied  bool
	accepted map[string]bool
	// owed holds, by type URL then name, the versions of rejected resources that the server
	// believes this proxy has (see handle); an empty version is a removal.
	owed map[string]map[string]string

	// For tests: resources received (bodies, heartbeats included) and streams attempted.
	received atomic.Int64
	attempts atomic.Int64
}

// New creates a Client. It connects when Run is called. It panics when opts.Registerer
// already has the client's metrics: one client per registry.
func New(opts Options) *Client {
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxRecvMsgSize <= 0 {
		opts.MaxRecvMsgSize = defaultMaxRecvMsgSize
	}
	return &Client{
		opts:     opts,
		log:      log.WithValues("server", opts.Server),
		metrics:  newMetrics(opts.Registerer),
		backoff:  opts.Backoff.withDefaults(),
		now:      opts.Now,
		state:    emptyConfig(),
		accepted: map[string]bool{},
	}
}

// Ready reports whether the proxy has a configuration to serve: a response of every
// subscribed type was accepted, so that a new proxy does not turn ready with its routes but
// before their endpoints, nor with nothing at all because its stages were rejected (the
// proxies already serving keep the traffic). It stays true when the control plane goes away.
func (c *Client) Ready() bool { return c.ready.Load() }

// NotReadyReason says why Ready is false, for /readyz; it is empty when ready.
func (c *Client) NotReadyReason() string {
	switch {
	case c.Ready():
		return ""
	case !c.Connected():
		return "not connected to the xDS server " + c.opts.Server
	case c.LastNACK() != nil:
		return "the configuration received was rejected: " + c.LastNACK().Error()
	}
	return "waiting for the configuration from the xDS server"
}

// Connected reports whether a stream is open and the server answered on it.
func (c *Client) Connected() bool { return c.connected.Load() }

// Current is the last configuration applied, nil before the first.
func (c *Client) Current() *config.Config { return c.current.Load() }

// LastNACK is the last rejected response, as a *NACKError; nil when none was rejected.
func (c *Client) LastNACK() error {
	if n := c.lastNACK.Load(); n != nil {
		return n
	}
	return nil
}

// Run connects and keeps the configuration up to date until ctx is cancelled, reconnecting
// whenever the stream breaks. It returns nil when ctx ends, or an error when the options
// cannot work (no applier, unreadable TLS files). Call it once.
func (c *Client) Run(ctx context.Context) error {
	if c.opts.Applier == nil {
		return errors.New("xDS client: no Applier")
	}
	if c.opts.Server == "" {
		return errors.New("xDS client: no server address")
	}
	creds := insecure.NewCredentials()
	if c.opts.TLS != nil {
		cfg, err := c.opts.TLS.clientConfig(c.log)
		if err != nil {
			return err
		}
		creds = credentials.NewTLS(cfg)
	}
	b := c.backoff
	conn, err := grpc.NewClient(c.opts.Server,
		grpc.WithTransportCredentials(creds),
		// gRPC reconnects the connection on its own schedule, 1s to 120s by default; align it
		// with ours so a restarted control plane is reached as fast as the stream retries.
		// MinConnectTimeout must be set with it: zero would give each connection attempt no
		// time at all.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: grpcbackoff.Config{
				BaseDelay: b.Initial, Multiplier: b.Multiplier, Jitter: b.Jitter, MaxDelay: b.Max,
			},
			MinConnectTimeout: connectTimeout,
		}),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepaliveTime, Timeout: keepaliveTimeout, PermitWithoutStream: true}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(c.opts.MaxRecvMsgSize)),
	)
	if err != nil {
		return fmt.Errorf("xDS client: %w", err)
	}
	defer func() { _ = conn.Close() }()
	ads := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)

	var (
		attempt  int       // failed attempts since the last stream the server answered
		lostAt   time.Time // when the last answered stream ended; zero before the first
		reported bool      // whether the current outage was logged at Info
		// previous is the stream a resynchronizing stream replaces: it stays open until the
		// new one is answered, so that the server never sees this proxy disconnected.
		previous context.CancelFunc
	)
	for {
		c.attempts.Add(1)
		sctx, cancel := context.WithCancel(ctx)
		err := c.stream(sctx, ads, func() {
			if previous != nil {
				previous()
				previous = nil
			}
			if c.connected.Swap(true) {
				return // a resynchronization: still connected
			}
			c.metrics.connected.Set(1)
			if lostAt.IsZero() {
				c.log.Info("connected to the xDS server", "node", c.opts.NodeID)
			} else {
				c.metrics.reconnects.Inc()
				c.log.Info("reconnected to the xDS server", "node", c.opts.NodeID,
					"downtime", c.now().Sub(lostAt).String(), "failedAttempts", attempt)
			}
			attempt, reported = 0, false
		})
		if errors.Is(err, errResync) && ctx.Err() == nil {
			previous = cancel
			continue
		}
		cancel()
		if previous != nil {
			previous()
			previous = nil
		}
		wasConnected := c.connected.Swap(false)
		c.metrics.connected.Set(0)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case wasConnected:
			lostAt = c.now()
			reported = true
			c.log.Info("lost the xDS stream; serving the applied configuration while reconnecting", "error", err.Error())
		case !reported:
			reported = true
			c.log.Info("cannot reach the xDS server; retrying", "error", err.Error())
		default:
			c.log.V(1).Info("xDS connection attempt failed", "attempt", attempt+1, "error", err.Error())
		}
		delay := b.delay(attempt)
		attempt++
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// errResync ends a stream to open another at once: see handle.
var errResync = errors.New("resynchronizing")

// stream runs one ADS stream until it breaks, calling answered once the server first
// answers. It always returns an error: errResync when the client wants a new stream, else
// why the stream ended. The caller cancels ctx to close the stream.
func (c *Client) stream(ctx context.Context, ads discoveryv3.AggregatedDiscoveryServiceClient, answered func()) error {
	s, err := ads.DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	send := func(req *discoveryv3.DeltaDiscoveryRequest) error {
		err := s.Send(req)
		if errors.Is(err, io.EOF) {
			// The stream ended; its status comes from Recv.
			_, err = s.Recv()
		}
		return err
	}
	// The server learns the truth from initial_resource_versions: nothing is owed any more.
	c.owed = map[string]map[string]string{}
	for i, typeURL := range c.opts.types() {
		// A wildcard subscription (no names), with the versions held so that the server sends
		// only what changed since: after a reconnection, usually nothing.
		req := &discoveryv3.DeltaDiscoveryRequest{
			TypeUrl:                 typeURL,
			InitialResourceVersions: maps.Clone(c.state.Versions[typeURL]),
		}
		if i == 0 {
			req.Node = &corev3.Node{
				Id:                   c.opts.NodeID,
				UserAgentName:        "portico",
				UserAgentVersionType: &corev3.Node_UserAgentVersion{UserAgentVersion: version.Get().Version},
			}
		}
		if err := send(req); err != nil {
			return err
		}
	}
	first := true
	for {
		resp, err := s.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the server closed the stream")
			}
			return err
		}
		if first {
			first = false
			answered()
		}
		req, resync := c.handle(resp)
		if req == nil {
			continue
		}
		if err := send(req); err != nil {
			return err
		}
		if resync {
			return errResync
		}
	}
}
