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

package redis

import goredis "github.com/redis/go-redis/v9"

// takeScript takes one token from a bucket, atomically, so that every replica sharing Redis
// draws on the same tokens.
//
// KEYS[1] is the bucket's hash: t (tokens, a float) and ts (the last refill, in microseconds
// since the epoch on the callers' clocks). ARGV: rate (tokens per second), burst, now (in
// microseconds, from the caller), margin (milliseconds added to the key's TTL).
//
// The caller's clock is used, not Redis's TIME, so that tests are exact and a bucket behaves
// the same in memory and in Redis. ts only moves forward: a replica whose clock lags another
// gets no refill until its clock passes the bucket's, instead of the two replicas refilling
// the same interval twice or fighting over ts.
//
// The key expires when a full refill would have happened plus the margin: an expired bucket
// is recreated full, which is exactly what it would be by then, so idle buckets cost nothing
// without changing behaviour. A bucket that never refills (rate <= 0) keeps a day.
//
// It returns {allowed (0 or 1), retry after (microseconds; -1 when no token will ever come)}.
const takeLua = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local margin = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(s[1])
local ts = tonumber(s[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  if rate > 0 then
    tokens = tokens + (now - ts) * rate / 1e6
  end
  ts = now
end
if tokens > burst then
  tokens = burst
end
local allowed = 0
local wait = 0
-- The epsilon absorbs rounding: a caller that waits the retry-after it was given gets its token.
if tokens >= 1 - 1e-9 then
  tokens = tokens - 1
  if tokens < 0 then
    tokens = 0
  end
  allowed = 1
elseif rate > 0 and burst >= 1 then
  wait = math.ceil((1 - tokens) * 1e6 / rate)
else
  wait = -1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
local ttl = 86400000
if rate > 0 then
  ttl = math.ceil((burst - tokens) * 1000 / rate) + margin
end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, wait}
`

// consumeLua counts one request against a quota counter if fewer than the limit were counted,
// atomically, so that N replicas sharing Redis let exactly limit requests through.
//
// KEYS[1] is the counter of one key in one window. ARGV: limit, the key's expiry (unix
// milliseconds: a day after the window ends, so a late report still reads it).
//
// It returns {allowed (0 or 1), the count after the call}.
const consumeLua = `
local limit = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then
  return {0, used}
end
used = redis.call('INCR', KEYS[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return {1, used}
`

// reconcileLua adds the requests admitted while Redis was unreachable to a counter, keeping
// its expiry. KEYS[1] is the counter; ARGV: the count to add, the key's expiry (unix ms).
const reconcileLua = `
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return used
`

var (
	takeScript      = goredis.NewScript(takeLua)
	consumeScript   = goredis.NewScript(consumeLua)
	reconcileScript = goredis.NewScript(reconcileLua)
)
