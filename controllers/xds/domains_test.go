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
	"testing"

	"github.com/go-logr/logr"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/ir"
	"github.com/portico-dev/portico/controllers/xds/xdstest"
	"github.com/portico-dev/portico/internal/testpki"
)

func testDomain() (ir.Domain, []ir.Secret) {
	d := ir.Domain{
		Key: "shop/api", DomainName: "api.example.com", SecurityPolicy: "TLS_1_2",
		Certificate: "tls/shop/api-tls", Truststore: "ca/shop/partners/ca.crt",
		Mappings: []ir.BasePathMapping{{BasePath: "orders/v1", Stage: "shop/orders"}, {Stage: "shop/pets"}},
	}
	return d, []ir.Secret{
		{Name: "ca/shop/partners/ca.crt", TrustedCA: []byte("ca")},
		{Name: "tls/shop/api-tls", Certificate: []byte("crt-1"), PrivateKey: []byte("key-1")},
	}
}

// A rotation re-sends the one secret that changed, and neither the domain nor the other
// secret.
func TestDomainsAndSecretRotation(t *testing.T) {
	pki := testpki.New(t)
	s := startServer(t, Options{TLS: &TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}})
	d, secrets := testDomain()
	if n := s.UpdateDomains([]ir.Domain{d}, secrets); n != 3 {
		t.Fatalf("changed = %d, want 3", n)
	}
	c := xdstest.Dial(t, s.addr, "proxy", clientCreds(pki))
	c.Subscribe(xdsv1alpha1.DomainSnapshotTypeURL)
	r := c.RecvType(xdsv1alpha1.DomainSnapshotTypeURL)
	c.Ack(r)
	var got xdsv1alpha1.DomainSnapshot
	if err := r.GetResources()[0].GetResource().UnmarshalTo(&got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, DomainToProto(&d)) {
		t.Errorf("domain = %v", &got)
	}
	key := DomainProgrammedKey("shop/api")
	// The domain without its secrets is not programmed yet.
	xdstest.Eventually(t, "the domain snapshot acknowledged", func() bool { return s.Programmed(key).Proxies == 1 })
	if p := s.Programmed(key); p.Programmed || p.Version == "" || p.Acked != 0 {
		t.Errorf("domain acknowledged without its secrets: %+v", p)
	}
	c.Subscribe(xdsv1alpha1.TLSSecretTypeURL)
	r = c.RecvType(xdsv1alpha1.TLSSecretTypeURL)
	c.Ack(r)
	if len(r.GetResources()) != 2 {
		t.Fatalf("secrets = %d", len(r.GetResources()))
	}
	xdstest.Eventually(t, "the domain programmed", func() bool { return s.Programmed(key).Programmed })
	before := s.Programmed(key).Version
	if _, all := s.ProgrammedStages(); !all[key].Programmed || all[key].Version != before {
		t.Errorf("ProgrammedStages()[%s] = %+v", key, all[key])
	}

	secrets[1].Certificate, secrets[1].PrivateKey = []byte("crt-2"), []byte("key-2")
	if n := s.UpdateDomains([]ir.Domain{d}, secrets); n != 1 {
		t.Fatalf("a rotation changed %d resources, want 1", n)
	}
	// A rotation is a new version of the domain as served, programmed once it is applied.
	if p := s.Programmed(key); p.Programmed || p.Version == before {
		t.Errorf("after a rotation, before its ACK: %+v", p)
	}
	r = c.RecvType(xdsv1alpha1.TLSSecretTypeURL)
	c.Nack(r, "bad key")
	xdstest.Eventually(t, "the rejection reported", func() bool { return s.Programmed(key).Error == "bad key" })
	s.UpdateDomains([]ir.Domain{d}, secrets[:1]) // the certificate gone: the domain cannot be served
	if p := s.Programmed(key); p.Version != "" {
		t.Errorf("a domain without its secret is reported served: %+v", p)
	}
	r = c.RecvType(xdsv1alpha1.TLSSecretTypeURL)
	c.Ack(r)
	s.UpdateDomains([]ir.Domain{d}, secrets)
	r = c.RecvType(xdsv1alpha1.TLSSecretTypeURL)
	c.Ack(r)
	xdstest.Eventually(t, "the rotated domain programmed", func() bool { return s.Programmed(key).Programmed })
	var sec xdsv1alpha1.TlsSecret
	if len(r.GetResources()) != 1 {
		t.Fatalf("rotation sent %d secrets", len(r.GetResources()))
	}
	if err := r.GetResources()[0].GetResource().UnmarshalTo(&sec); err != nil {
		t.Fatal(err)
	}
	if sec.GetName() != "tls/shop/api-tls" || string(sec.GetPrivateKey()) != "key-2" {
		t.Errorf("rotated secret = %s", sec.GetName())
	}
	c.ExpectNone()
}

func TestSecretsOnlyOnSecureChannels(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("10.0.0.7"), Port: 5000}
	loop := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5000}
	for _, tc := range []struct {
		name   string
		peer   *peer.Peer
		secure bool
	}{
		{"plaintext remote", &peer.Peer{Addr: remote}, false},
		{"loopback", &peer.Peer{Addr: loop}, true},
		{"tls remote", &peer.Peer{Addr: remote, AuthInfo: credentials.TLSInfo{}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newMetrics(nil)
			if err != nil {
				t.Fatal(err)
			}
			g := newSecretGate(newTracker(logr.Discard(), m))
			ctx := peer.NewContext(context.Background(), tc.peer)
			if err := g.OnDeltaStreamOpen(ctx, 1, ""); err != nil {
				t.Fatal(err)
			}
			err = g.check(streamKey{delta: true, id: 1}, xdsv1alpha1.TLSSecretTypeURL)
			if (err == nil) != tc.secure {
				t.Errorf("secret subscription error = %v, want secure %v", err, tc.secure)
			}
			if err := g.check(streamKey{delta: true, id: 1}, xdsv1alpha1.DomainSnapshotTypeURL); err != nil {
				t.Errorf("domains refused: %v", err)
			}
			g.OnDeltaStreamClosed(1, nil)
			if len(g.secure) != 0 {
				t.Error("a closed stream is remembered")
			}
		})
	}
}
