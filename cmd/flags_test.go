package cmd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// parseFlags runs cmd on argv as Run would (flag errors and cobra's refusals
// of the command line are usage errors) and returns the error's message and
// exit code; the command's run function is replaced by runF, which captures
// the options.
func parseFlags(t *testing.T, cmd *cobra.Command, argv []string) (string, int) {
	t.Helper()
	started := false
	cmd.PreRun = func(*cobra.Command, []string) { started = true }
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	cmd.SetArgs(argv)
	cmd.SetOut(new(strings.Builder))
	cmd.SetErr(new(strings.Builder))
	err := cmd.Execute()
	if err == nil {
		return "", ExitOK
	}
	if !started && !errors.As(err, new(*UsageError)) {
		err = &UsageError{Err: err}
	}
	return err.Error(), ExitCode(err)
}

type flagCase[O any] struct {
	name    string
	argv    []string
	wantErr string // "" when the flags are accepted
	code    int
	check   func(t *testing.T, o *O)
}

func runFlagCases[O any](t *testing.T, tests []flagCase[O], build func(*Factory, func(*O) error) *cobra.Command) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory("")
			f.IO.InTTY, f.IO.OutTTY = true, true // as at a terminal, unless a case says otherwise
			var got *O
			msg, code := parseFlags(t, build(f, func(o *O) error { got = o; return nil }), tt.argv)
			if tt.wantErr == "" && code != ExitOK {
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
		{name: "missing method", argv: []string{"host:1"}, wantErr: "missing METHOD", code: ExitUsage},
		{name: "too many", argv: []string{"host:1", "pkg.S/M", "x"}, wantErr: "too many arguments", code: ExitUsage},
		{name: "unknown flag", argv: []string{"--bogus", "host:1", "pkg.S/M"}, wantErr: "unknown flag: --bogus", code: ExitUsage},
		{name: "bad duration", argv: []string{"-z", "soon", "host:1", "pkg.S/M"}, wantErr: `invalid argument "soon"`, code: ExitUsage},
		{name: "bad concurrency", argv: []string{"-n", "1", "-c", "0", "host:1", "pkg.S/M"}, wantErr: "-c must be at least 1, not 0", code: ExitUsage},
		{name: "bad messages", argv: []string{"-n", "1", "--messages", "-1", "host:1", "pkg.S/M"}, wantErr: "--messages must be", code: ExitUsage},
		{name: "messages 0 needs a duration", argv: []string{"-n", "1", "--messages", "0", "host:1", "pkg.S/M"}, wantErr: "needs --stream-duration", code: ExitUsage},
		{name: "bad format", argv: []string{"-n", "1", "--format", "xml", "host:1", "pkg.S/M"}, wantErr: `--format must be text, json, hgrm, csv, markdown or html, not "xml"`, code: ExitUsage},
		{name: "abort without assert", argv: []string{"-n", "1", "--abort-on-fail", "host:1", "pkg.S/M"}, wantErr: "--abort-on-fail needs --assert", code: ExitUsage},
		{name: "bad assertion", argv: []string{"-n", "1", "--assert", "p(99)<<1", "host:1", "pkg.S/M"}, code: ExitUsage, wantErr: "p(99)<<1"},
		{name: "proto and protoset", argv: []string{"-n", "1", "--proto", "a.proto", "--protoset", "b.pb", "host:1", "pkg.S/M"}, wantErr: "use either --proto or --protoset", code: ExitUsage},
		{name: "bad method name", argv: []string{"-n", "1", "host:1", "nomethod"}, wantErr: "nomethod", code: ExitUsage},
		{name: "start-at not a time", argv: []string{"-n", "1", "--start-at", "soon", "host:1", "pkg.S/M"}, wantErr: "want an RFC 3339 time", code: ExitUsage},
		{name: "start-at long past", argv: []string{"-n", "1", "--start-at", "2020-01-01T00:00:00Z", "host:1", "pkg.S/M"}, wantErr: "--start-at 2020-01-01T00:00:00Z was ", code: ExitUsage},
		{name: "bad tag", argv: []string{"-n", "1", "--tag", "=x", "host:1", "pkg.S/M"}, wantErr: `--tag "=x": want KEY=VALUE`, code: ExitUsage},
	}, NewCmdRun)
}

func TestRunFlagsEndlessOffTerminal(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	msg, code := parseFlags(t, NewCmdRun(f, func(*RunOptions) error { t.Error("ran"); return nil }), []string{"host:1", "pkg.S/M"})
	if code != ExitUsage || !strings.Contains(msg, "give -n, -z or a ramp --schedule") {
		t.Errorf("got %q (exit %d), want the refusal of an endless run off a terminal", msg, code)
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
		{name: "no address", argv: nil, wantErr: "missing ADDR", code: ExitUsage},
		{name: "zero duration", argv: []string{"--duration", "0s", "host:1"}, wantErr: "--duration must be positive", code: ExitUsage},
		{name: "too long", argv: []string{"--duration", "2h", "host:1"}, wantErr: "at most 1h0m0s", code: ExitUsage},
		{name: "bad format", argv: []string{"--format", "html", "host:1"}, wantErr: `--format must be text or json, not "html"`, code: ExitUsage},
		{name: "unknown flag", argv: []string{"-n", "3", "host:1"}, wantErr: "unknown shorthand flag: 'n'", code: ExitUsage},
	}, NewCmdDiagnose)
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
		{name: "no file", argv: nil, wantErr: "requires at least 1 arg(s)", code: ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a.json"}, wantErr: "xml", code: ExitUsage},
		{name: "unknown flag", argv: []string{"--bogus", "a.json"}, wantErr: "unknown flag: --bogus", code: ExitUsage},
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
		{name: "no file", argv: nil, wantErr: "requires at least 1 arg(s)", code: ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a.json", "b.json"}, wantErr: "xml", code: ExitUsage},
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
		{name: "one file", argv: []string{"base.json"}, wantErr: "missing NEW", code: ExitUsage},
		{name: "three files", argv: []string{"a", "b", "c"}, wantErr: "too many arguments", code: ExitUsage},
		{name: "bad format", argv: []string{"--format", "xml", "a", "b"}, wantErr: "xml", code: ExitUsage},
	}, NewCmdReportCompare)
}
