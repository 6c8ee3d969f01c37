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
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/portico-dev/portico/dataplane/xdsclient"
)

type proxyOptions struct {
	xdsServer, nodeID, httpAddr, adminAddr string
	httpsAddr                              string
	tlsCA, tlsCert, tlsKey, tlsServerName  string
	drain                                  time.Duration
	stateDir                               string
	log                                    logOptions
	dp                                     dataPlaneFlags
	gc                                     gcFlags
}

func newProxyCommand() *cobra.Command {
	var o proxyOptions
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the data plane: apply snapshots from the controller and serve API requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := o.log.logger()
			if err != nil {
				return err
			}
			if err := o.gc.apply(log, "/sys/fs/cgroup"); err != nil {
				return err
			}
			node := o.nodeID
			if node == "" {
				node, _ = os.Hostname()
			}
			var tls *xdsclient.TLSConfig
			if o.tlsCA != "" || o.tlsCert != "" {
				tls = &xdsclient.TLSConfig{CAFile: o.tlsCA, CertFile: o.tlsCert, KeyFile: o.tlsKey, ServerName: o.tlsServerName}
			}
			dp := dataPlaneOptions{
				xdsServer: o.xdsServer, nodeID: node, tls: tls, httpAddr: o.httpAddr, adminAddr: o.adminAddr,
				drain: o.drain, log: log, stateDir: o.stateDir,
				https: httpsOptions{addr: o.httpsAddr, explicit: cmd.Flags().Changed("https-addr")},
			}
			if err := o.dp.apply(&dp); err != nil {
				return err
			}
			return runDataPlane(cmd.Context(), dp)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.xdsServer, "xds-server", "", "host:port of the controller's xDS server")
	f.StringVar(&o.nodeID, "node-id", "", "name this proxy reports to the controller (default: the host name)")
	f.StringVar(&o.httpAddr, "http-addr", ":8080", "address API clients connect to")
	f.StringVar(&o.httpsAddr, "https-addr", defaultHTTPSAddr, "address of HTTPS for custom domain names (DomainName); empty turns it off")
	f.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9901", "address of the admin endpoint (health, metrics, config, usage); loopback unless you expose it")
	f.StringVar(&o.tlsCA, "xds-tls-ca", "", "PEM CA bundle to verify the xDS server with; turns on TLS")
	f.StringVar(&o.tlsCert, "xds-tls-cert", "", "PEM client certificate, for mutual TLS")
	f.StringVar(&o.tlsKey, "xds-tls-key", "", "PEM client private key, for mutual TLS")
	f.StringVar(&o.tlsServerName, "xds-tls-server-name", "", "name to verify the xDS server's certificate against (default: the host of --xds-server)")
	f.DurationVar(&o.drain, "drain-timeout", 25*time.Second, "on SIGTERM, how long in-flight requests may finish")
	f.StringVar(&o.stateDir, "state-dir", "", "folder where quota counters are checkpointed, so a restart keeps them")
	o.log.bind(f)
	o.dp.bind(f)
	o.gc.bind(f)
	_ = cmd.MarkFlagRequired("xds-server")
	return cmd
}
