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

package reqctx

import (
	"context"
	"errors"
	"testing"
)

type other struct{}

// A Context answers From with its Request, the parent's values and cancellation otherwise,
// and is found through contexts derived from it.
func TestContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "v"))
	c := &Context{Context: parent}
	c.Req.ID = "id"
	child, stop := context.WithCancel(c)
	defer stop()
	if r := From(child); r != &c.Req || r.ID != "id" {
		t.Fatalf("From = %v", r)
	}
	if child.Value(other{}) != "v" {
		t.Fatal("the parent's value is lost")
	}
	if From(parent) != nil {
		t.Fatal("the parent has a Request")
	}
	cancel()
	<-child.Done()
	if !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("err %v", child.Err())
	}
}
