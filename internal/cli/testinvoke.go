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

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	xdsv1alpha1 "github.com/portico-dev/portico/api/xds/v1alpha1"
	"github.com/portico-dev/portico/controllers/compile"
	"github.com/portico-dev/portico/controllers/filesource"
	"github.com/portico-dev/portico/controllers/schema"
	"github.com/portico-dev/portico/controllers/xds"
	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/limits"
	"github.com/portico-dev/portico/dataplane/pipeline"
	"github.com/portico-dev/portico/dataplane/proxy"
)

type testInvokeOptions struct {
	files             []string
	namespace         string
	api, stage        string
	method, path      string
	headers           []string
	body              string
	skipAuthorization bool
	// kube reads the objects from a cluster when no file is given.
	kube kubeFlags
	// revision, when set, runs the stage on that revision of its RestApi (and no canary).
	revision int64
}

func newTestInvokeCommand() *cobra.Command {
	var o testInvokeOptions
	cmd := &cobra.Command{
		Use:   "test-invoke --api NAME --stage NAME --method GET --path /pets/1 (-f PATH... | --kubeconfig FILE)",
		Short: "Run one request through a stage's compiled configuration, in process",
		Long: `Compiles the manifests as portico standalone does and runs one request through the
stage's request path in this process, without a listening proxy, as Amazon API Gateway's
TestInvokeMethod: authorizers, API keys and throttles run as for a real request (pass the
credentials with -H), integrations are called; an API whose default endpoint is disabled
(disableDefaultEndpoint) is tested all the same. It prints the status, headers, body, latency
and the request's execution log (every step, with data trace; credentials redacted).

The objects come from manifest files (-f), or without -f from a cluster (--kubeconfig,
--context, -n; by default as kubectl finds them): the RestApi, its Routes, Authorizers,
UsagePlans, API key Secrets, Services and EndpointSlices, and the revisions the RestApi
keeps, read once and compiled here. --revision runs the stage on another revision of its
RestApi, for instance one that no stage serves yet, before promoting it.

Exit status 0 when the request ran, whatever its status; 1 when it could not run (no such
file, API, stage or revision).`,
		Example: `  portico test-invoke -f config/samples --api pets --stage prod --method GET --path /pets/1
  portico test-invoke -f api.yaml --api pets --stage prod --method POST --path /pets \
    -H 'Content-Type: application/json' -d '{"name": "Rex"}' --skip-authorization
  portico test-invoke --kubeconfig ~/.kube/config -n shop --api pets --stage prod --path /pets/1 --revision 4
  kubectl portico test-invoke -n shop --api pets --stage prod --path /pets/1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SilenceUsage = true
			if len(o.files) == 0 && !cmd.Flags().Changed("namespace") {
				o.namespace = "" // the kubeconfig context's
			}
			return runTestInvoke(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.files, "file", "f", nil, "manifest file or folder (repeatable); without it, the objects are read from the cluster")
	f.StringVarP(&o.namespace, "namespace", "n", "default", "namespace of the API and stage (from a cluster: default the context's)")
	f.StringVar(&o.kube.kubeconfig, "kubeconfig", "", "without -f: kubeconfig file; default $KUBECONFIG or ~/.kube/config")
	f.StringVar(&o.kube.context, "context", "", "without -f: kubeconfig context")
	f.Int64Var(&o.revision, "revision", 0, "run the stage on this revision of its RestApi (from a cluster, one it keeps) instead of the one it serves")
	f.StringVar(&o.api, "api", "", "RestApi name")
	f.StringVar(&o.stage, "stage", "", "stage name (the path prefix) or Stage object name")
	f.StringVarP(&o.method, "method", "X", "GET", "HTTP method")
	f.StringVar(&o.path, "path", "/", "path within the stage, with a query string if any: /pets/1?verbose=true")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "request header 'Name: value' (repeatable)")
	f.StringVarP(&o.body, "data", "d", "", "request body")
	f.BoolVar(&o.skipAuthorization, "skip-authorization", false, "skip authorizers, API keys and throttles, as the AWS console's test does")
	cmd.MarkFlagsMutuallyExclusive("file", "kubeconfig")
	cmd.MarkFlagsMutuallyExclusive("file", "context")
	_ = cmd.MarkFlagRequired("api")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

// runTestInvoke compiles, finds the stage and serves the one request.
func runTestInvoke(ctx context.Context, out io.Writer, o testInvokeOptions) error {
	var in compile.Inputs
	if len(o.files) > 0 {
		validator, err := schema.New()
		if err != nil {
			return fmt.Errorf("loading the CRD schemas: %w", err)
		}
		src := &filesource.Source{Paths: o.files, Validator: validator, Namespace: o.namespace}
		var problems []filesource.Problem
		if in, problems, _, err = src.Load(); err != nil {
			return err
		}
		for _, p := range problems {
			// The file's other documents still count: say which ones were left out.
			if _, err := fmt.Fprintf(out, "warning: %s: %v\n", p.Path, p.Err); err != nil {
				return err
			}
		}
	} else {
		c, ns, err := o.kube.client()
		if err != nil {
			return err
		}
		if o.namespace == "" {
			o.namespace = ns
		}
		if in, err = clusterInputs(ctx, c, o.namespace, o.api); err != nil {
			return err
		}
	}
	if o.revision != 0 {
		if err := pinRevision(&in, o); err != nil {
			return err
		}
	}
	compiled := compile.Compile(in)
	snap, endpoints, err := findStage(compiled, in.Stages, o)
	if err != nil {
		return err
	}
	// The test runs on the stable variant: a canary share would make its answer random.
	snap.Canary = nil
	prepareSnapshot(snap, o.skipAuthorization)

	var execLog bytes.Buffer
	po := pipeline.Options{Log: logr.Discard()}
	if !o.skipAuthorization {
		po.Store = limits.NewMemory(limits.MemoryOptions{})
	}
	p := proxy.New(proxy.Options{
		Log: logr.Discard(), AccessLog: io.Discard, ExecutionLog: &execLog,
		Guards: pipeline.Guards(), Steps: pipeline.Steps(po),
	})
	if err := p.Apply(&config.Config{Stages: map[string]*xdsv1alpha1.StageSnapshot{snap.GetKey(): snap}, Endpoints: endpoints}); err != nil {
		return fmt.Errorf("the stage does not build: %w", err)
	}

	req, err := testRequest(snap, o)
	if err != nil {
		return err
	}
	w := httptest.NewRecorder()
	start := time.Now()
	p.ServeHTTP(w, req)
	latency := time.Since(start)
	return printResult(out, w, latency, execLog.String())
}

// findStage returns the snapshot of the stage the options name, and every endpoint.
func findStage(compiled compile.Output, stages []apiv1.Stage, o testInvokeOptions) (*xdsv1alpha1.StageSnapshot, map[string]*endpointv3.ClusterLoadAssignment, error) {
	for i := range compiled.Stages {
		s := &compiled.Stages[i]
		if s.Namespace != o.namespace || s.RestApi != o.api {
			continue
		}
		if s.StageName == o.stage || s.Key == o.namespace+"/"+o.stage {
			eps := map[string]*endpointv3.ClusterLoadAssignment{}
			for _, e := range compiled.Endpoints {
				eps[e.Cluster] = xds.EndpointsToCLA(e)
			}
			return xds.StageToProto(s), eps, nil
		}
	}
	// Say why: a missing API, or a stage that exists but does not serve (its conditions).
	// --stage names the Stage object or its stageName.
	apiExists := false
	var apis []string
	for _, st := range compiled.Statuses {
		if st.Kind == "RestApi" && st.Namespace == o.namespace {
			apis = append(apis, st.Name)
			apiExists = apiExists || st.Name == o.api
		}
	}
	if !apiExists {
		msg := fmt.Sprintf("no RestApi %s in namespace %s", o.api, o.namespace)
		if len(apis) > 0 {
			slices.Sort(apis)
			msg += " (it has " + strings.Join(apis, ", ") + ")"
		}
		return nil, nil, errors.New(msg)
	}
	named := map[string]bool{o.stage: true}
	for _, s := range stages {
		if s.Namespace == o.namespace && s.Spec.RestApiRef.Name == o.api && s.Spec.StageName == o.stage {
			named[s.Name] = true
		}
	}
	var reasons []string
	for _, st := range compiled.Statuses {
		if st.Namespace != o.namespace || (st.Kind == "RestApi" && st.Name != o.api) || (st.Kind == "Stage" && !named[st.Name]) || (st.Kind != "RestApi" && st.Kind != "Stage") {
			continue
		}
		for _, c := range st.Conditions {
			if c.Status != "True" && c.Type != "Programmed" {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s=%s %s: %s", st.Kind, st.Name, c.Type, c.Status, c.Reason, c.Message))
			}
		}
	}
	msg := fmt.Sprintf("no stage %q of RestApi %s/%s", o.stage, o.namespace, o.api)
	if len(reasons) > 0 {
		msg += "\n  " + strings.Join(reasons, "\n  ")
	}
	return nil, nil, errors.New(msg)
}

// prepareSnapshot turns on execution logs with data trace for every method, serves the
// stage on its default endpoint, and with skipAuthorization takes authorizers, API keys and
// throttles off the stage's routes.
func prepareSnapshot(s *xdsv1alpha1.StageSnapshot, skipAuthorization bool) {
	// The test request goes to /{stage}/... on the default endpoint, as AWS's
	// TestInvokeMethod reaches the method whatever disableExecuteApiEndpoint says: with the
	// endpoint disabled, every test would answer 403 (and exit 0).
	s.DisableDefaultEndpoint = false
	settings := []*xdsv1alpha1.MethodSetting{{Path: "*", Method: "*", Logging: &xdsv1alpha1.MethodLogging{Level: "INFO", DataTrace: true}}}
	for _, ms := range s.GetMethodSettings() {
		ms = proto.Clone(ms).(*xdsv1alpha1.MethodSetting)
		ms.Logging = nil
		if skipAuthorization {
			ms.Throttle = nil
		}
		settings = append(settings, ms)
	}
	// The catch-all goes last: more specific settings (their caching, throttles) still win.
	settings = append(settings, settings[0])
	s.MethodSettings = settings[1:]
	if !skipAuthorization {
		return
	}
	s.Throttle, s.UsagePlans = nil, nil
	for _, r := range s.GetApi().GetRoutes() {
		r.Authorization = nil
	}
}

// testRequest builds the request to the stage: its path under /{stageName}, on the API's
// first host name when it has any, from the loopback address.
func testRequest(s *xdsv1alpha1.StageSnapshot, o testInvokeOptions) (*http.Request, error) {
	path := o.path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	// A server's request always has a body, empty or not: integrations read it unchecked.
	var body io.Reader = http.NoBody
	if o.body != "" {
		body = strings.NewReader(o.body)
	}
	req, err := http.NewRequest(strings.ToUpper(o.method), "http://localhost/"+s.GetStageName()+path, body)
	if err != nil {
		return nil, fmt.Errorf("the request: %w", err)
	}
	req.RemoteAddr = "127.0.0.1:0"
	if hosts := s.GetApi().GetHostnames(); len(hosts) > 0 && !strings.HasPrefix(hosts[0], "*.") {
		req.Host = hosts[0]
	}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("header %q is not 'Name: value'", h)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Host") {
			req.Host = strings.TrimSpace(value)
			continue
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}

// printResult writes what AWS's test shows: status, latency, headers, body, the log.
func printResult(out io.Writer, w *httptest.ResponseRecorder, latency time.Duration, execLog string) error {
	var b []byte
	b = fmt.Appendf(b, "Status: %d\nLatency: %d ms\nHeaders:\n", w.Code, latency.Milliseconds())
	h := w.Header()
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			b = fmt.Appendf(b, "  %s: %s\n", k, v)
		}
	}
	b = append(b, "Body:\n"...)
	b = append(b, w.Body.Bytes()...)
	if w.Body.Len() > 0 && !bytes.HasSuffix(w.Body.Bytes(), []byte("\n")) {
		b = append(b, '\n')
	}
	b = append(b, "Execution log:\n"...)
	b = append(b, execLog...)
	_, err := out.Write(b)
	return err
}
