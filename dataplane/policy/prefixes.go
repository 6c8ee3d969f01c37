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

package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// linearMax is the size up to which a PrefixSet scans its prefixes: for a handful, a scan
// beats masking the address once per prefix length and hashing it.
const linearMax = 8

// PrefixSet answers whether an address is in any of a list of prefixes. It is immutable.
type PrefixSet struct {
	// list holds every prefix, longest first.
	list []netip.Prefix
	// byBits holds, past linearMax prefixes, the prefixes of each length, and bits the
	// lengths present, longest first: a lookup masks the address once per length.
	byBits map[int]map[netip.Prefix]struct{}
	bits   []int
}

// ParsePrefixes parses CIDR prefixes ("10.0.0.0/8", "2001:db8::/32") and single addresses
// (as /32 or /128). Host bits are cleared and IPv4-mapped IPv6 prefixes of at least /96
// become IPv4 prefixes, so that they match the unmapped addresses Contains is given.
func ParsePrefixes(list []string) (*PrefixSet, error) {
	s := &PrefixSet{list: make([]netip.Prefix, 0, len(list))}
	for _, item := range list {
		p, err := parsePrefix(strings.TrimSpace(item))
		if err != nil {
			return nil, err
		}
		s.list = append(s.list, p)
	}
	slices.SortFunc(s.list, func(a, b netip.Prefix) int {
		if a.Bits() != b.Bits() {
			return b.Bits() - a.Bits()
		}
		return a.Addr().Compare(b.Addr())
	})
	s.list = slices.Compact(s.list)
	if len(s.list) > linearMax {
		s.byBits = map[int]map[netip.Prefix]struct{}{}
		for _, p := range s.list {
			k := bitsKey(p.Addr(), p.Bits())
			if s.byBits[k] == nil {
				s.byBits[k] = map[netip.Prefix]struct{}{}
				s.bits = append(s.bits, k)
			}
			s.byBits[k][p] = struct{}{}
		}
	}
	return s, nil
}

// bitsKey separates IPv4 from IPv6 lengths, so that an address is only masked to lengths
// of its family.
func bitsKey(a netip.Addr, bits int) int {
	if a.Is4() {
		return bits
	}
	return 1000 + bits
}

func parsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix: %w", s, err)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix: %w", s, err)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q has a zone, which no client address carries here", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Len is the number of distinct prefixes.
func (s *PrefixSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.list)
}

// Contains reports whether a is in one of the prefixes. Callers pass an unmapped address
// without a zone.
func (s *PrefixSet) Contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	if s.byBits == nil {
		for _, p := range s.list {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	for _, k := range s.bits {
		if (k < 1000) != a.Is4() {
			continue
		}
		p, err := a.Prefix(k % 1000)
		if err != nil {
			continue
		}
		if _, ok := s.byBits[k][p]; ok {
			return true
		}
	}
	return false
}

// Prefixes returns the distinct prefixes, longest first.
func (s *PrefixSet) Prefixes() []netip.Prefix {
	if s == nil {
		return nil
	}
	return slices.Clone(s.list)
}
