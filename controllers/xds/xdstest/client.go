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

// Package xdstest is a small delta ADS client for tests: it subscribes, receives, ACKs and
// NACKs on demand, the way a Portico proxy does, so that control-plane tests observe exactly
// what goes over the wire.
package xdstest

import (
	"context"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/portico-dev/portico/internal/testkit"
)

const (
	// WaitTimeout bounds every wait for something that must happen: testkit's, shared by
	// every package's tests.
	WaitTimeout = testkit.WaitTimeout
	// QuietWindow is how long ExpectNone listens for a response that must not come. Proving
	// that nothing is sent is the one place a bounded wait is unavoidable; the server sends
	// within milliseconds of an update, so the window is generous without slowing tests.
	QuietWindow = 200 * time.Millisecond
)

// Client is one delta ADS stream.
type Client struct {
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

// Dial opens a delta ADS stream as node, failing the test if it cannot.
func Dial(t *testing.T, addr, node string, creds credentials.TransportCredentials) *Client {
	t.Helper()
	c, err := TryDial(t, addr, node, creds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TryDial opens a delta ADS stream as node. A refused handshake shows as an error here, or
// later as err after done.
func TryDial(t *testing.T, addr, node string, creds credentials.TransportCredentials) (*Client, error) {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		t: t, node: node, conn: conn, cancel: cancel,
		resps: make(chan *discoveryv3.DeltaDiscoveryResponse, 16),
		done:  make(chan struct{}),
	}
	t.Cleanup(c.Close)
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

// Close ends the stream and the connection.
func (c *Client) Close() {
	c.cancel()
	_ = c.conn.Close()
}

// Send sends a request as the client's node.
func (c *Client) Send(req *discoveryv3.DeltaDiscoveryRequest) {
	c.t.Helper()
	req.Node = &corev3.Node{Id: c.node}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatalf("%s: send: %v", c.node, err)
	}
}

// Subscribe starts a wildcard subscription to typeURL (no names: legacy wildcard, as a proxy
// that serves every stage does).
func (c *Client) Subscribe(typeURL string) {
	c.t.Helper()
	c.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL})
}

// Recv returns the next response, failing the test after WaitTimeout.
func (c *Client) Recv() *discoveryv3.DeltaDiscoveryResponse {
	c.t.Helper()
	select {
	case r := <-c.resps:
		return r
	case <-c.done:
		c.t.Fatalf("%s: stream ended: %v", c.node, c.err)
	case <-time.After(WaitTimeout):
		c.t.Fatalf("%s: no response within %v", c.node, WaitTimeout)
	}
	return nil
}

// RecvType returns the next response for typeURL, failing on any other.
func (c *Client) RecvType(typeURL string) *discoveryv3.DeltaDiscoveryResponse {
	c.t.Helper()
	r := c.Recv()
	if r.GetTypeUrl() != typeURL {
		c.t.Fatalf("%s: got a %s response, want %s", c.node, r.GetTypeUrl(), typeURL)
	}
	return r
}

// ExpectNone fails if a response arrives within QuietWindow.
func (c *Client) ExpectNone() {
	c.t.Helper()
	select {
	case r := <-c.resps:
		c.t.Fatalf("%s: unexpected response: %v", c.node, r)
	case <-time.After(QuietWindow):
	}
}

// Ack acknowledges r.
func (c *Client) Ack(r *discoveryv3.DeltaDiscoveryResponse) {
	c.t.Helper()
	c.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResponseNonce: r.GetNonce()})
}

// Nack rejects r with msg.
func (c *Client) Nack(r *discoveryv3.DeltaDiscoveryResponse, msg string) {
	c.t.Helper()
	c.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResponseNonce: r.GetNonce(), ErrorDetail: errorStatus(msg)})
}

func errorStatus(msg string) *status.Status {
	return &status.Status{Code: int32(codes.InvalidArgument), Message: msg}
}

// sendQuiet sends req as the client's node, returning the error instead of failing the test:
// for goroutines other than the test's.
func (c *Client) sendQuiet(req *discoveryv3.DeltaDiscoveryRequest) error {
	req.Node = &corev3.Node{Id: c.node}
	return c.stream.Send(req)
}

// WaitDone waits for the stream to end and returns why.
func (c *Client) WaitDone() error {
	c.t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(WaitTimeout):
		c.t.Fatalf("%s: stream still open after %v", c.node, WaitTimeout)
	}
	return nil
}

// Eventually polls cond until it holds, failing the test after WaitTimeout.
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, what, cond)
}

// TrySubscribe is Subscribe for streams that may be refused: it returns the send error.
func (c *Client) TrySubscribe(typeURL string) error {
	return c.stream.Send(&discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: c.node}, TypeUrl: typeURL})
}

// TryRecv returns the next response, or the error that ended the stream. It fails the test
// only when neither comes within WaitTimeout.
func (c *Client) TryRecv() (*discoveryv3.DeltaDiscoveryResponse, error) {
	c.t.Helper()
	select {
	case r := <-c.resps:
		return r, nil
	case <-c.done:
		return nil, c.err
	case <-time.After(WaitTimeout):
		c.t.Fatalf("%s: neither a response nor an error within %v", c.node, WaitTimeout)
	}
	return nil, nil
}
