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
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apiv1 "github.com/portico-dev/portico/api/v1alpha1"
)

func newUsageCommand(k *kubeFlags) *cobra.Command {
	var o outputFlag
	cmd := &cobra.Command{
		Use:   "usage PLAN",
		Short: "Show a usage plan's quota usage per API key, from its status",
		Long: `Prints the usage of a UsagePlan in its current quota period, per API key (on every stage
of the plan, as the quota counts), as Amazon API Gateway's GetUsage: what the controller last read from the proxies' shared store
into the plan's status (portico controller --state-redis). A plan without a quota, or a
controller without the shared store, has no usage in its status: each proxy then reports
its own counts on its admin endpoint's /usage.`,
		Example: `  kubectl portico usage gold
  kubectl portico usage gold -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: k.complete(&apiv1.UsagePlanList{}),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(); err != nil {
				return err
			}
			c, ns, err := k.client()
			if err != nil {
				return err
			}
			return showUsage(cmd.Context(), c, ns, args[0], o, cmd.OutOrStdout())
		},
	}
	o.bind(cmd)
	return cmd
}

// planUsage is what `kubectl portico usage -o json|yaml` prints.
type planUsage struct {
	Plan      string              `json:"plan"`
	Namespace string              `json:"namespace"`
	Limit     int64               `json:"limit,omitempty"`
	Period    apiv1.QuotaPeriod   `json:"period,omitempty"`
	Usage     *apiv1.UsageSummary `json:"usage,omitempty"`
}

func showUsage(ctx context.Context, c client.Client, ns, name string, o outputFlag, out io.Writer) error {
	var plan apiv1.UsagePlan
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &plan); err != nil {
		return err
	}
	u := planUsage{Plan: name, Namespace: ns, Usage: plan.Status.Usage}
	if q := plan.Spec.Quota; q != nil {
		u.Limit, u.Period = q.Limit, q.Period
	}
	if o.format == "" && u.Usage == nil {
		why := "the plan has no quota"
		if u.Limit > 0 {
			why = "the controller does not read the proxies' shared store (--state-redis); each proxy's admin /usage has its counts"
		}
		_, err := fmt.Fprintf(out, "usage plan %s/%s reports no usage: %s\n", ns, name, why)
		return err
	}
	return o.print(out, u, func(w io.Writer) {
		s := u.Usage
		_, _ = fmt.Fprintf(w, "Period %s to %s, quota %d per key per %s; %d used, %d keys at the limit (read %s)\n\n",
			s.PeriodStart.UTC().Format("2006-01-02T15:04:05Z"), s.PeriodEnd.UTC().Format("2006-01-02T15:04:05Z"), u.Limit, u.Period,
			s.Used, s.KeysAtLimit, s.ObservedAt.UTC().Format("2006-01-02T15:04:05Z"))
		_, _ = fmt.Fprintln(w, "KEY\tUSED\tREMAINING")
		for _, k := range s.Keys {
			_, _ = fmt.Fprintf(w, "%s\t%d\t%d\n", k.Name, k.Used, k.Remaining)
		}
	})
}
