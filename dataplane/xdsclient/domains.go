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
	"fmt"
	"net"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// domainTypes are subscribed to after the stages and endpoints when Options.Domains is set:
// custom domains, and their key material (see types).
var domainTypes = []string{xdsv1alpha1.DomainSnapshotTypeURL, xdsv1alpha1.TLSSecretTypeURL}

// knownTypes are every type the client can decode.
var knownTypes = append(slices.Clone(subscribedTypes), domainTypes...)

// types are the types this client subscribes to, in order. TlsSecrets carry private keys: the
// client asks for them only over TLS or from a server on loopback, which the control plane
// requires too (it ends a stream that asks for them in clear from afar).
func (o *Options) types() []string {
	if !o.Domains {
		return subscribedTypes
	}
	out := append(slices.Clone(subscribedTypes), xdsv1alpha1.DomainSnapshotTypeURL)
	if o.TLS != nil || loopback(o.Server) {
		out = append(out, xdsv1alpha1.TLSSecretTypeURL)
	}
	return out
}

// loopback reports whether addr (host:port) names this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// decodeDomainResource unpacks a DomainSnapshot or a TlsSecret. Errors never quote a
// secret's bytes.
func decodeDomainResource(typeURL, name string, body *anypb.Any) (proto.Message, error) {
	switch typeURL {
	case xdsv1alpha1.DomainSnapshotTypeURL:
		d := &xdsv1alpha1.DomainSnapshot{}
		if err := proto.Unmarshal(body.GetValue(), d); err != nil {
			return nil, fmt.Errorf("decoding DomainSnapshot: %w", err)
		}
		if d.GetKey() != name {
			return nil, fmt.Errorf("key %q differs from the resource name", d.GetKey())
		}
		if d.GetDomainName() == "" || d.GetCertificate() == "" {
			return nil, fmt.Errorf("domain %s has no domain name or certificate", name)
		}
		return d, nil
	case xdsv1alpha1.TLSSecretTypeURL:
		s := &xdsv1alpha1.TlsSecret{}
		if err := proto.Unmarshal(body.GetValue(), s); err != nil {
			return nil, fmt.Errorf("decoding TlsSecret %s", name)
		}
		if s.GetName() != name {
			return nil, fmt.Errorf("secret name %q differs from the resource name", s.GetName())
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported type %q", typeURL)
}
