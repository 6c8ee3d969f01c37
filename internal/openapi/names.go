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

package openapi

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Names are derived from what they name (the title, the path and method, the security
// scheme), never from the order of the document, so that importing the same export twice
// gives the same objects and `kubectl apply` updates rather than duplicates.

const maxNameLength = 63

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// dnsName turns s into a DNS-1123 label; def stands in when nothing of s is left.
func dnsName(s, def string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if n == "" {
		n = def
	}
	if len(n) > maxNameLength {
		// Cut, and keep the name unique with a digest of the whole.
		n = strings.Trim(n[:maxNameLength-7], "-") + "-" + digest(s)
	}
	return n
}

// digest is a short, stable digest of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:6]
}

// nameSet hands out unique names.
type nameSet map[string]bool

// take returns name, or name with a digest of key when name is taken.
func (n nameSet) take(name, key string) string {
	if n[name] {
		base := name
		if len(base) > maxNameLength-7 {
			base = strings.Trim(base[:maxNameLength-7], "-")
		}
		name = base + "-" + digest(key)
	}
	n[name] = true
	return name
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// modelName makes s a model name ([A-Za-z0-9]{1,64}).
func modelName(s string) string {
	n := nonAlnum.ReplaceAllString(s, "")
	if n == "" {
		n = "Model" + digest(s)
	}
	if len(n) > 64 {
		n = n[:58] + digest(s)
	}
	return n
}

// envName makes s an environment-variable-like name: PORTICO_FUNCTION_<NAME>.
func envName(s string) string {
	return strings.Trim(nonAlnum.ReplaceAllString(strings.ToUpper(s), "_"), "_")
}
