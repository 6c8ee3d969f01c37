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

package xds

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Test helpers: a real server on a loopback listener and a small delta ADS client, the way
// Portico's proxy talks to it.

const (
	// waitTimeout bounds every wait for something that must happen; generous for -race on a
	// loaded machine, and never spent when the test passes.
	waitTimeout = 10 * time.Second
	// quietWindow is how long a test watches for a response that must NOT arrive. Absence
	// cannot be observed any other way; a regression (a spurious push) shows up well within
	// it because pushes are synchronous with Update.
	quietWindow = 200 * time.Millisecond
)

type testServer struct {
	*Server
	addr string
	reg  *prometheus.Registry
	// stop cancels Start's context and waits for it to return; the test's cleanup calls it.
	stop func()
}

// startServer serves s on 127.0.0.1:0 until the test ends, then checks that it stopped
// gracefully.
func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Logger.GetSink() == nil {
		opts.Logger = testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx, lis) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Start: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Error("server did not stop")
		}
	})
	t.Cleanup(stop)
	return &testServer{Server: s, addr: lis.Addr().String(), reg: reg, stop: stop}
}

type testClient struct {
	t      *testing.T
	node   string
	conn   *grpc.ClientConn
	cancel context.CancelFunc
	stream discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	resps  chan *discoveryv3.DeltaDiscoveryResponse
	// done is closed when the stream ends; err then holds why.
	done chan struct{}
	err  error
}

// dial opens a delta ADS stream as node, failing the test if it cannot.
func dial(t *testing.T, addr, node string, creds credentials.TransportCredentials) *testClient {
	t.Helper()
	c, err := tryDial(t, addr, node, creds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tryDial opens a delta ADS stream as node. A refused handshake shows as an error here, or
// later as err after done.
func tryDial(t *testing.T, addr, node string, creds credentials.TransportCredentials) (*testClient, error) {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &testClient{
		t: t, node: node, conn: conn, cancel: cancel,
		resps: make(chan *discoveryv3.DeltaDiscoveryResponse, 16),
		done:  make(chan struct{}),
	}
	t.Cleanup(c.close)
	c.stream, err = discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	go func() {
		defer close(c.done)
		for {
			r, err := c.stream.Recv()
			if err != nil {
				c.err = err
				return
			}
			c.resps <- r
		}
	}()
	return c, nil
}

func (c *testClient) close() {
	c.cancel()
	_ = c.conn.Close()
}

func (c *testClient) send(req *discoveryv3.DeltaDiscoveryRequest) {
	c.t.Helper()
	req.Node = &corev3.Node{Id: c.node}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatalf("%s: send: %v", c.node, err)
	}
}

// subscribe starts a wildcard subscription to typeURL (no names: legacy wildcard, as a proxy
// that serves every stage does).
func (c *testClient) subscribe(typeURL string) {
	c.t.Helper()
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL})
}

// recv returns the next response, failing the test after waitTimeout.
func (c *testClient) recv() *discoveryv3.DeltaDiscoveryResponse {
	c.t.Helper()
	select {
	case r := <-c.resps:
		return r
	case <-c.done:
		c.t.Fatalf("%s: stream ended: %v", c.node, c.err)
	case <-time.After(waitTimeout):
		c.t.Fatalf("%s: no response within %v", c.node, waitTimeout)
	}
	return nil
}

// recvType returns the next response for typeURL, failing on any other.
func (c *testClient) recvType(typeURL string) *discoveryv3.DeltaDiscoveryResponse {
	c.t.Helper()
	r := c.recv()
	if r.GetTypeUrl() != typeURL {
		c.t.Fatalf("%s: got a %s response, want %s", c.node, r.GetTypeUrl(), typeURL)
	}
	return r
}

// expectNone fails if a response arrives within quietWindow.
func (c *testClient) expectNone() {
	c.t.Helper()
	select {
	case r := <-c.resps:
		c.t.Fatalf("%s: unexpected response: %v", c.node, r)
	case <-time.After(quietWindow):
	}
}

func (c *testClient) ack(r *discoveryv3.DeltaDiscoveryResponse) {
	c.t.Helper()
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResponseNonce: r.GetNonce()})
}

func (c *testClient) nack(r *discoveryv3.DeltaDiscoveryResponse, msg string) {
	c.t.Helper()
	c.send(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl:       r.GetTypeUrl(),
		ResponseNonce: r.GetNonce(),
		ErrorDetail:   &status.Status{Code: int32(codes.InvalidArgument), Message: msg},
	})
}

// waitDone waits for the stream to end and returns why.
func (c *testClient) waitDone() error {
	c.t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(waitTimeout):
		c.t.Fatalf("%s: stream still open after %v", c.node, waitTimeout)
	}
	return nil
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
