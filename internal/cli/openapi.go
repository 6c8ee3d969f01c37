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
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/controllers/filesource"
	"github.com/portico-dev/portico/controllers/schema"
	"github.com/portico-dev/portico/internal/openapi"
)

type importOptions struct {
	name, namespace, stage, output string
	functions                      []string
}

// newImportCommand is `portico import openapi`.
func newImportCommand() *cobra.Command {
	root := &cobra.Command{Use: "import", Short: "Import an API from another format"}
	var o importOptions
	cmd := &cobra.Command{
		Use:   "openapi FILE|-",
		Short: "Turn an Amazon API Gateway export (OpenAPI with x-amazon-apigateway-*) into Portico manifests",
		Long: `Reads a Swagger 2.0 or OpenAPI 3.0/3.1 export of a REST or HTTP API, with its
x-amazon-apigateway-* extensions, and writes a RestApi, its Routes, Authorizers and a Stage as
YAML. Everything the export holds that Portico cannot take is listed on standard error with
the reason; nothing is dropped silently. Lambda function ARNs become the URLs given with
--function (an HTTP service speaking the Lambda invoke contract, such as a function running
in AWS's base image under the Lambda Runtime Interface Emulator), or PORTICO_FUNCTION_<NAME>
hosts to fill in. An invalid document exits 1 with the error's location (file:line, or a JSON
pointer into the document).`,
		Example: `  portico import openapi petstore-oas30.json --name pets -o manifests/
  aws apigateway get-export --rest-api-id a1b2c3 --stage-name prod --export-type oas30 \
    --parameters extensions=apigateway /dev/stdout | portico import openapi - \
    --function arn:aws:lambda:us-east-1:123456789012:function:pets=http://pets.shop.svc:8080/2015-03-31/functions/function/invocations`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "RestApi name (default: from info.title)")
	f.StringVarP(&o.namespace, "namespace", "n", "", "namespace set on every object (default: none, kubectl's current)")
	f.StringVar(&o.stage, "stage", "", "stage name (default: the export's basePath, else prod)")
	f.StringArrayVar(&o.functions, "function", nil, "ARN=URL: the URL to call for a Lambda function ARN or name (repeatable)")
	f.StringVarP(&o.output, "output", "o", "-", "folder to write the manifests to, or - for standard output")
	root.AddCommand(cmd)
	return root
}

func runImport(stdin io.Reader, stdout, stderr io.Writer, file string, o importOptions) error {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	opts := openapi.Options{Name: o.name, Namespace: o.namespace, Stage: o.stage, Functions: map[string]string{}}
	for _, f := range o.functions {
		arn, url, ok := strings.Cut(f, "=")
		if !ok || arn == "" || url == "" {
			return fmt.Errorf("--function %q is not ARN=URL", f)
		}
		opts.Functions[arn] = url
	}
	name := file
	if file == "-" {
		name = "<stdin>"
	}
	res, err := openapi.Import(name, data, opts)
	if err != nil {
		return err
	}
	out, err := res.Manifests()
	if err != nil {
		return err
	}
	if o.output == "-" || o.output == "" {
		if _, err := stdout.Write(out); err != nil {
			return err
		}
	} else {
		if err := os.MkdirAll(o.output, 0o755); err != nil {
			return err
		}
		path := filepath.Join(o.output, res.RestApi.Name+".yaml")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stderr, "wrote %s\n", path); err != nil {
			return err
		}
	}
	_, err = io.WriteString(stderr, res.Summary())
	return err
}

type exportOptions struct {
	api, stage string
	files      []string
	kube       kubeFlags
}

// newExportCommand is `portico export openapi`.
func newExportCommand() *cobra.Command {
	root := &cobra.Command{Use: "export", Short: "Export an API to another format"}
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "openapi --api NAME [--stage NAME] (-f PATH... | --kubeconfig ...)",
		Short: "Write a RestApi and its Routes as OpenAPI 3.0 with the x-amazon-apigateway-* extensions",
		Long: `Writes the RestApi, its Routes and the Authorizers they use as OpenAPI 3.0 with
Amazon API Gateway's extensions, read from manifest files (-f) or from a cluster. What the
extensions cannot say exactly (a Service backendRef, a JWKS URI) is written as x-portico-*
beside them, so that importing the export compiles to the same revision.`,
		Example: `  portico export openapi -f config/samples --api pets --stage prod > pets.yaml
  portico export openapi --api pets -n shop > pets.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.api, "api", "", "RestApi name")
	f.StringVar(&o.stage, "stage", "", "stage name written as the servers' basePath")
	f.StringArrayVarP(&o.files, "file", "f", nil, "manifest file or folder (repeatable); without it, the cluster is read")
	f.StringVar(&o.kube.kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG or ~/.kube/config")
	f.StringVar(&o.kube.context, "context", "", "kubeconfig context")
	f.StringVarP(&o.kube.namespace, "namespace", "n", "", "namespace of the API (default: the context's, or default with -f)")
	_ = cmd.MarkFlagRequired("api")
	root.AddCommand(cmd)
	return root
}

func runExport(cmd *cobra.Command, o exportOptions) error {
	in := openapi.ExportInput{StageName: o.stage}
	if len(o.files) > 0 {
		validator, err := schema.New()
		if err != nil {
			return err
		}
		ns := o.kube.namespace
		if ns == "" {
			ns = "default"
		}
		src := &filesource.Source{Paths: o.files, Validator: validator, Namespace: ns}
		inputs, problems, _, err := src.Load()
		if err != nil {
			return err
		}
		for _, p := range problems {
			if _, err := fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %v\n", p.Path, p.Err); err != nil {
				return err
			}
		}
		for i := range inputs.RestApis {
			if a := &inputs.RestApis[i]; a.Name == o.api && a.Namespace == ns {
				in.RestApi = a
			}
		}
		for _, r := range inputs.Routes {
			if r.Namespace == ns && r.Spec.RestApiRef.Name == o.api {
				in.Routes = append(in.Routes, r)
			}
		}
		for _, a := range inputs.Authorizers {
			if a.Namespace == ns {
				in.Authorizers = append(in.Authorizers, a)
			}
		}
		if in.RestApi == nil {
			return fmt.Errorf("no RestApi %s/%s in the files", ns, o.api)
		}
	} else {
		c, ns, err := o.kube.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		var api apiv1.RestApi
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.api}, &api); err != nil {
			return err
		}
		in.RestApi = &api
		var routes apiv1.RouteList
		if err := c.List(ctx, &routes, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, r := range routes.Items {
			if r.Spec.RestApiRef.Name == o.api {
				in.Routes = append(in.Routes, r)
			}
		}
		var authz apiv1.AuthorizerList
		if err := c.List(ctx, &authz, client.InNamespace(ns)); err != nil {
			return err
		}
		in.Authorizers = authz.Items
	}
	if len(in.Routes) == 0 {
		return errors.New("RestApi " + o.api + " has no routes")
	}
	out, err := openapi.Export(in)
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}
