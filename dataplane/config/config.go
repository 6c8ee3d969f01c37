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
	"maps"
	"slices"
	"strings"

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
	// Domains by resource name ("<namespace>/<DomainName>") and the key material they name,
	// by secret name. The admin endpoint redacts private keys.
	Domains map[string]*xdsv1alpha1.DomainSnapshot
	Secrets map[string]*xdsv1alpha1.TlsSecret
	// Versions of every resource, by type URL then name, as the control plane sent them.
	Versions map[string]map[string]string
}

// WithStagesOf returns c with the named stages as they are in other (absent where other
// lacks them), versions included. c is not modified.
func (c *Config) WithStagesOf(other *Config, names []string) *Config {
	const stageType = xdsv1alpha1.StageSnapshotTypeURL
	out := &Config{Stages: maps.Clone(c.Stages), Endpoints: c.Endpoints, Domains: c.Domains, Secrets: c.Secrets, Versions: maps.Clone(c.Versions)}
	versions := maps.Clone(c.Versions[stageType])
	if out.Stages == nil {
		out.Stages = map[string]*xdsv1alpha1.StageSnapshot{}
	}
	if out.Versions == nil {
		out.Versions = map[string]map[string]string{}
	}
	if versions == nil {
		versions = map[string]string{}
	}
	for _, name := range names {
		if s, ok := other.Stages[name]; ok {
			out.Stages[name] = s
			versions[name] = other.Versions[stageType][name]
		} else {
			delete(out.Stages, name)
			delete(versions, name)
		}
	}
	out.Versions[stageType] = versions
	return out
}

// Applier builds a configuration into a running request path.
//
// Stages are independent (gRFC A46): Apply builds each stage it can and serves it, and
// reports those it cannot as a *StageErrors, each of which keeps serving its last good
// version (or stays unserved if it never had one). Any other error means the configuration
// could not be applied at all, and nothing changed.
type Applier interface {
	Apply(*Config) error
}

// StageErrors are the stages of a configuration that could not be built, by resource name.
// Every other stage of the configuration was applied.
type StageErrors map[string]error

func (e StageErrors) Error() string {
	names := slices.Sorted(maps.Keys(e))
	msgs := make([]string, len(names))
	for i, n := range names {
		msgs[i] = "stage " + n + ": " + e[n].Error()
	}
	return strings.Join(msgs, "; ")
}
