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

// Package cli is the portico command line: one binary whose subcommands run the controller,
// the proxy, or both in one process (standalone).
package cli

import (
	"github.com/spf13/cobra"
)

// NewRootCommand returns the portico command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "portico",
		Short: "Portico: Amazon API Gateway for Kubernetes",
		Long: `Portico serves APIs described as Kubernetes custom resources (RestApi, Route,
Authorizer, UsagePlan, Stage): a controller compiles them and pushes them over xDS to
proxies that authenticate, throttle, cache and route each request.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCommand(), newControllerCommand(), newProxyCommand(), newStandaloneCommand(), newTestInvokeCommand(),
		newImportCommand(), newExportCommand())
	return root
}
