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
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
	"github.com/portico-dev/portico/internal/scheme"
)

// KubectlPluginName is the name under which the binary acts as `kubectl portico`.
const KubectlPluginName = "kubectl-portico"

// NewCommand returns the command the binary runs as: `kubectl portico` when installed as
// kubectl-portico (kubectl finds plugins by that name), `portico` otherwise.
func NewCommand(argv0 string) *cobra.Command {
	if filepath.Base(argv0) == KubectlPluginName {
		return NewKubectlCommand()
	}
	return NewRootCommand()
}

// kubeFlags are the cluster flags every plugin command takes.
type kubeFlags struct {
	kubeconfig, context, namespace string
}

func (k *kubeFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&k.kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG or ~/.kube/config")
	cmd.PersistentFlags().StringVar(&k.context, "context", "", "kubeconfig context")
	cmd.PersistentFlags().StringVarP(&k.namespace, "namespace", "n", "", "namespace; default the context's")
}

// client returns a client of the cluster and the namespace to work in.
func (k *kubeFlags) client() (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.context})
	ns := k.namespace
	if ns == "" {
		var err error
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", err
		}
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	return c, ns, err
}

// NewKubectlCommand is `kubectl portico`: operations on a cluster's Portico objects.
func NewKubectlCommand() *cobra.Command {
	var k kubeFlags
	root := &cobra.Command{
		// Named as the binary, so that `completion` writes a script for kubectl-portico (not
		// one that would take over kubectl's); shown as kubectl shows it.
		Use:           KubectlPluginName,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl portico"},
		Short:         "Operate Portico APIs in a cluster: promote canaries, roll back, test",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	k.bind(root)
	promote := &cobra.Command{
		Use:               "promote STAGE",
		Short:             "Make a stage's canary its deployment: its revision and variables, and no canary",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: k.complete(&apiv1.StageList{}),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			return promoteStage(cmd.Context(), c, ns, args[0], cmd.OutOrStdout())
		},
	}
	var to int64
	var keepCanary bool
	rollback := &cobra.Command{
		Use:               "rollback STAGE --to REVISION",
		Short:             "Pin a stage to an earlier revision of its RestApi (all its traffic: a canary goes unless --keep-canary)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: k.complete(&apiv1.StageList{}),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			return rollbackStage(cmd.Context(), c, ns, args[0], to, keepCanary, cmd.OutOrStdout())
		},
	}
	rollback.Flags().Int64Var(&to, "to", 0, "revision number (kubectl portico revisions API lists them)")
	rollback.Flags().BoolVar(&keepCanary, "keep-canary", false, "leave the stage's canary as it is (by default a rollback sends it all the traffic)")
	_ = rollback.MarkFlagRequired("to")
	root.AddCommand(promote, rollback, newRevisionsCommand(&k), newUsageCommand(&k))
	// The commands that also run without a cluster are portico's own, so that the plugin
	// has each of them (test-invoke, import, export) with the same flags, once.
	for _, c := range NewRootCommand().Commands() {
		switch c.Name() {
		case "test-invoke", "import", "export":
			root.AddCommand(c)
		}
	}
	return root
}

// complete completes an argument with the names of the objects of list's kind in the
// namespace, for the shell completion of `kubectl portico`.
func (k *kubeFlags) complete(list client.ObjectList) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, ns, err := k.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		if err := c.List(cmd.Context(), list, client.InNamespace(ns)); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []cobra.Completion
		_ = meta.EachListItem(list, func(o runtime.Object) error {
			if obj, ok := o.(client.Object); ok {
				names = append(names, obj.GetName())
			}
			return nil
		})
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// promoteStage does what Amazon API Gateway's canary promotion does: the canary's revision
// becomes the stage's deployment, its variables override the stage's, and the canary goes.
func promoteStage(ctx context.Context, c client.Client, ns, name string, out io.Writer) error {
	var st apiv1.Stage
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &st); err != nil {
		return err
	}
	canary := st.Spec.Canary
	if canary == nil {
		return fmt.Errorf("stage %s/%s has no canary to promote", ns, name)
	}
	before := st.DeepCopy()
	// A canary without a deployment runs the stage's own revision with other variables.
	if canary.Deployment != nil {
		d := *canary.Deployment
		st.Spec.Deployment = &d
	}
	if len(canary.Variables) > 0 {
		vars := maps.Clone(st.Spec.Variables)
		if vars == nil {
			vars = apiv1.StageVariables{}
		}
		maps.Copy(vars, canary.Variables)
		st.Spec.Variables = vars
	}
	st.Spec.Canary = nil
	if err := c.Patch(ctx, &st, client.MergeFrom(before)); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "stage %s/%s promoted: %s\n", ns, name, deployedText(st.Spec.Deployment))
	return err
}

// rollbackStage pins a stage to revision, which must be one its RestApi still keeps. A
// rollback is for a release gone wrong: the stage's canary, which would go on sending some
// of the traffic to another revision, goes too unless keepCanary.
func rollbackStage(ctx context.Context, c client.Client, ns, name string, revision int64, keepCanary bool, out io.Writer) error {
	if revision < 1 {
		return errors.New("--to is a revision number, 1 or more")
	}
	var st apiv1.Stage
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &st); err != nil {
		return err
	}
	// The compiler refuses a Stage pinned to a revision its RestApi does not keep, and a
	// refused stage is not served: a typo here would take the stage offline.
	if err := checkKeptRevision(ctx, c, ns, st.Spec.RestApiRef.Name, revision); err != nil {
		return fmt.Errorf("stage %s/%s left as it is: %w", ns, name, err)
	}
	before := st.DeepCopy()
	st.Spec.Deployment = &apiv1.StageDeployment{Revision: revision}
	note := ""
	switch canary := st.Spec.Canary; {
	case canary == nil:
	case keepCanary:
		note = fmt.Sprintf("; its canary still takes %s (--keep-canary)", canaryShare(canary))
	default:
		st.Spec.Canary = nil
		note = fmt.Sprintf("; its canary (%s) removed", canaryShare(canary))
	}
	if err := c.Patch(ctx, &st, client.MergeFrom(before)); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "stage %s/%s rolled back: %s%s\n", ns, name, deployedText(st.Spec.Deployment), note)
	return err
}

// canaryShare is a canary's traffic and revision, as "10% of the traffic, on revision 4".
func canaryShare(c *apiv1.Canary) string {
	share := "0%"
	if c.PercentTraffic != nil {
		share = strconv.FormatFloat(*c.PercentTraffic, 'f', -1, 64) + "%"
	}
	share += " of the traffic"
	if c.Deployment != nil {
		share += fmt.Sprintf(", on revision %d", c.Deployment.Revision)
	}
	return share
}

func deployedText(d *apiv1.StageDeployment) string {
	if d == nil {
		return "follows the latest revision"
	}
	return fmt.Sprintf("serves revision %d", d.Revision)
}
