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
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/portico-dev/portico/controllers"
	"github.com/portico-dev/portico/controllers/xds"
	limitsredis "github.com/portico-dev/portico/dataplane/limits/redis"
)

type controllerOptions struct {
	xdsAddr, metricsAddr, healthAddr string
	leaderElect                      bool
	leaderElectionNamespace          string
	gatewayURL                       string
	kubeconfig                       string
	tlsCert, tlsKey, tlsCA           string
	// redis.state is the Redis the proxies keep quota counters in (their --state-redis),
	// read into UsagePlan.status.usage every usageInterval.
	redis         redisFlags
	usageInterval time.Duration
	log           logOptions
}

func newControllerCommand() *cobra.Command {
	o := controllerOptions{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the control plane: watch the API resources and serve snapshots over xDS",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runController(cmd, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.xdsAddr, "xds-addr", ":18000", "address of the xDS (ADS) gRPC server")
	f.StringVar(&o.metricsAddr, "metrics-addr", ":8080", "address of the Prometheus metrics endpoint (0 disables it)")
	f.StringVar(&o.healthAddr, "health-addr", ":8081", "address of the /healthz and /readyz probes")
	f.BoolVar(&o.leaderElect, "leader-elect", false, "elect one active controller among replicas (the others serve xDS and stand by)")
	f.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", defaultNamespace(), "namespace of the leader election Lease (default: $POD_NAMESPACE, or portico-system)")
	f.StringVar(&o.gatewayURL, "gateway-url", "http://localhost:8080", "base URL clients reach the proxies at, shown in Stage.status.url for APIs without hostnames")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster configuration)")
	f.StringVar(&o.tlsCert, "xds-tls-cert", "", "PEM certificate of the xDS server; with --xds-tls-key turns on TLS")
	f.StringVar(&o.tlsKey, "xds-tls-key", "", "PEM private key of the xDS server")
	f.StringVar(&o.tlsCA, "xds-tls-ca", "", "PEM CA bundle proxies' client certificates must chain to (mutual TLS)")
	o.redis.bind(f, "redis://host:port/db the proxies keep throttles and quotas in (their --state-redis, with the same --redis-prefix): the leader reads the quota counters into UsagePlan.status.usage (default: no usage in status; each proxy's /usage reports its own)", false)
	f.DurationVar(&o.usageInterval, "usage-interval", controllers.DefaultUsageInterval, "how often the leader reads the quota counters from --state-redis into UsagePlan.status.usage")
	o.log.bind(f)
	return cmd
}

func defaultNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	return "portico-system"
}

func runController(cmd *cobra.Command, o *controllerOptions) error {
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	ctrl.SetLogger(log)
	if o.usageInterval <= 0 {
		return fmt.Errorf("--usage-interval must be positive, not %s", o.usageInterval)
	}
	var usageStore *limitsredis.Store
	redis := o.redis.resolved()
	if redis.state != "" {
		quietRedis(log)
		// No Registerer: the store's metrics describe the request path's fail-open, which the
		// controller does not take; a read that fails is logged by the usage refresher.
		if usageStore, err = limitsredis.New(limitsredis.Options{Config: redis.stateConfig(log.WithName("limits"), nil)}); err != nil {
			return fmt.Errorf("--state-redis: %w", err)
		}
		defer func() { _ = usageStore.Close() }()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	restConfig, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return err
	}
	var tls *xds.TLSConfig
	if o.tlsCert != "" || o.tlsKey != "" || o.tlsCA != "" {
		tls = &xds.TLSConfig{CertFile: o.tlsCert, KeyFile: o.tlsKey, CAFile: o.tlsCA}
	}
	cfg := controllers.Config{
		RestConfig:              restConfig,
		XDSAddr:                 o.xdsAddr,
		XDSTLS:                  tls,
		MetricsAddr:             o.metricsAddr,
		HealthAddr:              o.healthAddr,
		LeaderElect:             o.leaderElect,
		LeaderElectionNamespace: o.leaderElectionNamespace,
		GatewayURL:              o.gatewayURL,
		UsageInterval:           o.usageInterval,
		Log:                     log,
	}
	if usageStore != nil { // a nil *Store in the interface would not be nil
		cfg.UsageStore = usageStore
	}
	c, err := controllers.New(cfg)
	if err != nil {
		return err
	}
	log.Info("starting the controller", "xds", o.xdsAddr, "tls", tls != nil, "leaderElect", o.leaderElect, "usageInStatus", usageStore != nil)
	return c.Run(cmd.Context())
}
