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
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// backend serves, on each ADDR=NAME, a JSON echo naming the backend and the path it was
// called with, so that the walkthrough can show which version answered.
func backend(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("backend: give at least one ADDR=NAME")
	}
	errs := make(chan error, len(args))
	for _, a := range args {
		addr, name, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("backend: %q is not ADDR=NAME", a)
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{
				"backend": name, "method": r.Method, "path": r.URL.Path, "user": r.Header.Get("x-user"),
			})
		})
		go func() { errs <- (&http.Server{Addr: addr, Handler: h}).ListenAndServe() }()
	}
	return <-errs
}
