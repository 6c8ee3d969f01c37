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
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// hit sends paced GET requests (paced so that the stage's throttles do not shape the
// result) and prints one JSON object: the number of answers per status code and per
// "backend path" of the echo backend's answers, and transport errors. With -duration it sends
// for that long instead of -n requests.
func hit(args []string) error {
	fs := flag.NewFlagSet("hit", flag.ContinueOnError)
	n := fs.Int("n", 100, "requests to send")
	rate := fs.Float64("rate", 100, "requests per second")
	duration := fs.Duration("duration", 0, "send for this long instead of -n requests")
	var headers headerFlags
	fs.Var(&headers, "H", "request header name:value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("hit: give one URL")
	}
	url := fs.Arg(0)
	client := &http.Client{Timeout: 5 * time.Second}
	out := struct {
		Sent     int            `json:"sent"`
		Status   map[string]int `json:"status"`
		Backends map[string]int `json:"backends"`
		Errors   []string       `json:"errors,omitempty"`
	}{Status: map[string]int{}, Backends: map[string]int{}}
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	end := time.Now().Add(*duration)
	for i := 0; ; i++ {
		if *duration > 0 && !time.Now().Before(end) || *duration == 0 && i >= *n {
			break
		}
		<-tick.C
		out.Sent++
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ":")
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			out.Errors = append(out.Errors, err.Error())
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		out.Status[fmt.Sprint(resp.StatusCode)]++
		var echo struct{ Backend, Path string }
		if json.Unmarshal(body, &echo) == nil && echo.Backend != "" {
			out.Backends[echo.Backend+" "+echo.Path]++
		}
	}
	sort.Strings(out.Errors)
	return json.NewEncoder(os.Stdout).Encode(out)
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ",") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }
