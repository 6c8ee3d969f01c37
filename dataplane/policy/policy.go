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

// Package policy is the resource policy, checked by a stage guard before routing: the subset of an Amazon API Gateway resource
// policy Portico supports, which allows or denies clients by source address. A denied
// address, or one outside a non-empty allow list, gets 403 ACCESS_DENIED; deny wins.
//
// The client address is reqctx.Request.SourceIP, which the proxy computed from the
// connection and, only for connections from its trusted proxies, X-Forwarded-For: this
// package never reads forwarding headers itself, so a client cannot spoof its way in.
package policy

import (
	"fmt"
	"net/netip"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// Policy is a compiled source address policy. The zero value and nil allow every address.
type Policy struct {
	allow, deny *PrefixSet
}

// Compile parses an API's source_ips once. It returns nil, and no error, when the policy
// restricts nothing (unset, or both lists empty), and an error naming the first entry that
// is not a CIDR prefix or an address.
func Compile(s *xdsv1alpha1.SourceIps) (*Policy, error) {
	if len(s.GetAllow()) == 0 && len(s.GetDeny()) == 0 {
		return nil, nil
	}
	allow, err := ParsePrefixes(s.GetAllow())
	if err != nil {
		return nil, fmt.Errorf("source IP allow list: %w", err)
	}
	deny, err := ParsePrefixes(s.GetDeny())
	if err != nil {
		return nil, fmt.Errorf("source IP deny list: %w", err)
	}
	return &Policy{allow: allow, deny: deny}, nil
}

// Allowed reports whether the policy admits addr: not denied, and allowed when the allow
// list is not empty. An invalid address is admitted only by a policy that restricts nothing,
// so a policy fails closed.
func (p *Policy) Allowed(addr netip.Addr) bool {
	if p == nil || (p.allow.Len() == 0 && p.deny.Len() == 0) {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d, and a zone never names
	// a different host: match the plain address, as the prefixes are normalized alike.
	addr = addr.Unmap().WithZone("")
	if p.deny.Contains(addr) {
		return false
	}
	return p.allow.Len() == 0 || p.allow.Contains(addr)
}

// AllowedString is Allowed for an address in text form, such as reqctx.Request.SourceIP.
func (p *Policy) AllowedString(addr string) bool {
	if p == nil {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		a = netip.Addr{}
	}
	return p.Allowed(a)
}
