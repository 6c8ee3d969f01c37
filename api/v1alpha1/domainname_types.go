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

package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SecurityPolicy is the minimum TLS version of a domain, with the cipher suites Amazon API
// Gateway's policy of that name allows.
// +kubebuilder:validation:Enum=TLS_1_0;TLS_1_2;TLS_1_3
type SecurityPolicy string

// Security policies.
const (
	SecurityPolicyTLS10 SecurityPolicy = "TLS_1_0"
	SecurityPolicyTLS12 SecurityPolicy = "TLS_1_2"
	SecurityPolicyTLS13 SecurityPolicy = "TLS_1_3"
)

// DefaultTruststoreKey is the ConfigMap key a truststore is read from when none is named.
const DefaultTruststoreKey = "ca.crt"

// CertificateExpiringWindow is how close to its notAfter a certificate sets the condition
// CertificateExpiring (14 days, as AWS Certificate Manager warns).
const CertificateExpiringWindow = 14 * 24 * time.Hour

// DomainName conditions and reasons.
const (
	// ConditionCertificateExpiring is True when the certificate expires within 14 days.
	ConditionCertificateExpiring = "CertificateExpiring"
	ReasonCertificateExpiring    = "CertificateExpiring"
	ReasonCertificateValid       = "CertificateValid"
	// ReasonCertificateNotFound: the certificateRef Secret does not exist.
	ReasonCertificateNotFound = "CertificateNotFound"
	// ReasonInvalidCertificate: the Secret is not kubernetes.io/tls, or its tls.crt and tls.key
	// do not parse or do not match, or the certificate has expired.
	ReasonInvalidCertificate = "InvalidCertificate"
	// ReasonCertificateNameMismatch: the certificate does not cover spec.domainName.
	ReasonCertificateNameMismatch = "CertificateNameMismatch"
	// ReasonTruststoreNotFound: the truststore ConfigMap or its key does not exist.
	ReasonTruststoreNotFound = "TruststoreNotFound"
	// ReasonInvalidTruststore: the truststore holds no PEM certificate.
	ReasonInvalidTruststore = "InvalidTruststore"
	// ReasonDomainConflict: an older DomainName claims the same domain.
	ReasonDomainConflict = "DomainConflict"
)

// DomainNameSpec is a custom domain name: a certificate served by SNI, a TLS policy, optional
// mutual TLS, and the APIs served under it by base path.
// +kubebuilder:validation:XValidation:rule="!has(self.mutualTLS) || !has(self.securityPolicy) || self.securityPolicy != 'TLS_1_0'",message="mutualTLS needs securityPolicy TLS_1_2 or TLS_1_3, as in AWS: below TLS 1.3 the client's certificate crosses the network in clear, and TLS 1.0 and 1.1 are not to carry it"
type DomainNameSpec struct {
	// domainName is the host clients call. A leading "*." matches exactly one label, as in
	// TLS. Example: api.example.com or *.example.com.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="domainName is immutable; create another DomainName"
	// +required
	DomainName string `json:"domainName"`

	// certificateRef names a kubernetes.io/tls Secret in the same namespace (tls.crt, tls.key),
	// such as the one cert-manager writes. Example: {name: api-example-tls}.
	// +required
	CertificateRef LocalObjectReference `json:"certificateRef"`

	// securityPolicy is the minimum TLS version, with AWS's cipher suites for it.
	// +kubebuilder:default=TLS_1_2
	// +optional
	SecurityPolicy SecurityPolicy `json:"securityPolicy,omitempty"`

	// mutualTLS, when set, requires every client to present a certificate signed by one of
	// the truststore's CAs, with an RSA key of 2048 bits or more or an ECDSA key of 256 bits
	// or more (as AWS: other keys are refused in the handshake). It needs securityPolicy
	// TLS_1_2 or TLS_1_3.
	// +optional
	MutualTLS *MutualTLS `json:"mutualTLS,omitempty"`

	// httpRedirect, when true, makes the proxies' HTTP listener answer every request for
	// this domain (by Host) with a redirect to the same URL over HTTPS: 301 for GET and
	// HEAD, 308 for the other methods, which keeps the method and body. Without it, plain
	// HTTP requests for the domain go to the default endpoint, as for any other host.
	// +optional
	HTTPRedirect bool `json:"httpRedirect,omitempty"`

	// mappings serve APIs' stages under base paths of the domain. Through a domain the stage
	// name is not part of the path: the base path is. The longest matching base path wins.
	// Example: [{basePath: "", restApiRef: {name: pets}, stage: prod}].
	// +kubebuilder:validation:MaxItems=200
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, (has(b.basePath) ? b.basePath : '') == (has(a.basePath) ? a.basePath : '')))",message="each basePath may appear only once (an omitted basePath is the root, \"\")"
	// +listType=atomic
	// +optional
	Mappings []BasePathMapping `json:"mappings,omitempty"`
}

// MutualTLS names the CAs client certificates are verified against.
type MutualTLS struct {
	// truststoreRef names a ConfigMap key holding PEM CA certificates.
	// +required
	TruststoreRef TruststoreRef `json:"truststoreRef"`
}

// TruststoreRef is a key of a ConfigMap in the same namespace.
type TruststoreRef struct {
	// name of the ConfigMap. Example: partners-ca.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// key of the PEM bundle in the ConfigMap's data.
	// +kubebuilder:default=ca.crt
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	Key string `json:"key,omitempty"`
}

// BasePathMapping serves one stage of one API under a base path of the domain.
type BasePathMapping struct {
	// basePath is the first path segments that select this mapping, without leading or
	// trailing slash; empty serves the stage at the root. Example: orders/v1.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(s, s == '.' || s == '..')",message="basePath segments cannot be . or .. (clients and proxies resolve them away)"
	// +optional
	BasePath string `json:"basePath"`

	// restApiRef names the RestApi, in the same namespace.
	// +required
	RestApiRef LocalObjectReference `json:"restApiRef"`

	// stage is the stage's stageName. Example: prod.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	// +required
	Stage string `json:"stage"`
}

// DomainNameStatus is the observed state of a DomainName.
type DomainNameStatus struct {
	CommonStatus `json:",inline"`

	// url is where the domain serves. Example: https://api.example.com/.
	// +optional
	URL string `json:"url,omitempty"`

	// certificate describes the certificate served, from the Secret.
	// +optional
	Certificate *CertificateStatus `json:"certificate,omitempty"`
}

// CertificateStatus is what the controller read from the certificate (never the key).
type CertificateStatus struct {
	// notAfter is the certificate's expiry. Example: "2027-03-01T00:00:00Z".
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`

	// dnsNames are the certificate's subject alternative names. Example: [api.example.com].
	// +listType=atomic
	// +optional
	DNSNames []string `json:"dnsNames,omitempty"`
}

// DomainName serves APIs over HTTPS under a custom domain, as Amazon API Gateway's custom
// domain names do.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dn,categories=portico
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.spec.domainName`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.certificate.notAfter`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Programmed",type=string,JSONPath=`.status.conditions[?(@.type=="Programmed")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DomainName struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the domain.
	// +required
	Spec DomainNameSpec `json:"spec"`

	// status is written by the controller.
	// +optional
	Status DomainNameStatus `json:"status,omitempty"`
}

// DomainNameList is a list of DomainNames.
//
// +kubebuilder:object:root=true
type DomainNameList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DomainName `json:"items"`
}
