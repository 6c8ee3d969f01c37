//go:build race

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

package rawio

// raceEnabled: under the race detector New gives no Conn, and net.Conn's calls serve. Package
// syscall's calls tell the detector that a write to any descriptor happens before a read that
// follows it, an order that tests, above all, rely on; raw calls would not, and going
// through package syscall here deepens an idle connection's parked stack past its first 4
// KiB (TestWebSocketLoad's budget). make test runs rawio, h1, upstream and the proxy without
// the detector as well.
const raceEnabled = true
