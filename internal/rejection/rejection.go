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

// Package rejection is the text of a NACK when a proxy rejects some resources of an xDS
// response and applies the others, as gRFC A46 has xDS clients do: one bad stage must not
// keep every other stage of the same update from serving.
//
// xDS has one error_detail per response, not one per resource. So the proxy names each
// rejected resource in it, one line each, and the control plane reads the names back to
// count the resources it does not name as acknowledged. The format lives here, in one
// place both planes import, so the writer and the reader cannot drift apart:
//
//	rejected 2 of 5 resources; the others were applied
//	[shop/prod] route get-pet: authorizer "auth": unknown identity source $context.nope
//	[shop/beta] canary: percentTraffic 120 is not within 0..100
//
// A message that had to be cut short ends with a line "[...]": its reader cannot tell
// which resources it left out, so it takes every resource of the response as rejected.
package rejection

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

const (
	header    = "rejected "
	truncated = "[...]"
	// MaxReason bounds one resource's reason, so that one long error (a schema dump) does
	// not crowd the others out of the message.
	MaxReason = 1024
)

// Format writes the message for reasons (rejected resource name to why) out of total
// resources in the response, in at most max bytes (0: no limit). Names are sorted, so the
// same rejection always reads the same.
func Format(reasons map[string]string, total, max int) string {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString(strconv.Itoa(len(reasons)))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(total))
	b.WriteString(" resources; the others were applied")
	for _, name := range slices.Sorted(maps.Keys(reasons)) {
		line := "\n[" + name + "] " + oneLine(reasons[name])
		if max > 0 && b.Len()+len(line)+len("\n"+truncated) > max {
			b.WriteString("\n" + truncated)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// Parse reads a message Format wrote: each named resource's reason. ok is false when msg is
// not such a message, or was cut short: the reader must then take every resource of the
// response as rejected, with msg as the reason.
func Parse(msg string) (reasons map[string]string, ok bool) {
	first, rest, _ := strings.Cut(msg, "\n")
	if !strings.HasPrefix(first, header) {
		return nil, false
	}
	reasons = map[string]string{}
	for line := range strings.SplitSeq(rest, "\n") {
		if line == truncated {
			return nil, false
		}
		name, reason, found := strings.Cut(line, "] ")
		if !found || !strings.HasPrefix(name, "[") || len(name) < 2 {
			return nil, false
		}
		reasons[name[1:]] = reason
	}
	return reasons, true
}

// oneLine keeps a reason to one line of at most MaxReason bytes: a newline in it would end
// its entry.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > MaxReason {
		cut := MaxReason
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
