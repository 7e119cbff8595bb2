package cmd

import (
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
)

func TestDiagnoseFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[DiagnoseOptions]{
		{Name: "everything", Argv: []string{"--plaintext", "-H", "a: b", "--duration", "5s", "--keepalive-time", "30s",
			"--format", "json", "-o", "p.json", "host:1"},
			Check: func(t *testing.T, o *DiagnoseOptions) {
				switch {
				case o.Target.Addr != "host:1" || !o.Target.Plaintext || o.Target.Keepalive.Time != 30*time.Second:
					t.Errorf("target %+v", o.Target)
				case o.Duration != 5*time.Second || o.ProbeOptions.Duration != o.Duration:
					t.Errorf("duration %s", o.Duration)
				case len(o.Metadata.Headers) != 1 || o.Metadata.LookupEnv == nil || o.IO == nil:
					t.Errorf("metadata %+v", o.Metadata)
				case o.Output.Format != "json" || strings.Join(o.Output.Outputs, ",") != "p.json":
					t.Errorf("format %q, output %q", o.Output.Format, o.Output.Outputs)
				}
			}},
		{Name: "defaults", Argv: []string{"host:1"},
			Check: func(t *testing.T, o *DiagnoseOptions) {
				if o.Duration != time.Minute || o.Target.Keepalive.Time != 10*time.Second || o.Output.Format != "text" {
					t.Errorf("defaults: duration %s, keepalive %s, format %q", o.Duration, o.Target.Keepalive.Time, o.Output.Format)
				}
			}},
		{Name: "no address", Argv: nil, WantErr: "missing ADDR", Code: cli.ExitUsage},
		{Name: "zero duration", Argv: []string{"--duration", "0s", "host:1"}, WantErr: "--duration must be positive", Code: cli.ExitUsage},
		{Name: "too long", Argv: []string{"--duration", "2h", "host:1"}, WantErr: "at most 1h0m0s", Code: cli.ExitUsage},
		{Name: "bad format", Argv: []string{"--format", "html", "host:1"}, WantErr: `--format must be text or json, not "html"`, Code: cli.ExitUsage},
		{Name: "unknown flag", Argv: []string{"-n", "3", "host:1"}, WantErr: "unknown shorthand flag: 'n'", Code: cli.ExitUsage},
	}, NewCmdDiagnose)
}
