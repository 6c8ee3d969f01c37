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
	"encoding/pem"
	"strings"
)

// ClientCert is the certificate a client presented to a mutual TLS domain, as Amazon API
// Gateway shows it in $context.identity.clientCert.* and requestContext.identity.clientCert.
type ClientCert struct {
	ClientCertPem string
	SubjectDN     string
	IssuerDN      string
	// SerialNumber is colon-separated lower-case hex, as AWS writes it.
	SerialNumber string
	// NotBefore and NotAfter are as AWS writes them: "May 28 12:30:02 2019 GMT".
	NotBefore, NotAfter string
}

// awsTime is the layout of AWS's validity dates.
const awsTime = "Jan _2 15:04:05 2006 GMT"

// NewClientCert describes c.
func NewClientCert(c *x509.Certificate) *ClientCert {
	hex := c.SerialNumber.Text(16)
	if len(hex)%2 == 1 {
		hex = "0" + hex
	}
	var serial strings.Builder
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			serial.WriteByte(':')
		}
		serial.WriteString(hex[i : i+2])
	}
	return &ClientCert{
		ClientCertPem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
		SubjectDN:     c.Subject.String(),
		IssuerDN:      c.Issuer.String(),
		SerialNumber:  serial.String(),
		NotBefore:     c.NotBefore.UTC().Format(awsTime),
		NotAfter:      c.NotAfter.UTC().Format(awsTime),
	}
}
