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

// Package fleet makes a Stage's Programmed condition count the proxies of every controller
// replica, not only the leader's.
//
// Every replica serves xDS, and proxies spread across replicas, but only the leader writes
// status. So each replica publishes what its own proxies acknowledged (a Report, one ConfigMap
// per replica in the controller's namespace, written on change and on a heartbeat), and the
// leader merges its own live view with its peers' fresh reports (Merge, a pure function). A
// report that has not been refreshed for three heartbeats belongs to a replica that is gone or
// cut off: its proxies no longer count.
package fleet
