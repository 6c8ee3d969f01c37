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

// Package xdsv1alpha1 is the wire contract between Portico's control plane and its proxies:
// the StageSnapshot xDS resource, one per stage, generated from snapshot.proto by
// `make generate`. Endpoints are not part of it; they travel as standard EDS
// ClusterLoadAssignments so that endpoint churn does not rebuild a stage's routes.
package xdsv1alpha1

// StageSnapshotTypeURL is the xDS type URL of StageSnapshot: what proxies subscribe to and
// what the Any in each response carries. A constant (rather than one derived from the
// descriptor at init) so that switch statements and cache keys can use it.
const StageSnapshotTypeURL = "type.googleapis.com/portico.xds.v1alpha1.StageSnapshot"

// DomainSnapshotTypeURL and TLSSecretTypeURL are the xDS type URLs of DomainSnapshot and
// TlsSecret (domain.proto). A domain names its secrets, so a rotation re-sends one secret.
const (
	DomainSnapshotTypeURL = "type.googleapis.com/portico.xds.v1alpha1.DomainSnapshot"
	TLSSecretTypeURL      = "type.googleapis.com/portico.xds.v1alpha1.TlsSecret"
)
