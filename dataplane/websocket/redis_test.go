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

package websocket

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/internal/redistest"
	"github.com/portico-dev/portico/internal/testkit"
)

// A replica that starts while Redis is down serves forwarded @connections calls once Redis
// answers: its subscription is made then, not given up.
func TestForwarderSubscribesWhenRedisComesBack(t *testing.T) {
	rs := redistest.Start(t)
	rs.Shutdown(t)
	client := func() *goredis.Client {
		c := goredis.NewClient(&goredis.Options{Addr: rs.Addr(), ReadTimeout: -1, MaxRetries: -1})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := NewRedisForwarder(client(), "t:", logr.Discard())
	if err := served.Serve(ctx, "n1", func(op Op) Reply { return Reply{Status: 200, Body: []byte(op.ConnectionID)} }); err != nil {
		t.Fatalf("Serve with Redis down: %v", err)
	}
	rs.Start(t)
	caller := NewRedisForwarder(client(), "t:", logr.Discard())
	deadline := time.Now().Add(testkit.WaitTimeout)
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		reply, ok, err := caller.Call(cctx, "n1", Op{Method: "GET", ConnectionID: "n1abc"})
		ccancel()
		if err == nil && ok && reply.Status == 200 && string(reply.Body) == "n1abc" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from the replica that started while Redis was down: %+v %v %v", reply, ok, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
