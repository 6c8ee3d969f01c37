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

// Package reqend lets a request's context tell a function that the request ended, without
// the channel, the child context and the stop closure that context.AfterFunc allocates.
//
// The HTTP/1.x server's request contexts implement Notifier (dataplane/h1); the proxy's
// context types that wrap one pass it on (OnEnd, StopOnEnd below); the upstream client
// registers its interrupt with it, and falls back to context.AfterFunc when a context
// does not have it (ok false).
package reqend

import "context"

// Notifier is a context that runs functions when its request ends.
type Notifier interface {
	// OnEnd has f run when the request ends, on the goroutine that ends it (so f must not
	// block), or at once when it has ended; id stops it. ok is false when the context
	// cannot (a wrapper over a context that is not a Notifier), and f is then not kept.
	OnEnd(f func()) (id uint64, ok bool)
	// StopOnEnd stops the function registered as id, reporting whether it had not run.
	StopOnEnd(id uint64) bool
}

// OnEnd is ctx's OnEnd when ctx is a Notifier: what a wrapping context's OnEnd returns.
func OnEnd(ctx context.Context, f func()) (uint64, bool) {
	if n, ok := ctx.(Notifier); ok {
		return n.OnEnd(f)
	}
	return 0, false
}

// StopOnEnd is ctx's StopOnEnd when ctx is a Notifier.
func StopOnEnd(ctx context.Context, id uint64) bool {
	if n, ok := ctx.(Notifier); ok {
		return n.StopOnEnd(id)
	}
	return false
}
