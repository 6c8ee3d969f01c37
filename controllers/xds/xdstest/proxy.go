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

package xdstest

import (
	"sync"
	"testing"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
)

// Proxy is a Client that behaves like a Portico proxy: it subscribes to every given type,
// keeps the latest resources, and ACKs each response, or NACKs it when Reject returns a
// message. It runs in the background until the test ends.
type Proxy struct {
	*Client
	mu        sync.Mutex
	resources map[string]map[string]*discoveryv3.Resource // type URL -> name -> resource
	responses int
	reject    func(*discoveryv3.DeltaDiscoveryResponse) string
}

// StartProxy dials addr as node and subscribes to typeURLs. reject may be nil.
func StartProxy(t *testing.T, addr, node string, reject func(*discoveryv3.DeltaDiscoveryResponse) string, typeURLs ...string) *Proxy {
	t.Helper()
	p := &Proxy{Client: Dial(t, addr, node, nil), resources: map[string]map[string]*discoveryv3.Resource{}, reject: reject}
	for _, u := range typeURLs {
		p.Subscribe(u)
	}
	go p.loop()
	return p
}

// SetReject replaces the rejection rule.
func (p *Proxy) SetReject(reject func(*discoveryv3.DeltaDiscoveryResponse) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reject = reject
}

// loop applies responses until the stream ends. It must not fail the test from its own
// goroutine: a broken stream simply stops the loop, and the test sees stale resources.
func (p *Proxy) loop() {
	for {
		select {
		case r := <-p.resps:
			p.apply(r)
		case <-p.done:
			return
		}
	}
}

func (p *Proxy) apply(r *discoveryv3.DeltaDiscoveryResponse) {
	p.mu.Lock()
	reject := p.reject
	p.mu.Unlock()
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: r.GetTypeUrl(), ResponseNonce: r.GetNonce()}
	if reject != nil {
		if msg := reject(r); msg != "" {
			req.ErrorDetail = errorStatus(msg)
			_ = p.sendQuiet(req)
			return
		}
	}
	p.mu.Lock()
	p.responses++
	m := p.resources[r.GetTypeUrl()]
	if m == nil {
		m = map[string]*discoveryv3.Resource{}
		p.resources[r.GetTypeUrl()] = m
	}
	for _, res := range r.GetResources() {
		m[res.GetName()] = res
	}
	for _, name := range r.GetRemovedResources() {
		delete(m, name)
	}
	p.mu.Unlock()
	_ = p.sendQuiet(req)
}

// Resource returns the applied resource of typeURL named name, or nil.
func (p *Proxy) Resource(typeURL, name string) *discoveryv3.Resource {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resources[typeURL][name]
}

// Applied counts the responses applied (ACKed) so far.
func (p *Proxy) Applied() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.responses
}
