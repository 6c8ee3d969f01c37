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

import "bytes"

// A backend answers with much the same head each time: of nginx's five lines only Date
// changes from one answer to the next, and only once a second. A header line the same, byte
// for byte, as the line at its place in the connection's last head passes the checks that
// line passed (headScan.line): what they found is taken from there (where its colon is,
// whether its name is canonical, which of the names framing reads it has, whether its name
// has a space), and only the bytes are compared. The line checks were about a twentieth of a
// proxied request's instructions (its CPU, less: 0.5%, as they run over bytes in the cache).
//
// Only a head of field lines, none continued, and in the connection's buffer at once
// (scanBuffered) is remembered. A continuation line is never taken from the last head: it
// begins with a space or a tab, which a field line never does.

// seenHead is the connection's last head whose lines are remembered: its header lines'
// bytes, and for each line what its checks found.
type seenHead struct {
	text  []byte
	lines []seenLine
}

type seenLine struct {
	start, end int32 // of the line in text, its ending excluded
	colon      int32 // from the line's start
	canonical  bool
	found      lineFound
}

// lineFound is what a line's checks noted beyond its field: headScan.named's bits, and
// spacedName for a name with a space (headScan.plain false).
type lineFound uint8

const spacedName lineFound = 1 << 7

// maxSeen bounds the head a connection remembers, as an idle connection holds it.
const maxSeen = 1024

// again takes line, at off in the head, as the seen line l when it is the same bytes,
// reporting whether it was.
func (s *headScan) again(line []byte, off int, l *seenLine) bool {
	if !bytes.Equal(line, s.seen.text[l.start:l.end]) {
		return false
	}
	s.entries++
	s.named |= uint8(l.found &^ spacedName)
	if l.found&spacedName != 0 {
		s.plain = false
	}
	s.fields = append(s.fields, field{start: int32(off), colon: int32(off) + l.colon, end: int32(off + len(line)), canonical: l.canonical})
	s.found = append(s.found, l.found)
	return true
}

// checkLine is line, noting what the line's checks found for remember.
func (s *headScan) checkLine(line []byte, off int) error {
	named, plain := s.named, s.plain
	s.named, s.plain = 0, true
	err := s.line(line, off)
	found := lineFound(s.named)
	if !s.plain {
		found |= spacedName
	}
	s.named, s.plain = s.named|named, s.plain && plain
	s.found = append(s.found, found)
	return err
}

// remember keeps the lines of the head just scanned, whose header lines are region, found
// at offset base of the head.
func (s *headScan) remember(region []byte, base int) {
	if s.folded || len(region) > maxSeen {
		s.seen.text, s.seen.lines = s.seen.text[:0], s.seen.lines[:0]
		return
	}
	s.seen.text = append(s.seen.text[:0], region...)
	s.seen.lines = s.seen.lines[:0]
	for i, f := range s.fields {
		s.seen.lines = append(s.seen.lines, seenLine{
			start: f.start - int32(base), end: f.end - int32(base), colon: f.colon - f.start,
			canonical: f.canonical, found: s.found[i],
		})
	}
}
