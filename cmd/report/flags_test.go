package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

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

// testFactory returns a Factory with buffers for IO and a fixed environment.
func testFactory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
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

func TestReportShowFlags(t *testing.T) {
	t.Parallel()
	runFlagCases(t, []flagCase[ReportShowOptions]{
		{name: "files and format", argv: []string{"--format", "markdown", "-o", "r.md", "a.json", "b.json"},
			check: func(t *testing.T, o *ReportShowOptions) {
				if strings.Join(o.Files, ",") != "a.json,b.json" || o.Output.Format != "markdown" || strings.Join(o.Output.Outputs, ",") != "r.md" || o.IO == nil {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "defaults", argv: []string{"a.json"},
			check: func(t *testing.T, o *ReportShowOptions) {
				if o.Output.Format != "text" || strings.Join(o.Output.Outputs, ",") != "" {
					t.Errorf("format %q, output %q", o.Output.Format, o.Output.Outputs)
				}
			}},
		{name: "no file", argv: nil, wantErr: "requires at least 1 arg(s)", code: cli.ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a.json"}, wantErr: "xml", code: cli.ExitUsage},
		{name: "unknown flag", argv: []string{"--bogus", "a.json"}, wantErr: "unknown flag: --bogus", code: cli.ExitUsage},
	}, NewCmdReportShow)
}

func TestReportMergeFlags(t *testing.T) {
	t.Parallel()
	runFlagCases(t, []flagCase[ReportMergeOptions]{
		{name: "files", argv: []string{"--format", "json", "-o", "m.json", "a.json", "b.json"},
			check: func(t *testing.T, o *ReportMergeOptions) {
				if strings.Join(o.Files, ",") != "a.json,b.json" || o.Output.Format != "json" || strings.Join(o.Output.Outputs, ",") != "m.json" || o.IO == nil {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "no file", argv: nil, wantErr: "requires at least 1 arg(s)", code: cli.ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a.json", "b.json"}, wantErr: "xml", code: cli.ExitUsage},
	}, NewCmdReportMerge)
}

func TestReportCompareFlags(t *testing.T) {
	t.Parallel()
	runFlagCases(t, []flagCase[ReportCompareOptions]{
		{name: "limits", argv: []string{"--max-regression", "p(99)=10%", "--max-regression", "rps=5%", "--force", "--format", "json", "base.json", "new.json"},
			check: func(t *testing.T, o *ReportCompareOptions) {
				if o.Base != "base.json" || o.New != "new.json" || strings.Join(o.MaxRegression, ",") != "p(99)=10%,rps=5%" || !o.Force || o.Output.Format != "json" {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "defaults", argv: []string{"base.json", "new.json"},
			check: func(t *testing.T, o *ReportCompareOptions) {
				if o.Output.Format != "text" || o.Force || strings.Join(o.Output.Outputs, ",") != "" {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "one file", argv: []string{"base.json"}, wantErr: "missing NEW", code: cli.ExitUsage},
		{name: "three files", argv: []string{"a", "b", "c"}, wantErr: "too many arguments", code: cli.ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a", "b"}, wantErr: "xml", code: cli.ExitUsage},
	}, NewCmdReportCompare)
}
