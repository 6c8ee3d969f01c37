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

// Package controllers turns Portico's custom resources into running configuration: sources
// (Kubernetes informers, or files in standalone mode) feed a pure compiler, whose output is
// stored as revisions and served to proxies over xDS, and whose conditions are written back
// as status by a single writer.
//
// The RBAC markers below are the controller's whole set of permissions; `make manifests`
// turns them into config/rbac/role.yaml, which the Helm chart mirrors.
//
// +kubebuilder:rbac:groups=apigateway.portico.dev,resources=restapis;routes;authorizers;usageplans;stages;domainnames,verbs=get;list;watch
// +kubebuilder:rbac:groups=apigateway.portico.dev,resources=restapis/status;routes/status;authorizers/status;usageplans/status;stages/status;domainnames/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apigateway.portico.dev,resources=restapis/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
//
// ConfigMaps only in the controller's own namespace, for the replicas' xDS reports (package
// fleet), and the leader election's Lease there: a Role, as the chart's, not a ClusterRole
// (which would let the controller rewrite every namespace's Leases, nodes' heartbeats
// included).
//
// +kubebuilder:rbac:groups="",namespace=portico-system,resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=portico-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
package controllers
