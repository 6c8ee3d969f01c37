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

// Package edge holds the limits a proxy facing untrusted clients needs, below the request
// path: how long a client may take to send its headers and its body, how large its headers
// may be, how many connections are served at once, how long an idle connection is kept, and
// how long one write may block on a client that does not read.
//
// net/http enforces the header deadline, the header size (431 beyond it) and the idle
// timeout itself; Listener caps connections; Handler adds what net/http lacks: a body read
// deadline that follows a minimum rate (so that a large upload over a slow link is served
// and a client trickling a byte a second is not), and a write deadline per write (so that a
// streamed response may last as long as it needs, but a client that stops reading is cut).
package edge

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Limits are the edge limits. Zero durations turn their limit off; Defaults are safe.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's line and headers (http.Server's).
	ReadHeaderTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers; beyond it the server answers 431
	// (from 4 KiB up: below that, net/http's read buffer is the bound).
	MaxHeaderBytes int
	// BodyTimeout is the longest one read of a request body may wait for the client, and the
	// time a body may take before MinBodyRate applies.
	BodyTimeout time.Duration
	// MinBodyRate, in bytes per second, is the slowest a request body may arrive once
	// BodyTimeout is spent. Zero: only BodyTimeout applies, to each read.
	MinBodyRate int
	// MaxConnections caps the connections served at once; more wait in the kernel's
	// backlog. Zero: DefaultMaxConnections().
	MaxConnections int
	// IdleTimeout bounds how long a keep-alive connection waits for its next request.
	IdleTimeout time.Duration
	// WriteTimeout is the longest one write of a response may block on the client (on
	// HTTP/1.x up to a quarter more, see writer.arm). It is not a bound on the whole
	// response: responses stream for as long as they need.
	WriteTimeout time.Duration
}

// The defaults, and why.
const (
	// DefaultReadHeaderTimeout: headers are a few KiB, one round trip even on a poor mobile
	// link; a slowloris client holding a connection open with a header line a second is cut
	// after 10 s.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes (64 KiB, API.md) leaves room for large JWTs and cookies (nginx
	// allows 32 KiB, Amazon API Gateway 10 KiB) while bounding what each connection may make
	// the proxy buffer: net/http's default, 1 MiB, let 1,000 connections take 3 GB.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultBodyTimeout: a live client sends something within 10 s; the same bound as
	// headers, and the grace before the minimum rate.
	DefaultBodyTimeout = 10 * time.Second
	// DefaultMinBodyRate (1 KiB/s) is below any real link (a 2G connection sends several
	// KiB/s) and far above a client trickling bytes to hold the connection.
	DefaultMinBodyRate = 1 << 10
	// DefaultIdleTimeout is longer than the idle timeout of the load balancers usually in
	// front (60 s for AWS's ALB, Google's is 600 s, set by you): the balancer closes first, so
	// it never sends a request on a connection the proxy is closing (which it answers 502).
	DefaultIdleTimeout = 120 * time.Second
	// DefaultWriteTimeout: a client whose TCP window stays shut for 30 s is gone or hostile.
	// It applies per write, so long downloads and event streams are unaffected.
	DefaultWriteTimeout = 30 * time.Second
	// maxDefaultConnections bounds DefaultMaxConnections by memory: a connection holding
	// an unfinished header just under the 64 KiB limit costs about 180 KiB of resident
	// memory (measured, TestAttacksKeepMemoryBounded), so 4,096 of them stay within about
	// 720 MiB, under the Helm chart's 1 GiB limit. Raise it with --max-connections along
	// with the memory limit.
	maxDefaultConnections = 4096
	// minDefaultConnections keeps a proxy with a tiny file limit usable.
	minDefaultConnections = 64
	// reservedFiles are kept for everything but clients: xDS, admin, logs, Redis.
	reservedFiles = 64
)

// Defaults returns the safe default limits, MaxConnections included.
func Defaults() Limits {
	return Limits{
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		BodyTimeout:       DefaultBodyTimeout,
		MinBodyRate:       DefaultMinBodyRate,
		MaxConnections:    DefaultMaxConnections(),
		IdleTimeout:       DefaultIdleTimeout,
		WriteTimeout:      DefaultWriteTimeout,
	}
}

// DefaultMaxConnections is half the files the process may open (less a reserve), at most
// 4,096: each client connection may need a second file for its backend connection, and a
// proxy out of files (or memory) fails everyone, while one at its cap makes new clients wait.
func DefaultMaxConnections() int {
	return connectionsFor(openFileLimit())
}

func connectionsFor(files uint64) int {
	if files == 0 || files > 2*maxDefaultConnections+reservedFiles {
		return maxDefaultConnections
	}
	return max(minDefaultConnections, (int(files)-reservedFiles)/2)
}

// Validate refuses negative limits, and a zero header size (which net/http reads as 1 MiB).
// Flag names in messages are the CLI's.
func (l Limits) Validate() error {
	var errs []error
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--read-header-timeout", l.ReadHeaderTimeout}, {"--body-timeout", l.BodyTimeout},
		{"--idle-timeout", l.IdleTimeout}, {"--write-timeout", l.WriteTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative (0 turns the limit off)", d.flag, d.v))
		}
	}
	if l.MaxHeaderBytes <= 0 {
		errs = append(errs, fmt.Errorf("--max-header-bytes: %d is not a positive size", l.MaxHeaderBytes))
	}
	if l.MinBodyRate < 0 {
		errs = append(errs, fmt.Errorf("--body-min-rate: %d is negative (0 turns the rate off)", l.MinBodyRate))
	}
	if l.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("--max-connections: %d is negative (0 derives it from the open file limit)", l.MaxConnections))
	}
	return errors.Join(errs...)
}

// headReadSlack is what net/http reads of a request's head past Server.MaxHeaderBytes (its
// initialReadLimitSize adds the 4 KiB of its read buffer).
const headReadSlack = 4096

// Apply sets srv's header deadline, header size and idle timeout, and puts its handler
// behind Handler. The connection cap is the listener's: see Listener.
func (l Limits) Apply(srv *http.Server) {
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	// net/http (and h1, which reads as it does) takes up to MaxHeaderBytes plus its 4 KiB
	// read buffer of a head before it answers 431; ask it for 4 KiB less, so that a head
	// over the limit is refused, as the flag and API.md say ("headers over 64 KiB").
	srv.MaxHeaderBytes = max(l.MaxHeaderBytes-headReadSlack, 1)
	srv.IdleTimeout = l.IdleTimeout
	srv.Handler = Handler(srv.Handler, l)
}
