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

package reqctx

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestNewClientCert(t *testing.T) {
	c := &x509.Certificate{
		Raw:          []byte{1, 2, 3},
		SerialNumber: big.NewInt(0xa1b2c),
		Subject:      pkix.Name{CommonName: "partner-a", Organization: []string{"Acme"}},
		Issuer:       pkix.Name{CommonName: "partners CA"},
		NotBefore:    time.Date(2019, 5, 28, 12, 30, 2, 0, time.UTC),
		NotAfter:     time.Date(2119, 5, 5, 12, 30, 2, 0, time.UTC),
	}
	got := NewClientCert(c)
	if got.SerialNumber != "0a:1b:2c" || got.SubjectDN != "CN=partner-a,O=Acme" || got.IssuerDN != "CN=partners CA" {
		t.Errorf("got %+v", got)
	}
	if got.NotBefore != "May 28 12:30:02 2019 GMT" || got.NotAfter != "May  5 12:30:02 2119 GMT" {
		t.Errorf("validity %q to %q", got.NotBefore, got.NotAfter)
	}
	if !strings.HasPrefix(got.ClientCertPem, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("pem %q", got.ClientCertPem)
	}
}
