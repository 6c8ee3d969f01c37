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

package main

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// service forwards each connection accepted on LISTEN to one of TARGETs, taking them in turn
// and skipping those that refuse the connection: what kube-proxy does for a ClusterIP
// Service whose endpoints are the ready pods. Proxies given --xds-server=LISTEN thus reach
// whichever controller is alive, as they do in a cluster.
func service(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("service: give LISTEN and at least one TARGET")
	}
	l, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	targets := args[1:]
	var next atomic.Uint64
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer func() { _ = c.Close() }()
			start := int(next.Add(1))
			for i := range targets {
				u, err := net.DialTimeout("tcp", targets[(start+i)%len(targets)], time.Second)
				if err != nil {
					continue
				}
				defer func() { _ = u.Close() }()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
				<-done // either side closing ends the connection, as a dead pod's does
				return
			}
		}()
	}
}
