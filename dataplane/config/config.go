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

// Package config is the configuration a proxy applies: every stage snapshot and endpoint
// assignment it received over xDS, as one immutable value. The xDS client assembles it; the
// request path is built from it; the admin endpoint shows it.
package config

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
)

// Config is one complete configuration. It is never modified once built: a change makes a
// new Config.
type Config struct {
	// Stages by resource name ("<namespace>/<stage object>").
	Stages map[string]*xdsv1alpha1.StageSnapshot
	// Endpoints by cluster name ("<namespace>/<service>:<port>").
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	// Versions of every resource, by type URL then name, as the control plane sent them.
	Versions map[string]map[string]string
}

// Applier builds a configuration into a running request path. Apply must build everything
// first and fail without side effects when the configuration is invalid: the xDS client then
// NACKs it and the previous configuration keeps serving.
type Applier interface {
	Apply(*Config) error
}
