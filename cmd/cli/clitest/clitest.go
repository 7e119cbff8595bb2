// Package clitest holds what the commands' tests share: a Factory with
// buffers for its streams, and the flag-parsing half of the GitHub CLI's
// command tests (argv → the options a command's run function receives).
// Only tests import it.
package clitest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// Factory returns a Factory with buffers for IO and a fixed environment
// (TOKEN=t0k3n), and the buffers of standard output and standard error.
func Factory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	f := cli.NewFactory()
	f.IO = &cli.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	f.LookupEnv = func(k string) (string, bool) {
		if k == "TOKEN" {
			return "t0k3n", true
		}
		return "", false
	}
	return f, &out, &errOut
}

// ParseFlags runs cmd on argv as cmd.Run would (flag errors and cobra's
// refusals of the command line are usage errors) and returns the error's
// message and exit code; the command's run function is expected to be
// replaced by one that captures the options.
func ParseFlags(t *testing.T, cmd *cobra.Command, argv []string) (string, int) {
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

// FlagCase is one command line: accepted (WantErr "") with Check run on the
// options the command's run function got, or refused with an error saying
// WantErr and exit code Code.
type FlagCase[O any] struct {
	Name    string
	Argv    []string
	WantErr string
	Code    int
	Check   func(t *testing.T, o *O)
}

// RunFlagCases runs each case against the command build makes, as at a
// terminal (standard input and output are TTYs).
func RunFlagCases[O any](t *testing.T, tests []FlagCase[O], build func(*cli.Factory, func(*O) error) *cobra.Command) {
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f, _, _ := Factory("")
			f.IO.InTTY, f.IO.OutTTY = true, true
			var got *O
			msg, code := ParseFlags(t, build(f, func(o *O) error { got = o; return nil }), tt.Argv)
			if tt.WantErr == "" && code != cli.ExitOK {
				t.Fatalf("refused %q: %s (exit %d)", tt.Argv, msg, code)
			}
			if tt.WantErr != "" {
				if code != tt.Code || !strings.Contains(msg, tt.WantErr) {
					t.Errorf("got %q (exit %d), want one saying %q (exit %d)", msg, code, tt.WantErr, tt.Code)
				}
				if got != nil {
					t.Error("the run function was called")
				}
				return
			}
			if tt.Check != nil {
				tt.Check(t, got)
			}
		})
	}
}
