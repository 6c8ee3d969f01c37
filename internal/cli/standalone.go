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
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/filesource"
	"github.com/portico-dev/portico/controllers/schema"
	"github.com/portico-dev/portico/controllers/xds"
)

type standaloneOptions struct {
	files                         []string
	httpAddr, adminAddr, stateDir string
	httpsAddr                     string
	httpsExplicit                 bool
	xdsAddr                       string // empty: a free loopback port
	reload, drain                 time.Duration
	log                           logOptions
	dp                            dataPlaneFlags
}

func newStandaloneCommand() *cobra.Command {
	var o standaloneOptions
	cmd := &cobra.Command{
		Use:   "standalone -f PATH [-f PATH ...]",
		Short: "Run control plane and data plane in one process, from YAML manifests on disk",
		Long: `Runs the compiler and a proxy in one process, reading RestApis, Routes, Authorizers,
UsagePlans, Stages, DomainNames, API key and kubernetes.io/tls Secrets, truststore
ConfigMaps, Services and EndpointSlices from files and folders
(recursively). Objects are validated and defaulted as a cluster's API server would; a file
that does not validate is reported with the reason and its last good version keeps serving.
Files are re-read when they change.`,
		Example: `  portico standalone -f config/samples
  curl http://localhost:8080/prod/pets`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.httpsExplicit = cmd.Flags().Changed("https-addr")
			return runStandalone(cmd.Context(), o, nil)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "manifest file or folder (repeatable); reloaded on change")
	f.StringVar(&o.httpAddr, "http-addr", ":8080", "address API clients connect to")
	f.StringVar(&o.httpsAddr, "https-addr", defaultHTTPSAddr, "address of HTTPS for custom domain names (DomainName); empty turns it off")
	f.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9901", "address of the admin endpoint; loopback unless you expose it")
	f.StringVar(&o.stateDir, "state-dir", "", "folder for state that survives restarts: revisions and quota counters")
	f.DurationVar(&o.reload, "reload-interval", time.Second, "how often files are checked for changes")
	f.DurationVar(&o.drain, "drain-timeout", 5*time.Second, "on SIGTERM, how long in-flight requests may finish")
	f.StringVar(&o.xdsAddr, "xds-addr", "127.0.0.1:0", "loopback address of the built-in xDS server, for more proxies on this machine to attach to (portico proxy --xds-server); default: a free port")
	o.log.bind(f)
	o.dp.bind(f)
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// loopbackOnly refuses an address that is not a loopback IP: standalone's xDS server runs
// without TLS, so it must not be reachable from another machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (standalone serves xDS without TLS; run `portico controller` for remote proxies)", host)
	}
	return nil
}

// standaloneHooks let tests listen on port 0 and learn the addresses.
type standaloneHooks struct {
	httpListener, adminListener net.Listener
	// connectionsListener serves @connections; nil serves none.
	connectionsListener net.Listener
	ready               chan<- struct{}
	// httpsListener, when set, serves HTTPS on it.
	httpsListener net.Listener
}

func runStandalone(ctx context.Context, o standaloneOptions, hooks *standaloneHooks) error {
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	var flags dataPlaneOptions
	if err := o.dp.apply(&flags); err != nil {
		return err
	}
	// Other proxies may attach to the xDS server, on this machine only: it has no TLS here.
	xdsAddr := o.xdsAddr
	if xdsAddr == "" {
		xdsAddr = "127.0.0.1:0"
	}
	if err := loopbackOnly(xdsAddr); err != nil {
		return fmt.Errorf("--xds-addr: %w", err)
	}
	validator, err := schema.New()
	if err != nil {
		return fmt.Errorf("loading the CRD schemas: %w", err)
	}
	// One /metrics for the process: the xDS server's pushes and NACKs next to the proxy's.
	reg := prometheus.NewRegistry()
	server, err := xds.New(xds.Options{Logger: log.WithName("xds-server"), Registerer: reg})
	if err != nil {
		return err
	}
	httpAddr := o.httpAddr
	reloader := &filesource.Reloader{
		Source:    &filesource.Source{Paths: o.files, Validator: validator},
		Publisher: server,
		Options:   compile.Options{GatewayURL: gatewayURL(httpAddr), NoKeyGenerator: true},
		StateDir:  o.stateDir,
		Log:       log.WithName("files"),
	}
	// The first load must work: a wrong path or an unreadable folder is the user's to fix now.
	if _, err := reloader.Reload(); err != nil {
		return err
	}
	// The control plane talks to the proxy over real gRPC, on a loopback port of its own:
	// the same wire, ACKs and NACKs as between `portico controller` and `portico proxy`.
	xdsLis, err := net.Listen("tcp", xdsAddr)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return server.Start(gctx, xdsLis) })
	g.Go(func() error { reloader.Run(gctx, o.reload); return nil })
	g.Go(func() error {
		dp := dataPlaneOptions{
			xdsServer: xdsLis.Addr().String(), nodeID: "standalone",
			httpAddr: httpAddr, adminAddr: o.adminAddr, drain: o.drain, log: log, registry: reg,
		}
		dp.region, dp.trustedProxies, dp.stateDir, dp.redis = flags.region, flags.trustedProxies, o.stateDir, flags.redis
		dp.limits = flags.limits
		dp.connectionsAddr, dp.profiling = flags.connectionsAddr, flags.profiling
		dp.https = httpsOptions{addr: o.httpsAddr, explicit: o.httpsExplicit}
		if hooks != nil {
			dp.httpListener, dp.adminListener, dp.ready = hooks.httpListener, hooks.adminListener, hooks.ready
			dp.connectionsListener, dp.connectionsAddr = hooks.connectionsListener, ""
			dp.https.listener = hooks.httpsListener
		}
		err := runDataPlane(gctx, dp)
		if err == nil && gctx.Err() == nil {
			err = errors.New("the data plane stopped")
		}
		return err
	})
	return g.Wait()
}

// gatewayURL is the base URL shown in stage URLs: http://localhost:<port>.
func gatewayURL(httpAddr string) string {
	_, port, err := net.SplitHostPort(httpAddr)
	if err != nil || port == "" {
		return "http://localhost:8080"
	}
	return "http://localhost:" + port
}
