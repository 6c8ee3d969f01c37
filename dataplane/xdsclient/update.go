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

package xdsclient

import (
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"

	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/internal/rejection"
)

// handle applies one response and returns its ACK or NACK, nil for a response to ignore, and
// whether to resynchronize.
//
// Resources are accepted or rejected one by one (gRFC A46): a resource that fails to decode,
// validate or build keeps its last good version (or stays absent), the others apply, and the
// NACK names each rejected resource with its reason (package rejection) so that the control
// plane counts the others as applied.
//
// The server counts a response's resources as sent whether they are acknowledged or not
// (go-control-plane records them when it sends), and sends a resource again only when it
// changes. That suits a rejected resource: it comes again once fixed. But when a whole
// response is refused (it could not be read resource by resource), its valid resources are
// owed: the proxy does not have them, and the server will not send them again. Once an
// update of the same type is accepted again, a new stream with the versions held makes the
// server send every difference; the NACK itself cannot trigger that, or a resource that
// stays invalid would be resent in a loop.
func (c *Client) handle(resp *discoveryv3.DeltaDiscoveryResponse) (*discoveryv3.DeltaDiscoveryRequest, bool) {
	typeURL := resp.GetTypeUrl()
	if !subscribed(typeURL) {
		// Answering would subscribe to the type; the server never sends one unasked anyway.
		c.log.Info("ignoring an xDS response of a type not subscribed to", "type", typeURL)
		return nil, false
	}
	c.received.Add(int64(len(resp.GetResources())))
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: resp.GetNonce()}
	label := typeLabel(typeURL)
	changed, rejected, err := c.update(resp)
	resync := false
	switch {
	case err != nil:
		c.nack(req, resp, err, err.Error())
		c.log.Error(err, "rejected an xDS update; the previous configuration stays", "type", label,
			"nonce", resp.GetNonce(), "resources", resourceNames(resp), "removed", len(resp.GetRemovedResources()))
		c.owe(resp)
	case len(rejected) > 0:
		reasons := make(map[string]string, len(rejected))
		for name, e := range rejected {
			reasons[name] = e.Error()
		}
		total := len(resp.GetResources()) + len(resp.GetRemovedResources())
		c.nack(req, resp, config.StageErrors(rejected), rejection.Format(reasons, total, maxErrorDetail))
		c.log.Error(config.StageErrors(rejected), "rejected resources of an xDS update; they keep their last good version, the others were applied",
			"type", label, "nonce", resp.GetNonce(), "rejected", slices.Sorted(maps.Keys(rejected)), "resources", total)
		if len(rejected) < total {
			c.accepted[typeURL] = true
		}
		c.settle(resp)
	default:
		c.accepted[typeURL] = true
		c.metrics.updates.WithLabelValues(label, resultACK).Inc()
		c.log.V(1).Info("applied an xDS update", "type", label, "nonce", resp.GetNonce(),
			"resources", len(resp.GetResources()), "removed", len(resp.GetRemovedResources()), "changed", changed)
		c.settle(resp)
		if n := len(c.owed[typeURL]); n > 0 {
			resync = true
			c.log.Info("resynchronizing: resources of a rejected update were not sent again", "type", label, "resources", n)
		}
	}
	if c.applied && !c.ready.Load() && len(c.accepted) == len(c.opts.types()) {
		c.ready.Store(true)
		c.log.Info("ready: configuration applied", "stages", len(c.state.Stages), "clusters", len(c.state.Endpoints))
	}
	return req, resync
}

// nack makes req a NACK of resp with msg as its error_detail, and records it.
func (c *Client) nack(req *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse, err error, msg string) {
	c.lastNACK.Store(&NACKError{
		TypeURL:   resp.GetTypeUrl(),
		Nonce:     resp.GetNonce(),
		Resources: resourceNames(resp),
		Removed:   slices.Sorted(slices.Values(resp.GetRemovedResources())),
		Time:      c.now(),
		Err:       err,
	})
	c.metrics.updates.WithLabelValues(typeLabel(resp.GetTypeUrl()), resultNACK).Inc()
	if len(msg) > maxErrorDetail {
		msg = msg[:maxErrorDetail] + "..."
	}
	req.ErrorDetail = &status.Status{Code: int32(codes.InvalidArgument), Message: msg}
}

// owe records what a rejected response would have changed: the server now believes the
// proxy has it. An empty version stands for a removal.
func (c *Client) owe(resp *discoveryv3.DeltaDiscoveryResponse) {
	typeURL := resp.GetTypeUrl()
	owed := c.owed[typeURL]
	if owed == nil {
		owed = map[string]string{}
		c.owed[typeURL] = owed
	}
	held := c.state.Versions[typeURL]
	for _, r := range resp.GetResources() {
		if r.GetName() != "" {
			owed[r.GetName()] = r.GetVersion()
		}
	}
	for _, name := range resp.GetRemovedResources() {
		owed[name] = ""
	}
	for name, v := range owed {
		if held[name] == v && v != "" {
			delete(owed, name)
		} else if _, ok := held[name]; v == "" && !ok {
			delete(owed, name)
		}
	}
}

// settle forgets what an accepted response brought up to date.
func (c *Client) settle(resp *discoveryv3.DeltaDiscoveryResponse) {
	owed := c.owed[resp.GetTypeUrl()]
	for _, r := range resp.GetResources() {
		delete(owed, r.GetName())
	}
	for _, name := range resp.GetRemovedResources() {
		delete(owed, name)
	}
}

// update decodes resp, applies what of it is valid and commits it. rejected names the
// resources left out, with why; they keep the version held. err means nothing changed. A
// response that changes nothing is not applied again, except before the first
// configuration: an empty control plane is still a configuration to serve (nothing).
func (c *Client) update(resp *discoveryv3.DeltaDiscoveryResponse) (changed bool, rejected map[string]error, err error) {
	u, rejected, err := decodeResponse(c.state, resp)
	if err != nil {
		return false, nil, err
	}
	next, changed := u.applyTo(c.state)
	if !changed && c.applied {
		return false, rejected, nil
	}
	if err := c.apply(next); err != nil {
		var stages config.StageErrors
		if !errors.As(err, &stages) {
			return false, nil, err
		}
		// The stages that did not build keep serving their last good version: hold that
		// one, so that the versions told to the server on reconnection are the truth.
		next = next.WithStagesOf(c.state, slices.Collect(maps.Keys(stages)))
		if rejected == nil {
			rejected = map[string]error{}
		}
		for name, e := range stages {
			rejected[name] = e
		}
	}
	c.state, c.applied = next, true
	c.current.Store(next)
	return changed, rejected, nil
}

// apply calls the Applier, turning a panic into an error: every proxy receives the same
// configuration, so a crash would take the whole fleet down in a loop, where a NACK keeps it
// serving the previous configuration and reports the bug on the Stage.
func (c *Client) apply(cfg *config.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error(nil, "the Applier panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("applying the configuration panicked: %v", r)
		}
	}()
	return c.opts.Applier.Apply(cfg)
}

func resourceNames(resp *discoveryv3.DeltaDiscoveryResponse) []string {
	names := make([]string, 0, len(resp.GetResources()))
	for _, r := range resp.GetResources() {
		names = append(names, r.GetName())
	}
	slices.Sort(names)
	return names
}
