package cli

import (
	"strings"
	"unicode"

	"github.com/spf13/cobra"
)

// ArgsBetween is a cobra.PositionalArgs that names the missing or surplus
// arguments as a usage error.
func ArgsBetween(min, max int, names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			if n := len(args); n > 0 && names[n] == "METHOD" && names[n-1] == "ADDR" && LooksLikeMethod(args[n-1]) {
				return MissingAddr(args[n-1])
			}
			return UsageErrorf("missing %s", names[len(args)])
		case len(args) > max:
			return UsageErrorf("too many arguments: %q", args[max:])
		}
		return nil
	}
}

// LooksLikeMethod reports whether a, given where an address was due, is a
// method name (pkg.Service/Method or pkg.Service.Method) rather than an
// address: no colon, and a slash or a last dotted part in CamelCase.
func LooksLikeMethod(a string) bool {
	if a == "" || strings.Contains(a, ":") {
		return false
	}
	if strings.Contains(a, "/") {
		return !strings.HasPrefix(a, "/") && !strings.HasPrefix(a, ".")
	}
	last := a[strings.LastIndex(a, ".")+1:]
	return strings.Contains(a, ".") && last != "" && unicode.IsUpper(rune(last[0]))
}

// MissingAddr is the usage error of a command line whose one argument is a
// method: the address is what is missing.
func MissingAddr(method string) error {
	return UsageErrorf("missing ADDR: %s is a method; the address comes first (ADDR METHOD, e.g. 127.0.0.1:50051 %s)", method, method)
}
