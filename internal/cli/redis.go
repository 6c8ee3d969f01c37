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

package cli

import (
	"os"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/portico-dev/portico/internal/redisconn"
)

// The environment variables a Redis URL may come from instead of its flag. A URL may carry a
// password: in the environment it stays off the command line (ps, /proc/<pid>/cmdline). The
// Helm chart sets them from a Secret.
const (
	envStateRedis = "PORTICO_STATE_REDIS"
	envCacheRedis = "PORTICO_CACHE_REDIS"
)

// defaultRedisPrefix starts every key Portico writes in Redis: the limits store's under it,
// the shared cache's under it + "cache:".
const defaultRedisPrefix = "portico:"

// redisFlags are the Redis settings `portico proxy`, `standalone` and `controller` share.
type redisFlags struct {
	// state keeps token buckets and quota counters; cache is the response cache's shared
	// level. Empty: none (after the environment is read).
	state, cache string
	// prefix separates installations sharing one Redis.
	prefix string
}

// bind declares --state-redis (described by stateUsage), --redis-prefix, and --cache-redis
// when withCache.
func (r *redisFlags) bind(f *pflag.FlagSet, stateUsage string, withCache bool) {
	f.StringVar(&r.state, "state-redis", "", stateUsage+"; or $"+envStateRedis)
	if withCache {
		f.StringVar(&r.cache, "cache-redis", "", "redis://host:port/db sharing cached responses between proxy replicas, behind each one's own cache; or $"+
			envCacheRedis+" (default: each proxy caches alone). Use a Redis instance of its own: cache entries must not evict throttles and quotas")
	}
	f.StringVar(&r.prefix, "redis-prefix", defaultRedisPrefix, "start of every key written in Redis: give each installation sharing a Redis its own")
}

// resolved returns r with the URLs the flags left empty taken from the environment.
func (r redisFlags) resolved() redisFlags {
	if r.state == "" {
		r.state = os.Getenv(envStateRedis)
	}
	if r.cache == "" {
		r.cache = os.Getenv(envCacheRedis)
	}
	if r.prefix == "" {
		r.prefix = defaultRedisPrefix
	}
	return r
}

// stateConfig and cacheConfig configure the two Redis clients, each under its own prefix.
func (r redisFlags) stateConfig(log logr.Logger, reg prometheus.Registerer) redisconn.Config {
	return redisconn.Config{URL: r.state, Prefix: r.prefix, Log: log, Registerer: reg}
}

func (r redisFlags) cacheConfig(log logr.Logger, reg prometheus.Registerer) redisconn.Config {
	return redisconn.Config{URL: r.cache, Prefix: r.prefix + "cache:", Log: log, Registerer: reg}
}
