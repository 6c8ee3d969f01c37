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

package integration

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
	"github.com/portico-dev/portico/internal/vtl"
)

// $input.params(name) answers alike from param (no maps built) and from the maps params
// builds; and $context holds what the template reads, built or not.
func TestParamLookup(t *testing.T) {
	tmpl, err := vtl.Parse(`[$input.params('page')][$input.params('x-trace')][$input.params('X-Trace')][$input.params('a b')][$input.params('none')][$input.params('Accept')][$context.stage][$context.requestTime.length()]`)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/p?page=1&page=2", "/p?a+b=%41&x-trace=q", "/p", "/p?page=1;x", "/p?page", "/p?x%2Dtrace=e&pag%65=2", "/p?a+b=s", "/p?x-trace=bad%zz&x-trace=2", "/p?q=x-trace"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-Trace", "t-1")
		r.Header["accept"] = []string{"lower"}
		r.Header["Empty"] = []string{}
		rc := &reqctx.Request{Stage: "prod"}
		e := env(r, rc, nil, nil, tmpl)
		fast, err := tmpl.Eval(context.Background(), &e, nil)
		if err != nil {
			t.Fatal(err)
		}
		e2 := env(r, rc, nil, nil, nil)
		e2.Param = nil
		slow, err := tmpl.Eval(context.Background(), &e2, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", target, fast.Output)
		if fast.Output != slow.Output {
			t.Errorf("%s: with param %q, with the maps %q", target, fast.Output, slow.Output)
		}
	}
}
