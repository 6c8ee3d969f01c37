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
	"github.com/spf13/pflag"

	"github.com/portico-dev/portico/dataplane/edge"
)

// edgeFlags bind the edge limits (package edge) on `portico proxy` and `portico standalone`.
// --max-connections defaults to 0, derived from the open file limit when the proxy starts,
// so that --help shows the same default on every machine.
type edgeFlags struct {
	l     edge.Limits
	bound bool // false in tests that build options without flags: the defaults apply
}

func (e *edgeFlags) bind(f *pflag.FlagSet) {
	e.bound = true
	d := edge.Defaults()
	f.DurationVar(&e.l.ReadHeaderTimeout, "read-header-timeout", d.ReadHeaderTimeout, "how long a client may take to send a request's line and headers; 0 turns the limit off")
	f.IntVar(&e.l.MaxHeaderBytes, "max-header-bytes", d.MaxHeaderBytes, "largest request line and headers, in bytes; larger requests get 431")
	f.DurationVar(&e.l.BodyTimeout, "body-timeout", d.BodyTimeout, "longest a request body may stall, and the grace before --body-min-rate applies; slower clients get 408 and are disconnected; 0 turns both off")
	f.IntVar(&e.l.MinBodyRate, "body-min-rate", d.MinBodyRate, "slowest a request body may arrive after --body-timeout, in bytes per second; 0 turns the rate off")
	f.IntVar(&e.l.MaxConnections, "max-connections", 0, "client connections served at once, HTTP and HTTPS together; more wait in the kernel's backlog (default 0: half the open file limit, at most 4096)")
	f.DurationVar(&e.l.IdleTimeout, "idle-timeout", d.IdleTimeout, "how long a keep-alive connection may wait for its next request; keep it above your load balancer's idle timeout")
	f.DurationVar(&e.l.WriteTimeout, "write-timeout", d.WriteTimeout, "longest one write to a client that does not read may block (not the whole response: responses stream); 0 turns it off")
}

// limits returns the limits, MaxConnections resolved, or why they are wrong.
func (e *edgeFlags) limits() (edge.Limits, error) {
	if !e.bound {
		return edge.Defaults(), nil
	}
	l := e.l
	if err := l.Validate(); err != nil {
		return l, err
	}
	if l.MaxConnections == 0 {
		l.MaxConnections = edge.DefaultMaxConnections()
	}
	return l, nil
}
