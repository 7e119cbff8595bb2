package cli

import "github.com/spf13/cobra"

// ArgsBetween is a cobra.PositionalArgs that names the missing or surplus
// arguments as a usage error.
func ArgsBetween(min, max int, names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			return UsageErrorf("missing %s", names[len(args)])
		case len(args) > max:
			return UsageErrorf("too many arguments: %q", args[max:])
		}
		return nil
	}
}
