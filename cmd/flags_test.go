package cmd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// parseFlags runs cmd on argv as Run would (flag errors and cobra's refusals
// of the command line are usage errors) and returns the error's message and
// exit code; the command's run function is replaced by runF, which captures
// the options.
func parseFlags(t *testing.T, cmd *cobra.Command, argv []string) (string, int) {
	t.Helper()
	started := false
	cmd.PreRun = func(*cobra.Command, []string) { started = true }
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cli.UsageError{Err: err} })
	cmd.SetArgs(argv)
	cmd.SetOut(new(strings.Builder))
	cmd.SetErr(new(strings.Builder))
	err := cmd.Execute()
	if err == nil {
		return "", cli.ExitOK
	}
	if !started && !errors.As(err, new(*cli.UsageError)) {
		err = &cli.UsageError{Err: err}
	}
	return err.Error(), cli.ExitCode(err)
}

type flagCase[O any] struct {
	name    string
	argv    []string
	wantErr string // "" when the flags are accepted
	code    int
	check   func(t *testing.T, o *O)
}

func runFlagCases[O any](t *testing.T, tests []flagCase[O], build func(*cli.Factory, func(*O) error) *cobra.Command) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory("")
			f.IO.InTTY, f.IO.OutTTY = true, true // as at a terminal, unless a case says otherwise
			var got *O
			msg, code := parseFlags(t, build(f, func(o *O) error { got = o; return nil }), tt.argv)
			if tt.wantErr == "" && code != cli.ExitOK {
				t.Fatalf("refused %q: %s (exit %d)", tt.argv, msg, code)
			}
			if tt.wantErr != "" {
				if code != tt.code || !strings.Contains(msg, tt.wantErr) {
					t.Errorf("got %q (exit %d), want one saying %q (exit %d)", msg, code, tt.wantErr, tt.code)
				}
				if got != nil {
					t.Error("the run function was called")
				}
				return
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestDiagnoseFlags(t *testing.T) {
	t.Parallel()
	runFlagCases(t, []flagCase[DiagnoseOptions]{
		{name: "everything", argv: []string{"--plaintext", "-H", "a: b", "--duration", "5s", "--keepalive-time", "30s",
			"--format", "json", "-o", "p.json", "host:1"},
			check: func(t *testing.T, o *DiagnoseOptions) {
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
		{name: "defaults", argv: []string{"host:1"},
			check: func(t *testing.T, o *DiagnoseOptions) {
				if o.Duration != time.Minute || o.Target.Keepalive.Time != 10*time.Second || o.Output.Format != "text" {
					t.Errorf("defaults: duration %s, keepalive %s, format %q", o.Duration, o.Target.Keepalive.Time, o.Output.Format)
				}
			}},
		{name: "no address", argv: nil, wantErr: "missing ADDR", code: cli.ExitUsage},
		{name: "zero duration", argv: []string{"--duration", "0s", "host:1"}, wantErr: "--duration must be positive", code: cli.ExitUsage},
		{name: "too long", argv: []string{"--duration", "2h", "host:1"}, wantErr: "at most 1h0m0s", code: cli.ExitUsage},
		{name: "bad format", argv: []string{"--format", "html", "host:1"}, wantErr: `--format must be text or json, not "html"`, code: cli.ExitUsage},
		{name: "unknown flag", argv: []string{"-n", "3", "host:1"}, wantErr: "unknown shorthand flag: 'n'", code: cli.ExitUsage},
	}, NewCmdDiagnose)
}
