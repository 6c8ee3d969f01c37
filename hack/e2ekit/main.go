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

// Command e2ekit is what hack/e2e.sh needs around Portico and that a cluster would provide:
// backends to proxy to, a TCP balancer standing in for the controller's ClusterIP Service,
// and a paced client that reports where requests went. It is test tooling, not part of
// Portico.
//
//	e2ekit backend 127.0.0.1:9080=v1 127.0.0.1:9082=v2
//	e2ekit service 127.0.0.1:18000 127.0.0.1:18001 127.0.0.1:18002
//	e2ekit hit -n 500 -rate 200 -H x-api-key:... http://127.0.0.1:8080/prod/toys
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "backend":
		err = backend(os.Args[2:])
	case "service":
		err = service(os.Args[2:])
	case "hit":
		err = hit(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2ekit:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: e2ekit backend ADDR=NAME... | service LISTEN TARGET... | hit [-n N] [-rate R] [-duration D] [-H k:v] URL")
	os.Exit(2)
}
