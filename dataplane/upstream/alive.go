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

package upstream

import (
	"syscall"

	"github.com/portico-dev/portico/internal/rawio"
)

// alive reports whether an idle connection can carry another request: the backend has
// neither closed it (a keep-alive timeout shorter than ours) nor sent anything unasked (a
// late second answer, a 408 before closing). net/http's Transport learns both from the read
// loop it runs per connection; this client runs none, so it peeks at the socket, without
// blocking, when it takes a connection from the pool: one non-blocking recv per reuse. A
// request sent on a closed connection could not be retried when it is not idempotent, and
// bytes sent unasked would be read as the next request's answer (another client's).
func (pc *persistConn) alive() bool {
	if pc.raw == nil {
		sc, ok := pc.conn.(syscall.Conn)
		if !ok {
			return true // not a socket (tests' pipes): the exchange finds out
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		// Kept with the connection: SyscallConn allocates, and this runs per request.
		pc.raw = raw
		pc.peek = pc.peekFD
	}
	pc.peeked = false
	err := pc.raw.Read(pc.peek)
	return err == nil && pc.peeked
}

// peekFD is the check on the socket itself, for RawConn.Read: it sets peeked when there is
// nothing to read, the only healthy state (EOF, n == 0, and data both end it).
func (pc *persistConn) peekFD(fd uintptr) bool {
	var b [1]byte
	pc.peeked = rawio.Peek(fd, b[:]) == syscall.EAGAIN
	return true // never wait for readability
}
