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

// Package redistest runs a real redis-server on a loopback port for tests: the Redis limits
// store, the shared response cache, the controller's usage summary and the CLI's end-to-end
// tests all start theirs the same way.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/internal/testkit"
)

// Server is a real redis-server on a loopback port, started for one test; stop and start it
// again to simulate an outage, on the same port so that clients find it back.
type Server struct {
	port int
	dir  string // where shutdown saves the data, and start loads it
	log  lockedBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start starts a redis-server for t, without automatic snapshots, and stops it at cleanup. Without redis-server it
// skips the test, except in CI, where a missing server is a broken machine, not a reason to
// skip.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found (%v); .ci/run installs it", err)
		}
		t.Skipf("redis-server not found (%v): install it (Debian: apt-get install redis-server) to run the Redis store tests", err)
	}
	// Below the ephemeral range (testkit.FreeAddr): the port is released at each simulated
	// outage, and an outgoing connection must not take it before the server comes back.
	_, p, _ := net.SplitHostPort(testkit.FreeAddr(t))
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{port: port, dir: t.TempDir()}
	s.Start(t)
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string {
	return "redis://" + s.Addr() + "/0"
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Start runs redis-server without persistence and waits until it answers PING.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		t.Fatal("redis-server already running")
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", s.dir)
	cmd.Stdout = &s.log
	cmd.Stderr = &s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	s.cmd = cmd
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer func() { _ = c.Close() }()
	deadline := time.Now().Add(testkit.WaitTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not answer PING within %v: %v\n%s", s.port, testkit.WaitTimeout, err, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer collects redis-server's output, which exec copies from another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Shutdown stops the server the way an operator would, saving its data for the next start.
func (s *Server) Shutdown(t testing.TB) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer func() { _ = c.Close() }()
	// The server closes the connection as it exits: the error is the expected answer.
	_ = c.ShutdownSave(context.Background()).Err()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("redis-server shutdown: %v\n%s", err, s.log.String())
	}
	s.cmd = nil
}

// Stop kills the server and waits for it to exit; stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	var exit *exec.ExitError
	if err := s.cmd.Wait(); err != nil && !errors.As(err, &exit) {
		panic(err)
	}
	s.cmd = nil
}
