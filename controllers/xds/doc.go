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

// Package xds serves Portico's compiled configuration to its proxies over xDS.
//
// It has two halves. The translator (StageToProto, EndpointsToCLA) is a pure function from the
// IR to xDS resources: one custom StageSnapshot per stage and one standard EDS
// ClusterLoadAssignment per backend cluster, so that endpoint churn does not rebuild routes.
// The Server wraps go-control-plane: a LinearCache per type URL behind a MuxCache (snapshots
// reject custom type URLs), versions that are content hashes so an unchanged compile pushes
// nothing, and a tracker fed by the server callbacks that records which proxy acknowledged
// (ACK) or rejected (NACK) which version, for the Stage's Programmed condition.
package xds
