package run

import (
	"bytes"
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

func TestRunFlags(t *testing.T) {
	t.Parallel()
	runFlagCases(t, []flagCase[RunOptions]{
		{name: "everything", argv: []string{"--plaintext", "-H", "a: b", "-c", "8", "--connections", "2", "-n", "100",
			"--warmup", "1s", "--timeout", "2s", "--messages", "3", "-d", `{"id":1}`, "--protoset", "x.pb",
			"--format", "json", "-o", "r.json", "--assert", "p(99)<250ms", "--abort-on-fail", "host:1", "pkg.S/M"},
			check: func(t *testing.T, o *RunOptions) {
				switch {
				case o.Target.Addr != "host:1" || !o.Target.Plaintext || o.Method != "pkg.S/M":
					t.Errorf("target %+v, method %q", o.Target, o.Method)
				case len(o.Options.Metadata.Headers) != 1 || o.Metadata.Headers[0] != "a: b":
					t.Errorf("metadata %+v", o.Metadata)
				case o.Load.Concurrency != 8 || o.Load.Connections != 2 || o.Load.Total != 100 || o.Load.Warmup != time.Second:
					t.Errorf("load %+v", o.Load)
				case o.Call.Timeout != 2*time.Second || o.Call.Messages != 3:
					t.Errorf("call %+v", o.Call)
				case o.Data != `{"id":1}` || o.Source.Protosets[0] != "x.pb" || o.Output.Format != "json" || strings.Join(o.Output.Outputs, ",") != "r.json":
					t.Errorf("data %q, source %+v, format %q, output %q", o.Data, o.Source, o.Output.Format, o.Output.Outputs)
				case !o.AbortOnFail || len(o.assertions) != 1 || o.assertions[0].Expr != "p(99)<250ms":
					t.Errorf("assertions %+v (abort %v)", o.assertions, o.AbortOnFail)
				case o.IO == nil || o.Dial == nil || o.Metadata.LookupEnv == nil:
					t.Error("the Factory's IO, Dial and LookupEnv were not copied into the options")
				}
			}},
		{name: "defaults", argv: []string{"-n", "1", "host:1", "pkg.S/M"},
			check: func(t *testing.T, o *RunOptions) {
				if o.Load.Concurrency != 50 || o.Load.Connections != 1 || o.Call.Messages != 1 || o.Output.Format != "text" || strings.Join(o.Output.Outputs, ",") != "" {
					t.Errorf("defaults: %+v %+v %q %q", o.Load, o.Call, o.Output.Format, o.Output.Outputs)
				}
			}},
		{name: "missing method", argv: []string{"host:1"}, wantErr: "missing METHOD", code: cli.ExitUsage},
		{name: "too many", argv: []string{"host:1", "pkg.S/M", "x"}, wantErr: "too many arguments", code: cli.ExitUsage},
		{name: "unknown flag", argv: []string{"--bogus", "host:1", "pkg.S/M"}, wantErr: "unknown flag: --bogus", code: cli.ExitUsage},
		{name: "bad duration", argv: []string{"-z", "soon", "host:1", "pkg.S/M"}, wantErr: `invalid argument "soon"`, code: cli.ExitUsage},
		{name: "bad concurrency", argv: []string{"-n", "1", "-c", "0", "host:1", "pkg.S/M"}, wantErr: "-c must be at least 1, not 0", code: cli.ExitUsage},
		{name: "bad messages", argv: []string{"-n", "1", "--messages", "-1", "host:1", "pkg.S/M"}, wantErr: "--messages must be", code: cli.ExitUsage},
		{name: "messages 0 needs a duration", argv: []string{"-n", "1", "--messages", "0", "host:1", "pkg.S/M"}, wantErr: "needs --stream-duration", code: cli.ExitUsage},
		{name: "bad format", argv: []string{"-n", "1", "--format", "xml", "host:1", "pkg.S/M"}, wantErr: `--format must be text, json, hgrm, csv, markdown or html, not "xml"`, code: cli.ExitUsage},
		{name: "abort without assert", argv: []string{"-n", "1", "--abort-on-fail", "host:1", "pkg.S/M"}, wantErr: "--abort-on-fail needs --assert", code: cli.ExitUsage},
		{name: "bad assertion", argv: []string{"-n", "1", "--assert", "p(99)<<1", "host:1", "pkg.S/M"}, code: cli.ExitUsage, wantErr: "p(99)<<1"},
		{name: "proto and protoset", argv: []string{"-n", "1", "--proto", "a.proto", "--protoset", "b.pb", "host:1", "pkg.S/M"}, wantErr: "use either --proto or --protoset", code: cli.ExitUsage},
		{name: "bad method name", argv: []string{"-n", "1", "host:1", "nomethod"}, wantErr: "nomethod", code: cli.ExitUsage},
		{name: "start-at not a time", argv: []string{"-n", "1", "--start-at", "soon", "host:1", "pkg.S/M"}, wantErr: "want an RFC 3339 time", code: cli.ExitUsage},
		{name: "start-at long past", argv: []string{"-n", "1", "--start-at", "2020-01-01T00:00:00Z", "host:1", "pkg.S/M"}, wantErr: "--start-at 2020-01-01T00:00:00Z was ", code: cli.ExitUsage},
		{name: "bad tag", argv: []string{"-n", "1", "--tag", "=x", "host:1", "pkg.S/M"}, wantErr: `--tag "=x": want KEY=VALUE`, code: cli.ExitUsage},
	}, NewCmdRun)
}

func TestRunFlagsEndlessOffTerminal(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	msg, code := parseFlags(t, NewCmdRun(f, func(*RunOptions) error { t.Error("ran"); return nil }), []string{"host:1", "pkg.S/M"})
	if code != cli.ExitUsage || !strings.Contains(msg, "give -n, -z or a ramp --schedule") {
		t.Errorf("got %q (exit %d), want the refusal of an endless run off a terminal", msg, code)
	}
}
