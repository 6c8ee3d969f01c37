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

package proxy

import (
	"maps"
	"net/http"
	"slices"

	"github.com/portico-dev/portico/dataplane/config"
)

// route picks the stage of a request and the path under it, and says whether a domain routed
// it (Lambda events' path depends on it). A request over TLS to a custom domain (by SNI) goes
// by the domain's base path mappings (the stage name is not in the path); everything else by
// the default endpoint's /{stage}/, which a stage with disableDefaultEndpoint does not answer
// (the caller answers 403, as AWS's disabled execute-api endpoint does).
func (p *Proxy) route(g *graph, r *http.Request, host, path string) (st *stage, rest string, domain bool) {
	if g == nil {
		return nil, "", false
	}
	if d := p.opts.Domains; d != nil && r.TLS != nil {
		// The name the handshake chose the domain (and its truststore) by, not the Host
		// header: a client verified for one domain cannot reach another's mappings.
		if key, under, served := d.Route(r.TLS.ServerName, path); served {
			if b := g.stages[key]; b != nil {
				return b.st, under, true
			}
			return nil, "", true
		}
	}
	name, rest := splitStage(path)
	st = g.lookup(host, name)
	if st == nil && g.off != nil {
		st = g.off.lookup(host, name) // disableDefaultEndpoint: 403
	}
	return st, rest, false
}

// redirectToHTTPS answers a plain HTTP request for a domain with httpRedirect with the same
// URL over HTTPS, on the default port: the Service publishes the HTTPS listener on 443.
// GET and HEAD get 301, which every client follows; other methods 308, which keeps the
// method and body (a 301 may turn a POST into a GET). It reports whether it answered.
func (p *Proxy) redirectToHTTPS(w http.ResponseWriter, r *http.Request, host string) bool {
	if r.TLS != nil || p.opts.Domains == nil || !p.opts.Domains.RedirectsHTTP(host) {
		return false
	}
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	w.Header().Set("Location", "https://"+host+r.URL.RequestURI())
	w.WriteHeader(code)
	return true
}

// applyDomains hands the configuration's domains and secrets to the domain store. A domain
// that cannot be served (a missing or invalid certificate) is logged by name, never with its
// key material, and the others are served. Each domain is logged when its error changes, and
// once more when it is served again: at start-up a domain's certificate may arrive after the
// domain, and the log says when it did.
func (p *Proxy) applyDomains(cfg *config.Config) {
	if p.opts.Domains == nil {
		return
	}
	errs := p.opts.Domains.Update(cfg.Domains, cfg.Secrets)
	now := make(map[string]string, len(errs))
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		now[k] = errs[k].Error()
		if p.domainErrs[k] != now[k] {
			p.opts.Log.Info("not serving a domain", "domain", k, "error", now[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.domainErrs)) {
		if _, failing := now[k]; !failing && cfg.Domains[k] != nil {
			p.opts.Log.Info("serving a domain", "domain", k)
		}
	}
	p.domainErrs = now
}
