package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagGroups sort a command's flags into sections of its help, in this
// order; a name ending in '-' is a prefix. Flags no group names go under
// "Other flags".
var flagGroups = []struct {
	title string
	names []string
}{
	{"Connection", []string{"plaintext", "insecure", "cacert", "cert", "key", "authority", "connect-timeout", "user-agent", "max-msg-size", "target"}},
	{"Metadata and descriptor", []string{"header", "reflect-header", "expand-headers", "redact-header", "proto", "import-path", "protoset"}},
	{"Data", []string{"data", "template", "seed", "messages", "stream-interval", "stream-pacing", "stream-duration", "file"}},
	{"Load", []string{"concurrency", "connections", "total", "duration", "warmup", "rps", "schedule", "stages", "concurrency-stages", "max-inflight", "timeout", "stall-timeout", "start-at"}},
	{"Connection tuning", []string{"keepalive-", "backoff-", "min-connect-timeout", "retry-", "lb-policy", "service-config", "wait-for-ready", "compression"}},
	{"Output and gate", []string{"format", "output", "name", "tag", "assert", "abort-on-fail", "max-regression", "force", "metrics-addr", "color"}},
}

// tuningGroup is the title of the flags that tune long-lived connections;
// commands that make one short exchange hide them from their help.
const tuningGroup = "Connection tuning"

func groupOf(name string) string {
	for _, g := range flagGroups {
		for _, n := range g.names {
			if n == name || (strings.HasSuffix(n, "-") && strings.HasPrefix(name, n)) {
				return g.title
			}
		}
	}
	return ""
}

// groupedFlagUsages is the help's flag list: one section per group when the
// command's flags fall into more than one, else the plain list.
func groupedFlagUsages(fs *pflag.FlagSet) string {
	sets := map[string]*pflag.FlagSet{}
	var order []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := groupOf(f.Name)
		if sets[g] == nil {
			sets[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			order = append(order, g)
		}
		sets[g].AddFlag(f)
	})
	if len(order) <= 1 {
		return "Flags:\n" + fs.FlagUsages()
	}
	var b strings.Builder
	titles := make([]string, 0, len(flagGroups)+1)
	for _, g := range flagGroups {
		titles = append(titles, g.title)
	}
	for _, title := range append(titles, "") {
		set := sets[title]
		if set == nil {
			continue
		}
		if title == "" {
			title = "Other"
		}
		fmt.Fprintf(&b, "%s flags:\n%s\n", title, set.FlagUsages())
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// hideGroup hides a group's flags from a command's help; they still work.
func hideGroup(fs *pflag.FlagSet, title string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if groupOf(f.Name) == title {
			f.Hidden = true
		}
	})
}

// usageTemplate is cobra's, with the local flags grouped.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

{{groupedFlagUsages .LocalFlags | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

Additional help topics:{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

func init() {
	cobra.AddTemplateFunc("groupedFlagUsages", groupedFlagUsages)
}

// useGroupedHelp gives root and every command under it the grouped help.
func useGroupedHelp(root *cobra.Command) {
	root.SetUsageTemplate(usageTemplate)
}
