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

package tlsconfig

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// KeyPair is a certificate and key read from files and read again when the files change.
// Safe for concurrent use.
type KeyPair struct {
	certFile, keyFile string
	every             time.Duration
	what              string
	log               logr.Logger
	now               func() time.Time

	// mu serializes handshakes' looks at the files: handshakes are rare on the xDS channel
	// (one per connection), and one reload at a time is what a rotation needs.
	mu      sync.Mutex
	cert    *tls.Certificate
	stamps  [2]stamp // of the files cert was read from
	checked time.Time
	failed  bool // the last reload failed and was logged
}

// stamp is what tells a rewritten file: its modification time and size. os.Stat follows
// symbolic links, so a Secret volume's atomic swap of its ..data link changes the stamp too.
type stamp struct {
	mod  time.Time
	size int64
}

// Get returns the pair, read again first if the last look at the files is older than the
// check interval and either file changed since. When the files changed but do not load, the
// last good pair is returned and the files are read again at the next check; only a pair
// that never loaded is an error.
func (p *KeyPair) Get() (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.cert != nil && p.every > 0 && now.Sub(p.checked) < p.every && !now.Before(p.checked) {
		return p.cert, nil
	}
	p.checked = now
	stamps, err := statBoth(p.certFile, p.keyFile)
	if err == nil && p.cert != nil && stamps == p.stamps {
		return p.cert, nil
	}
	var cert tls.Certificate
	if err == nil {
		cert, err = tls.LoadX509KeyPair(p.certFile, p.keyFile)
	}
	if err != nil {
		err = fmt.Errorf("loading %s certificate: %w", p.what, err)
		if p.cert == nil {
			return nil, err
		}
		if !p.failed {
			p.log.Error(err, "certificate files changed but do not load; keeping the previous certificate until they do")
			p.failed = true
		}
		return p.cert, nil
	}
	if p.cert != nil {
		p.log.Info("certificate reloaded", "what", p.what, "certFile", p.certFile, "notAfter", notAfter(&cert))
	}
	p.cert, p.stamps, p.failed = &cert, stamps, false
	return p.cert, nil
}

func statBoth(certFile, keyFile string) ([2]stamp, error) {
	var out [2]stamp
	for i, f := range []string{certFile, keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return out, err
		}
		out[i] = stamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return out, nil
}

func notAfter(c *tls.Certificate) time.Time {
	if c.Leaf == nil {
		return time.Time{}
	}
	return c.Leaf.NotAfter
}
