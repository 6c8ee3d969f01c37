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

package testkit

import "net/http"

// HostOf returns a RoundTripper that sends rt's requests with the Host host when their
// URL names an address: a test calls https://127.0.0.1:port with SNI host, as a client
// calling the name does (the proxy answers 421 to a Host the SNI does not name).
func HostOf(host string, rt http.RoundTripper) http.RoundTripper {
	return hostOf{host: host, rt: rt}
}

type hostOf struct {
	host string
	rt   http.RoundTripper
}

func (h hostOf) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Host == "" || r.Host == r.URL.Host {
		r = r.Clone(r.Context())
		r.Host = h.host
	}
	return h.rt.RoundTrip(r)
}
