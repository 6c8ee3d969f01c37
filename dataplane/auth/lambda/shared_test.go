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

package lambda

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

func TestConcurrentRequestsShareOneCall(t *testing.T) {
	release := make(chan struct{})
	a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, ev map[string]any) {
		<-release
		answerJSON(policyAnswer("Allow", arnPrefix+"GET/*"))(w, r, ev)
	})
	const n = 8
	var joined sync.WaitGroup
	joined.Add(n)
	s := newStep(Options{})
	s.joined = joined.Done
	e := &env{t: t, clock: newClock()}
	s.opts.Now = e.clock.Now
	e.build(s.build, routeFor(tokenAuthorizer(a.URL, 300)))

	codes := make([]int, n)
	var done sync.WaitGroup
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			method := "GET"
			if i%2 == 1 {
				method = "DELETE" // shares the answer, and is judged by its own methodArn
			}
			codes[i] = e.do(method, "/pets/7", "Authorization", "t").Code
		}()
	}
	joined.Wait() // every request waits on the one call
	close(release)
	done.Wait()
	expectCalls(t, a, 1)
	for i, c := range codes {
		want := http.StatusOK
		if i%2 == 1 {
			want = http.StatusForbidden
		}
		if c != want {
			t.Errorf("request %d: status %d, want %d", i, c, want)
		}
	}
}

func TestAClientLeavingDoesNotFailTheSharedCall(t *testing.T) {
	release := make(chan struct{})
	a := newAuthz(t, func(w http.ResponseWriter, r *http.Request, ev map[string]any) {
		<-release
		answerJSON(policyAnswer("Allow", "*"))(w, r, ev)
	})
	var joined sync.WaitGroup
	joined.Add(1)
	s := newStep(Options{})
	s.joined = joined.Done
	e := &env{t: t, clock: newClock()}
	s.opts.Now = e.clock.Now
	e.build(s.build, routeFor(tokenAuthorizer(a.URL, 300)))

	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int)
	go func() { code <- e.doCtx(ctx, "GET", "/pets/7", "Authorization", "t").Code }()
	joined.Wait()
	cancel()
	if c := <-code; c != 499 {
		t.Fatalf("the client that left got %d, want 499", c)
	}
	s.joined = nil
	close(release)
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 1) // the call went on for the next request, or for the cache
}

func TestStageVariablesInTheFunctionURI(t *testing.T) {
	a := newAuthz(t, answerJSON(policyAnswer("Allow", "*")))
	rt := routeFor(tokenAuthorizer("http://${stageVariables.authz}/authorize", 0))
	rt.Variables = map[string]string{"authz": a.Listener.Addr().String()}
	e := newEnv(t, rt, Options{})
	expectStatus(t, e.do("GET", "/pets/7", "Authorization", "t"), http.StatusOK, "")
	expectCalls(t, a, 1)
}
