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
package jwt

import (
	"errors"
	"testing"
	"time"
)

// The validity window is checked to the nanosecond, as time.Time's After and Before would:
// a token is valid through exp + leeway itself, and from nbf - leeway on.
func TestPolicyWindowExact(t *testing.T) {
	const exp, nbf = 1_800_000_000, 1_799_990_000
	c := &claims{exp: exp, nbf: nbf, hasNBF: true}
	for _, leeway := range []int64{0, 60} {
		p := &policy{leeway: leeway}
		at := time.Unix
		for _, tc := range []struct {
			now  time.Time
			want error
		}{
			{at(exp+leeway, 0), nil},
			{at(exp+leeway, 1), errExpired},
			{at(exp+leeway-1, 999_999_999), nil},
			{at(exp+leeway+1, 0), errExpired},
			{at(nbf-leeway, 0), nil},
			{at(nbf-leeway-1, 999_999_999), errNotBefore},
			{at(nbf-leeway-1, 0), errNotBefore},
			// A clock with a monotonic reading, as time.Now's.
			{monotonic(at(exp+leeway, 1)), errExpired},
			{monotonic(at(exp+leeway, 0)), nil},
		} {
			if err := p.check(c, tc.now); !errors.Is(err, tc.want) {
				t.Errorf("leeway %d s, at %s: %v, want %v", leeway, tc.now.UTC().Format(time.RFC3339Nano), err, tc.want)
			}
		}
	}
	// Without nbf, no time is too early.
	if err := (&policy{}).check(&claims{exp: exp}, time.Unix(0, 0)); err != nil {
		t.Errorf("a token without nbf refused at the epoch: %v", err)
	}
	// A token issued in the future (beyond the leeway) is refused, as AWS's iat rule.
	issued := &claims{exp: exp, iat: nbf, hasIAT: true}
	if err := (&policy{leeway: 60}).check(issued, time.Unix(nbf-61, 0)); !errors.Is(err, errIssuedLater) {
		t.Errorf("iat 61 s ahead: %v", err)
	}
	if err := (&policy{leeway: 60}).check(issued, time.Unix(nbf-60, 0)); err != nil {
		t.Errorf("iat within the leeway: %v", err)
	}
}

// monotonic is t with a monotonic clock reading, as time.Now's times have.
func monotonic(t time.Time) time.Time {
	now := time.Now()
	return now.Add(t.Sub(now))
}

// Claims one authorizer accepted are compared again for another: the memo of the last
// policy met holds for that policy alone.
func TestPolicyAcceptedIsPerPolicy(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := &claims{issuer: "https://a.example.com/", audience: []string{"pets"}, exp: now.Unix() + 60}
	a := &policy{issuer: "https://a.example.com/", audiences: []string{"pets"}}
	otherIssuer := &policy{issuer: "https://b.example.com/", audiences: []string{"pets"}}
	otherAudience := &policy{issuer: "https://a.example.com/", audiences: []string{"cats"}}
	for range 2 {
		if err := a.check(c, now); err != nil {
			t.Fatalf("accepting policy: %v", err)
		}
		if c.accepted.Load() != a {
			t.Fatal("the accepting policy not remembered")
		}
		if err := otherIssuer.check(c, now); !errors.Is(err, errIssuer) {
			t.Fatalf("another issuer after the memo: %v, want %v", err, errIssuer)
		}
		if err := otherAudience.check(c, now); !errors.Is(err, errAudience) {
			t.Fatalf("another audience after the memo: %v, want %v", err, errAudience)
		}
	}
	// The memo skips issuer and audiences, never the window.
	if err := a.check(c, now.Add(2*time.Minute)); !errors.Is(err, errExpired) {
		t.Fatalf("remembered policy past exp: %v, want %v", err, errExpired)
	}
}

// Tokens spread over the shards by their tails, and a shorter token than a tail is keyed by
// all of it.
func TestResultCacheShards(t *testing.T) {
	c := newResultCache()
	used := map[*cacheShard]bool{}
	for _, tok := range []string{"a.b.c0", "a.b.c1", "a.b.c2", "a.b.c3", "a.b.c4", "a.b.c5", "a.b.c6", "a.b.c7",
		"x.y.zzzzzzzz0", "x.y.zzzzzzzz1", "x.y.zzzzzzzz2", "x.y.zzzzzzzz3", "x.y.zzzzzzzz4", "x.y.zzzzzzzz5"} {
		used[c.shard(tail(tok))] = true
	}
	if len(used) < 6 {
		t.Errorf("14 tokens in %d shards", len(used))
	}
	if tail("abc") == tail("xbc") || tail("0123456789") != tail("x123456789") {
		t.Error("tail is not the token's last eight bytes")
	}
}
