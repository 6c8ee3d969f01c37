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

// Command portico is Portico's one binary: `portico controller`, `portico proxy`,
// `portico standalone`, `portico test-invoke` and `portico version`; installed as
// kubectl-portico, it is `kubectl portico`.
package main

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/portico-dev/portico/internal/cli"
)

func main() {
	// SIGTERM and SIGINT cancel the context: each role shuts down gracefully.
	ctx := ctrl.SetupSignalHandler()
	if err := cli.NewCommand(os.Args[0]).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}
