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
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/portico-dev/portico/dataplane/admin"
	"github.com/portico-dev/portico/dataplane/cache"
	"github.com/portico-dev/portico/dataplane/cache/rediscache"
	"github.com/portico-dev/portico/dataplane/domains"
	"github.com/portico-dev/portico/dataplane/edge"
	"github.com/portico-dev/portico/dataplane/limits"
	limitsredis "github.com/portico-dev/portico/dataplane/limits/redis"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
	"github.com/portico-dev/portico/dataplane/tracing"
	"github.com/portico-dev/portico/dataplane/usage"
	"github.com/portico-dev/portico/dataplane/xdsclient"
)

// dataPlaneOptions configure the proxy side of a process: `portico proxy`, and the proxy half
// of `portico standalone`.
type dataPlaneOptions struct {
	xdsServer, nodeID   string
	tls                 *xdsclient.TLSConfig
	httpAddr, adminAddr string
	// drain bounds how long in-flight requests may finish after SIGTERM.
	drain time.Duration
	// region goes into authorizers' methodArns, as AWS's region does.
	region string
	// trustedProxies are the peers whose X-Forwarded-For is believed.
	trustedProxies []netip.Prefix
	// stateDir, when set, keeps quota counters across restarts.
	stateDir string
	// redis.state, when set, keeps buckets and counters in Redis, shared by every replica;
	// redis.cache shares cached responses between replicas.
	redis redisFlags
	// limits are the edge limits (header and body deadlines, sizes, connections); zero:
	// edge.Defaults().
	limits edge.Limits
	// connectionsAddr serves the WebSocket @connections API; empty serves none (tests).
	connectionsAddr string
	// profiling serves Go's profiles on the admin endpoint (admin.Options.Profiling).
	profiling bool
	// https is the HTTPS listener of custom domain names.
	https httpsOptions
	// httpListener, when set, replaces httpAddr (tests listen on port 0).
	httpListener, adminListener, connectionsListener net.Listener
	log                                              logr.Logger
	// ready is closed once both servers listen; may be nil.
	ready chan<- struct{}
	// registry, when set, is the registry the admin endpoint's /metrics serves; standalone
	// registers its xDS server's metrics there too.
	registry *prometheus.Registry
}

// runDataPlane runs the xDS client, the request path and the admin endpoint until ctx ends,
// then stops accepting connections and drains in-flight requests within drain.
func runDataPlane(ctx context.Context, o dataPlaneOptions) error {
	if o.limits == (edge.Limits{}) {
		o.limits = edge.Defaults()
	}
	reg := o.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store, checkpoint, err := openStore(o, reg)
	if err != nil {
		return err
	}
	shared, err := openSharedCache(o, reg)
	if err != nil {
		return err
	}
	if shared != nil {
		defer func() { _ = shared.Close() }()
	}
	wsrv, closeWS, err := newWebSocketServer(o, reg)
	if err != nil {
		return err
	}
	defer closeWS()
	// Stages with tracing on export through the OTEL_* variables' OTLP exporter.
	tp, err := tracing.FromEnv(ctx, "portico-proxy")
	if err != nil {
		return err
	}
	defer func() { _ = tp.Shutdown(context.WithoutCancel(ctx)) }()
	domainStore := domains.New()
	p := proxy.New(proxy.Options{
		Log: o.log.WithName("proxy"), Registerer: reg, TrustedProxies: o.trustedProxies,
		Guards:    pipeline.Guards(),
		Steps:     pipeline.Steps(pipeline.Options{Region: o.region, Log: o.log.WithName("steps"), Store: store, Registerer: reg, SharedCache: sharedCache(shared)}),
		WebSocket: wsrv,
		Domains:   domainStore,
		Tracing:   tp,
	})
	wsrv.Attach(p)
	client := xdsclient.New(xdsclient.Options{
		Server: o.xdsServer, NodeID: o.nodeID, TLS: o.tls, Applier: p,
		Logger: o.log.WithName("xds"), Registerer: reg, Domains: true,
	})
	adm := admin.New(admin.Options{
		Logger: o.log.WithName("admin"), Gatherer: reg, Ready: client.Ready,
		NotReadyReason: client.NotReadyReason, Config: client.Current, LastNACK: client.LastNACK,
		Profiling: o.profiling,
	})
	adm.Handle("/usage", usage.Handler(client.Current, store, nil))

	httpLis, err := listen(o.httpListener, o.httpAddr)
	if err != nil {
		return fmt.Errorf("--http-addr: %w", err)
	}
	adminLis, err := listen(o.adminListener, o.adminAddr)
	if err != nil {
		_ = httpLis.Close()
		return fmt.Errorf("--admin-addr: %w", err)
	}
	connLis, err := listenConnections(o)
	if err != nil {
		_ = httpLis.Close()
		_ = adminLis.Close()
		return fmt.Errorf("--connections-addr: %w", err)
	}
	// One cap for both listeners: --max-connections counts every client connection.
	slots := edge.NewSlots(o.limits.MaxConnections)
	httpsLis, err := listenHTTPS(o, slots, domainStore, p.WantsHeaderNames)
	if err != nil {
		_ = httpLis.Close()
		_ = adminLis.Close()
		if connLis != nil {
			_ = connLis.Close()
		}
		return err
	}
	// Connections over the cap wait in the kernel's backlog (package edge). The HTTP/1.x
	// server (package h1) keeps each request's head as sent itself: the header names as
	// clients spell them (payload 1.0 events), and whether a request had both lengths
	// (refused: request smuggling); package rawheader asks it.
	httpLis = slots.Listener(httpLis)
	o.log.Info("serving", "http", httpLis.Addr().String(), "admin", adminLis.Addr().String(), "connections", addrOf(connLis),
		"xdsServer", o.xdsServer, "node", o.nodeID, "maxConnections", o.limits.MaxConnections)
	if o.ready != nil {
		close(o.ready)
	}

	g, gctx := errgroup.WithContext(ctx)
	// The last checkpoint is written after the drain, so requests served while draining count.
	checkpointCtx, stopCheckpoint := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCheckpoint()
	g.Go(func() error { return client.Run(gctx) })
	g.Go(func() error { return checkpoint(checkpointCtx) })
	g.Go(func() error { return adm.Serve(gctx, adminLis) })
	g.Go(func() error { return serveWebSockets(gctx, ctx, wsrv, connLis, o.drain) })
	srv := proxy.NewServer(proxy.ServerOptions{Handler: p, Limits: o.limits})
	g.Go(func() error {
		if err := srv.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	var httpsSrv proxy.Server
	if httpsLis != nil {
		httpsSrv = proxy.NewServer(proxy.ServerOptions{Handler: p, Limits: o.limits, TLS: true, ErrorLog: handshakeLog(o.log.WithName("https"))})
		o.log.Info("serving HTTPS", "address", httpsLis.Addr().String())
		g.Go(func() error {
			if err := httpsSrv.Serve(httpsLis); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		// Stop accepting, let in-flight requests finish (long-lived ones get the deadline).
		drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.drain)
		defer cancel()
		start := time.Now()
		err := srv.Shutdown(drainCtx)
		if httpsSrv != nil {
			err = errors.Join(err, httpsSrv.Shutdown(drainCtx))
		}
		stopCheckpoint()
		// The last requests' access log lines, unless stdout stays blocked.
		flushCtx, cancelFlush := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = p.FlushAccessLog(flushCtx)
		cancelFlush()
		o.log.Info("drained", "took", time.Since(start).Round(time.Millisecond), "error", errString(err))
		return nil
	})
	return g.Wait()
}

// openStore opens the store of token buckets and quota counters: Redis, shared by every
// replica, when --state-redis names one; else in memory, with the quota counters checkpointed
// to the state folder when there is one, so a restart keeps them.
func openStore(o dataPlaneOptions, reg prometheus.Registerer) (limits.Store, func(context.Context) error, error) {
	if o.redis.state != "" {
		quietRedis(o.log)
		s, err := limitsredis.New(limitsredis.Options{Config: o.redis.stateConfig(o.log.WithName("limits"), reg)})
		if err != nil {
			return nil, nil, fmt.Errorf("--state-redis: %w", err)
		}
		return s, func(ctx context.Context) error { <-ctx.Done(); return s.Close() }, nil
	}
	if o.stateDir == "" {
		return limits.NewMemory(limits.MemoryOptions{Log: o.log}), func(context.Context) error { return nil }, nil
	}
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("--state-dir: %w", err)
	}
	path := filepath.Join(o.stateDir, "quotas.json")
	m, err := limits.LoadMemory(path, limits.MemoryOptions{Log: o.log})
	if err != nil {
		return nil, nil, fmt.Errorf("--state-dir: %w", err)
	}
	return m, func(ctx context.Context) error { return m.Run(ctx, path, 0) }, nil
}

// openSharedCache opens the response cache's shared level when --cache-redis names a Redis;
// nil without.
func openSharedCache(o dataPlaneOptions, reg prometheus.Registerer) (*rediscache.Cache, error) {
	if o.redis.cache == "" {
		return nil, nil
	}
	quietRedis(o.log)
	c, err := rediscache.New(rediscache.Options{Config: o.redis.cacheConfig(o.log.WithName("cache"), reg)})
	if err != nil {
		return nil, fmt.Errorf("--cache-redis: %w", err)
	}
	return c, nil
}

// sharedCache is c as a cache.Shared: nil, not a nil *rediscache.Cache, without one.
func sharedCache(c *rediscache.Cache) cache.Shared {
	if c == nil {
		return nil
	}
	return c
}

// quietRedis sends go-redis's own lines to debug: it logs every failed dial, and the Redis
// stores already say once per interval that Redis is unreachable.
func quietRedis(log logr.Logger) {
	goredis.SetLogger(redisLogger{log.WithName("redis").V(1)})
}

// redisLogger adapts go-redis's logger to logr.
type redisLogger struct{ log logr.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Info(fmt.Sprintf(format, v...))
}

// dataPlaneFlags binds the flags `portico proxy` and `portico standalone` share.
type dataPlaneFlags struct {
	region          string
	trustedProxies  []string
	redis           redisFlags
	edge            edgeFlags
	connectionsAddr string
	profiling       bool
}

func (d *dataPlaneFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&d.region, "region", "us-east-1", "region written into authorizers' methodArns (arn:aws:execute-api:<region>:...)")
	d.redis.bind(f, "redis://host:port/db keeping throttles and quotas, shared by every proxy replica (default: in memory)", true)
	f.StringVar(&d.connectionsAddr, "connections-addr", "127.0.0.1:9902", "address of the WebSocket @connections management API that backends call; loopback unless you expose it (the chart's Service does)")
	f.StringSliceVar(&d.trustedProxies, "trusted-proxies", nil, "CIDR ranges of load balancers whose X-Forwarded-For is believed (default: none; the connection's address is the client's)")
	f.BoolVar(&d.profiling, "profiling", false, "serve Go's runtime profiles (CPU, heap, goroutines, traces) under /debug/pprof/ on the admin endpoint")
	d.edge.bind(f)
}

func (d *dataPlaneFlags) apply(o *dataPlaneOptions) error {
	o.region, o.redis, o.connectionsAddr, o.profiling = d.region, d.redis.resolved(), d.connectionsAddr, d.profiling
	limits, err := d.edge.limits()
	if err != nil {
		return err
	}
	o.limits = limits
	for _, s := range d.trustedProxies {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(s))
			if aerr != nil {
				return fmt.Errorf("--trusted-proxies: %q is neither a CIDR range nor an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		o.trustedProxies = append(o.trustedProxies, p.Masked())
	}
	return nil
}

func listen(l net.Listener, addr string) (net.Listener, error) {
	if l != nil {
		return l, nil
	}
	return net.Listen("tcp", addr)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
