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

package rediscache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	goredis "github.com/redis/go-redis/v9"

	"github.com/portico-dev/portico/internal/redisconn"
	"github.com/portico-dev/portico/internal/redistest"
	"github.com/portico-dev/portico/internal/testkit"
)

func client(t testing.TB, srv *redistest.Server) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// onlyKey returns the one cache key in Redis.
func onlyKey(t testing.TB, c *goredis.Client) string {
	t.Helper()
	keys, err := c.Keys(context.Background(), DefaultPrefix+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("cache keys in Redis: %v, %v; want one", keys, err)
	}
	return keys[0]
}

// Proxy A misses and calls the backend; proxy B then answers from Redis without calling it,
// with A's status, headers and body, and keeps a copy of its own.
func TestTwoProxiesShareOneEntry(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newReplica(t, srv, logr.Discard()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	ha, hb := a.handler(t, "ns/prod", "pets", be), b.handler(t, "ns/prod", "pets", be)

	expect(t, get(ha, "/pets?id=1", false), "body 1", "Miss", be, 1)
	w := get(hb, "/pets?id=1", false)
	expect(t, w, "body 1", "Hit", be, 1)
	if got := w.Header().Values("X-Backend"); len(got) != 2 || got[0] != "a" || got[1] != "b" || w.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("headers from Redis: %v", w.Header())
	}
	if _, n := b.store.Bytes("ns/prod", "ns/pets"); n != 1 {
		t.Errorf("B holds %d entries of its own, want 1", n)
	}
	// Another key is another entry, fetched once for both.
	expect(t, get(hb, "/pets?id=2", false), "body 2", "Miss", be, 2)
	expect(t, get(ha, "/pets?id=2", false), "body 2", "Hit", be, 2)

	keys, err := client(t, srv).Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "portico:cache:ns/prod:ns/pets:") || len(k) != len("portico:cache:ns/prod:ns/pets:")+64 {
			t.Errorf("key %q is not portico:cache:<stage>:<api>:<hex key>", k)
		}
	}
}

// An entry lives in Redis for the stage's TTL, and a replica that reads it keeps its copy
// only for the time the entry has left there, so that every replica drops it together.
func TestSharedTTL(t *testing.T) {
	srv := redistest.Start(t)
	rc := client(t, srv)
	a, b := newReplica(t, srv, logr.Discard()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	ha, hb := a.handler(t, "ns/prod", "pets", be), b.handler(t, "ns/prod", "pets", be)

	expect(t, get(ha, "/pets?id=1", false), "body 1", "Miss", be, 1)
	key := onlyKey(t, rc)
	if ttl := rc.PTTL(context.Background(), key).Val(); ttl <= 299*time.Second || ttl > 300*time.Second {
		t.Fatalf("PTTL %v, want the stage's 300s", ttl)
	}
	// As if A had filled it 290s ago.
	rc.PExpire(context.Background(), key, 10*time.Second)
	expect(t, get(hb, "/pets?id=1", false), "body 1", "Hit", be, 1)
	// From here B answers from its own copy, until the 10s are over.
	rc.Del(context.Background(), key)
	b.clock.Advance(9 * time.Second)
	expect(t, get(hb, "/pets?id=1", false), "body 1", "Hit", be, 1)
	b.clock.Advance(2 * time.Second)
	expect(t, get(hb, "/pets?id=1", false), "body 2", "Miss", be, 2)
	// A's copy still has its own 300s, on its clock.
	expect(t, get(ha, "/pets?id=1", false), "body 1", "Hit", be, 2)
}

// Cache-Control: max-age=0 through one proxy drops the entry from Redis and from the other
// proxy's own copy: both then serve the refetched answer.
func TestInvalidationReachesEveryProxy(t *testing.T) {
	srv := redistest.Start(t)
	rc := client(t, srv)
	a, b := newReplica(t, srv, logr.Discard()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	ha, hb := a.handler(t, "ns/prod", "pets", be), b.handler(t, "ns/prod", "pets", be)
	until(t, "both replicas subscribed", func() bool {
		return rc.PubSubNumSub(context.Background(), DefaultPrefix+"invalidate").Val()[DefaultPrefix+"invalidate"] == 2
	})

	expect(t, get(ha, "/pets?id=1", false), "body 1", "Miss", be, 1)
	expect(t, get(hb, "/pets?id=1", false), "body 1", "Hit", be, 1)
	expect(t, get(ha, "/pets?id=1", true), "body 2", "Miss", be, 2)
	until(t, "B serves the refetched answer", func() bool {
		return get(hb, "/pets?id=1", false).Body.String() == "body 2"
	})
	expect(t, get(hb, "/pets?id=1", false), "body 2", "Hit", be, 2)
	expect(t, get(ha, "/pets?id=1", false), "body 2", "Hit", be, 2)

	// Invalidated through B, when the refetch is not stored: the entry is gone for A too.
	b.shared.Delete(context.Background(), strings.TrimPrefix(onlyKey(t, rc), DefaultPrefix))
	until(t, "A dropped its copy", func() bool {
		_, n := a.store.Bytes("ns/prod", "ns/pets")
		return n == 0
	})
	if _, n := b.store.Bytes("ns/prod", "ns/pets"); n != 1 {
		t.Errorf("B dropped its copy on its own invalidation message")
	}
}

// Stages and APIs never share entries, in Redis as in memory.
func TestIsolationPerStageAndAPI(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newReplica(t, srv, logr.Discard()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	expect(t, get(a.handler(t, "ns/prod", "pets", be), "/pets?id=1", false), "body 1", "Miss", be, 1)
	expect(t, get(b.handler(t, "ns/beta", "pets", be), "/pets?id=1", false), "body 2", "Miss", be, 2)
	expect(t, get(b.handler(t, "ns/prod", "toys", be), "/pets?id=1", false), "body 3", "Miss", be, 3)
	expect(t, get(b.handler(t, "ns/prod", "pets", be), "/pets?id=1", false), "body 1", "Hit", be, 3)
	expect(t, get(a.handler(t, "ns/beta", "pets", be), "/pets?id=1", false), "body 2", "Hit", be, 3)
}

// With Redis stopped every request is still served, each proxy from its own cache or its
// backend; the failures are counted and logged once per interval. Once Redis is back the
// proxies share again.
func TestRedisOutage(t *testing.T) {
	srv := redistest.Start(t)
	logs := &testkit.Logs{}
	a, b := newReplica(t, srv, logs.Logger()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	ha, hb := a.handler(t, "ns/prod", "pets", be), b.handler(t, "ns/prod", "pets", be)
	expect(t, get(ha, "/pets?id=1", false), "body 1", "Miss", be, 1)

	srv.Stop()
	// A's own copy answers without Redis; a new key goes to the backend.
	expect(t, get(ha, "/pets?id=1", false), "body 1", "Hit", be, 1)
	expect(t, get(ha, "/pets?id=2", false), "body 2", "Miss", be, 2)
	if a.shared.Healthy() || testutil.ToFloat64(a.shared.healthy) != 0 {
		t.Fatal("Redis is down, the cache says it is healthy")
	}
	// Until the retry interval has passed, Redis is not asked: failing open costs nothing.
	for i := range 5 {
		expect(t, get(ha, "/pets?id=3", i == 0), "body 3", map[bool]string{true: "Miss", false: "Hit"}[i == 0], be, 3)
	}
	expect(t, get(ha, "/pets?id=4", false), "body 4", "Miss", be, 4)
	if n := testutil.ToFloat64(a.shared.errors.WithLabelValues(opGet)); n < 2 {
		t.Errorf("portico_cache_redis_errors_total{op=get} = %v, want at least 2", n)
	}
	if n := testutil.ToFloat64(a.shared.errors.WithLabelValues(opSet)) + testutil.ToFloat64(a.shared.errors.WithLabelValues(opDelete)); n < 2 {
		t.Errorf("portico_cache_redis_errors_total{op=set|delete} = %v, want at least 2", n)
	}
	if n := logs.Count("Redis unreachable, failing open"); n != 1 {
		t.Errorf("%d fail-open messages within one log interval, want 1:\n%s", n, logs.String())
	}
	a.clock.Advance(DefaultLogInterval)
	expect(t, get(ha, "/pets?id=5", false), "body 5", "Miss", be, 5)
	if n := logs.Count("Redis unreachable, failing open"); n != 2 {
		t.Errorf("%d fail-open messages over two log intervals, want 2", n)
	}

	srv.Start(t)
	// Each replica finds Redis back after its retry interval; a key filled through one is then
	// served by the other.
	for i := 0; ; i++ {
		a.clock.Advance(DefaultRetryInterval)
		b.clock.Advance(DefaultRetryInterval)
		id := "/pets?id=back" + string(rune('a'+i%26))
		get(ha, id, false)
		calls := be.calls.Load()
		if w := get(hb, id, false); w.Header().Get("X-Cache") == "Hit" && be.calls.Load() == calls {
			break
		}
		if i == 100 {
			t.Fatal("the replicas do not share again after Redis came back")
		}
	}
	if !a.shared.Healthy() || !b.shared.Healthy() || testutil.ToFloat64(a.shared.healthy) != 1 || logs.Count("Redis reachable again") != 1 {
		t.Errorf("after the outage: healthy %v %v, recovery messages %d", a.shared.Healthy(), b.shared.Healthy(), logs.Count("Redis reachable again"))
	}
	// The invalidation subscriptions are back too.
	rc := client(t, srv)
	until(t, "both replicas subscribed again", func() bool {
		return rc.PubSubNumSub(context.Background(), DefaultPrefix+"invalidate").Val()[DefaultPrefix+"invalidate"] == 2
	})
}

// Something else under a cache key (another program's value, a corrupt or older entry) is a
// miss, and the fill replaces it.
func TestCorruptEntryIsAMiss(t *testing.T) {
	srv := redistest.Start(t)
	rc := client(t, srv)
	a, b := newReplica(t, srv, logr.Discard()), newReplica(t, srv, logr.Discard())
	be := &backend{}
	expect(t, get(a.handler(t, "ns/prod", "pets", be), "/pets?id=1", false), "body 1", "Miss", be, 1)
	key := onlyKey(t, rc)
	rc.Set(context.Background(), key, "\x01\xc8\x01garbage", time.Minute)
	hb := b.handler(t, "ns/prod", "pets", be)
	expect(t, get(hb, "/pets?id=1", false), "body 2", "Miss", be, 2)
	// A key without expiry is not one the cache wrote.
	rc.Set(context.Background(), key, rc.Get(context.Background(), key).Val(), 0)
	expect(t, get(newReplica(t, srv, logr.Discard()).handler(t, "ns/prod", "pets", be), "/pets?id=1", false), "body 3", "Miss", be, 3)
}

func TestOptions(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:6379", "redis://localhost:6379/notadb"} {
		if _, err := New(Options{Config: redisconn.Config{URL: bad}}); err == nil {
			t.Errorf("New(%q): no error", bad)
		}
	}
	reg := prometheus.NewRegistry()
	c, err := New(Options{Config: redisconn.Config{URL: "redis://localhost:6379", Registerer: reg}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := New(Options{Config: redisconn.Config{URL: "redis://localhost:6379", Registerer: reg}}); err == nil {
		t.Error("a second cache on one registry: no error")
	}
}
