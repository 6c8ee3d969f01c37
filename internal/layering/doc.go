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

// Package layering states, and its test enforces, the import rule between Portico's two
// planes: controllers/ never imports dataplane/, nor dataplane/ controllers/. What both need
// (the route path grammar, quota keys and windows, TLS helpers) is a small package under
// internal/, so that neither plane can drift from the other by importing its internals, and a
// proxy binary never links the controller's Kubernetes machinery (nor the reverse).
//
// Only the packages themselves are held to the rule, with everything they import: tests may
// cross it, as an end-to-end test runs both planes. The binary's composition root
// (main.go and internal/cli) wires both and is outside the rule.
package layering
