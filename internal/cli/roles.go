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
	"errors"

	"github.com/spf13/cobra"
)

// errNotYet is returned by roles whose implementation has not landed yet.
var errNotYet = errors.New("not implemented yet in this build")

type proxyOptions struct {
	xdsServer, nodeID, httpAddr, adminAddr string
}

func newProxyCommand() *cobra.Command {
	var o proxyOptions
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the data plane: apply snapshots from the controller and serve API requests",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return errNotYet },
	}
	f := cmd.Flags()
	f.StringVar(&o.xdsServer, "xds-server", "", "host:port of the controller's xDS server")
	f.StringVar(&o.nodeID, "node-id", "", "name this proxy reports to the controller (default: the host name)")
	f.StringVar(&o.httpAddr, "http-addr", ":8080", "address API clients connect to")
	f.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9901", "address of the admin endpoint (health, metrics, config, usage); loopback unless you expose it")
	_ = cmd.MarkFlagRequired("xds-server")
	return cmd
}

type standaloneOptions struct {
	files                         []string
	httpAddr, adminAddr, stateDir string
}

func newStandaloneCommand() *cobra.Command {
	var o standaloneOptions
	cmd := &cobra.Command{
		Use:   "standalone -f PATH [-f PATH ...]",
		Short: "Run control plane and data plane in one process, from YAML manifests on disk",
		Example: `  portico standalone -f config/samples
  curl http://localhost:8080/prod/pets`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return errNotYet },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "manifest file or folder (repeatable); reloaded on change")
	f.StringVar(&o.httpAddr, "http-addr", ":8080", "address API clients connect to")
	f.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9901", "address of the admin endpoint; loopback unless you expose it")
	f.StringVar(&o.stateDir, "state-dir", "", "folder for state that survives restarts (quota counters)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}
