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

package main

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// A sleeper returns at the moment asked for, to a few microseconds. time.Sleep does not: an
// idle Go runtime waits for its next timer in epoll_wait, whose timeout counts whole
// milliseconds, so a sleep of less than one lasts one. At 2,000 requests/s, due every 500 µs,
// that sent requests up to a millisecond late, and the latency counted from when each was due
// charged the lateness to the server.
//
// A timerfd fires on the kernel's high-resolution clock and wakes the runtime's poller as any
// ready socket does, so the goroutine sleeps parked, holding no thread. (A nanosleep would
// hold the runtime's P for the sleep: the workers it had just woken would wait on it.)
type sleeper struct {
	fd   int
	file *os.File
	buf  [8]byte
}

func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	// Non-blocking, so that the os.File reads through the runtime's poller.
	return &sleeper{fd: fd, file: os.NewFile(uintptr(fd), "timerfd")}
}

func (s *sleeper) until(at time.Time) {
	d := time.Until(at)
	if d <= 0 {
		return
	}
	if s == nil {
		time.Sleep(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	if unix.TimerfdSettime(s.fd, 0, &spec, nil) != nil {
		time.Sleep(d)
		return
	}
	_, _ = s.file.Read(s.buf[:])
}
