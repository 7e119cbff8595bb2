package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/reflect"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// valuesAnnotation lists a flag's allowed values, for shell completion.
const valuesAnnotation = "grpcpulse_values"

// completionTimeout bounds the reflection a completion makes: a shell waits
// for it at every Tab.
const completionTimeout = 3 * time.Second

// SetValues records the values flag name takes, for completion.
func SetValues(fs *pflag.FlagSet, name string, values ...string) {
	_ = fs.SetAnnotation(name, valuesAnnotation, values)
}

// RegisterValueCompletions completes, in every command under root, the
// flags whose values were recorded with SetValues, and the fixed ones
// grpcpulse knows (--lb-policy, --retry-codes, --color).
func RegisterValueCompletions(root *cobra.Command) {
	known := map[string][]string{
		"lb-policy":   plan.LBPolicies(),
		"retry-codes": event.CodeNames(),
		"color":       {ColorAuto, colorAlways, colorNever},
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) {
			values := f.Annotations[valuesAnnotation]
			if values == nil {
				values = known[f.Name]
			}
			if values == nil {
				return
			}
			_ = c.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return values, cobra.ShellCompDirectiveNoFileComp
			})
		}
		c.LocalNonPersistentFlags().VisitAll(visit)
		if c == root {
			c.PersistentFlags().VisitAll(visit)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// CompleteNames completes the argument after ADDR: services (methods false)
// or "pkg.Service/Method" names, found through reflection on ADDR or in the
// descriptor files the flags name. A failure completes nothing.
func CompleteNames(ctx context.Context, d DialFunc, t plan.Target, md plan.Metadata, src SourceOptions, methods bool, toComplete string) []string {
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	if t.ConnectTimeout == 0 || t.ConnectTimeout > completionTimeout {
		t.ConnectTimeout = completionTimeout
	}
	s, err := OpenSession(ctx, d, t, md, src, false)
	if err != nil {
		return nil
	}
	defer s.Close()
	services, err := s.Source.ListServices()
	if err != nil {
		return nil
	}
	var out []string
	for _, name := range services {
		if !methods {
			out = append(out, name)
			continue
		}
		sd, err := reflect.FindService(s.Source, name)
		if err != nil {
			continue
		}
		for i := range sd.Methods().Len() {
			out = append(out, name+"/"+string(sd.Methods().Get(i).Name()))
		}
	}
	return filterPrefix(out, toComplete)
}

func filterPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// CompleteAfterAddr completes the name that follows ADDR in list and
// describe (with descriptor files, ADDR is optional and the name may come
// first).
func (o *ConnOptions) CompleteAfterAddr(ctx context.Context, d DialFunc, args []string, methods bool, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch {
	case len(args) == 1:
		o.Target.Addr = args[0]
	case len(args) > 1 || !o.Source.fromFiles():
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := CompleteNames(ctx, d, o.Target, o.Metadata, o.Source, false, toComplete)
	if methods {
		names = append(names, CompleteNames(ctx, d, o.Target, o.Metadata, o.Source, true, toComplete)...)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
