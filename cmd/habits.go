package cmd

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// Habits from grpcurl and other tools that cobra refuses with a bare
// "unknown flag": each refusal says what was meant.

// grpcurlFlags are grpcurl's flags whose grpcpulse name differs.
var grpcurlFlags = map[string]string{
	"max-time":   "timeout",
	"rpc-header": "header",
	"servername": "authority",
}

// flagError explains a flag cobra refused on command c: a long flag given
// with one dash (-plaintext, as grpcurl spells them), grpcurl's name for
// one of ours (-max-time), or a misspelling (--concurency), with the flag
// that was meant.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if _, tok, ok := strings.Cut(msg, "unknown shorthand flag: "); ok {
		// "'p' in -plaintext": a long flag with a single dash.
		if _, arg, ok := strings.Cut(tok, " in -"); ok {
			name, _, _ := strings.Cut(arg, "=")
			if meant := meantFlag(c, name); meant == name {
				return cli.UsageErrorf("unknown flag -%s: did you mean --%s? (long flags take two dashes)", name, meant)
			} else if meant != "" {
				return cli.UsageErrorf("unknown flag -%s: did you mean --%s?", name, meant)
			}
		}
	}
	if _, tok, ok := strings.Cut(msg, "unknown flag: --"); ok {
		name, _, _ := strings.Cut(tok, "=")
		if meant := meantFlag(c, name); meant != "" && meant != name {
			return cli.UsageErrorf("unknown flag --%s: did you mean --%s?", name, meant)
		}
	}
	return &cli.UsageError{Err: err}
}

// meantFlag is the flag of c that name most likely meant: itself, its
// grpcurl equivalent, or the closest name within two edits; "" when none.
func meantFlag(c *cobra.Command, name string) string {
	flags := c.Flags()
	if flags.Lookup(name) != nil {
		return name
	}
	if ours, ok := grpcurlFlags[name]; ok && flags.Lookup(ours) != nil {
		return ours
	}
	best, bestDist := "", 3
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if d := editDistance(name, f.Name); d < bestDist || (d == bestDist && f.Name < best) {
			best, bestDist = f.Name, d
		}
	})
	if bestDist > 2 || bestDist >= len(name) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// verbLater explains `grpcpulse -plaintext ADDR list`: flags and arguments
// given before the command, as grpcurl takes them. It returns the command
// line that was meant, or nil when args do not look like that.
func verbLater(root *cobra.Command, args []string, err error) error {
	if !strings.HasPrefix(err.Error(), "unknown command ") || len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return nil
	}
	for i, a := range args {
		c, _, ferr := root.Find([]string{a})
		if ferr != nil || c == root || c.Name() != a && !c.HasAlias(a) {
			continue
		}
		meant := []string{root.Name(), a}
		for _, b := range append(args[:i:i], args[i+1:]...) {
			if name, ok := singleDashLong(b); ok {
				if m := meantFlag(c, name); m != "" {
					b = "-" + strings.Replace(b, name, m, 1)
				}
			}
			meant = append(meant, b)
		}
		return cli.UsageErrorf("the command comes first: did you mean %s?", strings.Join(meant, " "))
	}
	return nil
}

// singleDashLong reports whether a is a long flag given with one dash
// (-plaintext, -max-time=3s), and its name.
func singleDashLong(a string) (string, bool) {
	if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") {
		return "", false
	}
	name, _, _ := strings.Cut(a[1:], "=")
	return name, len(name) > 1
}
