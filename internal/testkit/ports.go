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

package testkit

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreeAddr returns a loopback address nothing listens on, for another process to listen on
// (a portico binary, redis-server, the Lambda emulator).
//
// The port is picked below the kernel's ephemeral range. A port the kernel handed out for
// ":0" and that was then closed goes back into that range, where any process's next
// outgoing connection may take it as its local port before the child binds it: CI saw
// "bind: address already in use" that way on a busy machine. Ports below the range are
// never given to outgoing connections, so only another explicit pick could take this one,
// and the pick is random over thousands of ports and checked free.
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	const floor = 10000 // clear of well-known and registered service defaults in use here
	if low-floor < 1000 {
		return kernelPort(t)
	}
	for range 50 {
		port := floor + rand.IntN(low-floor)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		_ = l.Close()
		return addr
	}
	return kernelPort(t)
}

// kernelPort is the fallback where the ephemeral range leaves no room below it.
func kernelPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// ephemeralLow is the first port of the kernel's range for outgoing connections (Linux's
// default where it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}
