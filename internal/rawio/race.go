//go:build race

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

package rawio

import (
	"errors"
	"syscall"
)

// Under the race detector the calls go through package syscall, which tells the detector
// that a write to any descriptor happens before a read that follows it (its ioSync): programs
// that order their goroutines through the network, tests above all, keep that order, as
// with net.Conn. The raw calls would lose it. What the race detector checks is unchanged;
// only the scheduler's bookkeeping comes back.

func read(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return n, errno(err)
}

func write(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return n, errno(err)
}

func errno(err error) syscall.Errno {
	var e syscall.Errno
	if err != nil && !errors.As(err, &e) {
		return syscall.EIO // package syscall returns only Errno
	}
	return e
}
