package run

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
)

func TestRunFlags(t *testing.T) {
	t.Parallel()
	clitest.RunFlagCases(t, []clitest.FlagCase[RunOptions]{
		{Name: "everything", Argv: []string{"--plaintext", "-H", "a: b", "-c", "8", "--connections", "2", "-n", "100",
			"--warmup", "1s", "--timeout", "2s", "--messages", "3", "-d", `{"id":1}`, "--protoset", "x.pb",
			"--format", "json", "-o", "r.json", "--assert", "p(99)<250ms", "--abort-on-fail", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
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
		{Name: "defaults", Argv: []string{"-n", "1", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
				if o.Load.Concurrency != 50 || o.Load.Connections != 1 || o.Call.Messages != 1 || o.Output.Format != "text" || strings.Join(o.Output.Outputs, ",") != "" ||
					o.MetricsLinger != 5*time.Second || o.Call.TemplateEnv {
					t.Errorf("defaults: %+v %+v %q %q", o.Load, o.Call, o.Output.Format, o.Output.Outputs)
				}
			}},
		{Name: "missing method", Argv: []string{"host:1"}, WantErr: "missing METHOD", Code: cli.ExitUsage},
		{Name: "too many", Argv: []string{"host:1", "pkg.S/M", "x"}, WantErr: "too many arguments", Code: cli.ExitUsage},
		{Name: "unknown flag", Argv: []string{"--bogus", "host:1", "pkg.S/M"}, WantErr: "unknown flag: --bogus", Code: cli.ExitUsage},
		{Name: "bad duration", Argv: []string{"-z", "soon", "host:1", "pkg.S/M"}, WantErr: `invalid argument "soon"`, Code: cli.ExitUsage},
		{Name: "bad concurrency", Argv: []string{"-n", "1", "-c", "0", "host:1", "pkg.S/M"}, WantErr: "-c must be at least 1, not 0", Code: cli.ExitUsage},
		{Name: "retry tuning without a policy", Argv: []string{"-n", "1", "--retry-codes", "UNAVAILABLE", "host:1", "pkg.S/M"},
			WantErr: "--retry-codes tunes the retry policy that --retry-max-attempts N (2-5) turns on", Code: cli.ExitUsage},
		{Name: "retry tuning with h2", Argv: []string{"-n", "1", "--engine", "h2", "--retry-backoff-multiplier", "3", "host:1", "pkg.S/M"},
			WantErr: "--retry-backoff-multiplier cannot be used with --engine h2", Code: cli.ExitUsage},
		{Name: "retry tuning with a service config", Argv: []string{"-n", "1", "--service-config", "{}", "--retry-codes", "UNAVAILABLE", "host:1", "pkg.S/M"},
			WantErr: "--service-config brings its own: drop --retry-codes", Code: cli.ExitUsage},
		{Name: "retries turned off with tuning left", Argv: []string{"-n", "1", "--retry-max-attempts", "0", "--retry-codes", "UNAVAILABLE", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
				if o.Target.Retry.MaxAttempts != 0 {
					t.Errorf("retry %+v", o.Target.Retry)
				}
			}},
		{Name: "retry tuning with a policy", Argv: []string{"-n", "1", "--retry-max-attempts", "3", "--retry-max-backoff", "2s", "host:1", "pkg.S/M"},
			Check: func(t *testing.T, o *RunOptions) {
				if o.Target.Retry.MaxAttempts != 3 || o.Target.Retry.MaxBackoff != 2*time.Second {
					t.Errorf("retry %+v", o.Target.Retry)
				}
			}},
		{Name: "bad messages", Argv: []string{"-n", "1", "--messages", "-1", "host:1", "pkg.S/M"}, WantErr: "--messages must be", Code: cli.ExitUsage},
		{Name: "messages 0 needs a duration", Argv: []string{"-n", "1", "--messages", "0", "host:1", "pkg.S/M"}, WantErr: "needs --stream-duration", Code: cli.ExitUsage},
		{Name: "bad format", Argv: []string{"-n", "1", "--format", "xml", "host:1", "pkg.S/M"}, WantErr: `--format must be text, json, hgrm, csv, markdown or html, not "xml"`, Code: cli.ExitUsage},
		{Name: "abort without assert", Argv: []string{"-n", "1", "--abort-on-fail", "host:1", "pkg.S/M"}, WantErr: "--abort-on-fail needs --assert", Code: cli.ExitUsage},
		{Name: "bad assertion", Argv: []string{"-n", "1", "--assert", "p(99)<<1", "host:1", "pkg.S/M"}, Code: cli.ExitUsage, WantErr: "p(99)<<1"},
		{Name: "proto and protoset", Argv: []string{"-n", "1", "--proto", "a.proto", "--protoset", "b.pb", "host:1", "pkg.S/M"}, WantErr: "use either --proto or --protoset", Code: cli.ExitUsage},
		{Name: "bad method name", Argv: []string{"-n", "1", "host:1", "nomethod"}, WantErr: "nomethod", Code: cli.ExitUsage},
		{Name: "start-at not a time", Argv: []string{"-n", "1", "--start-at", "soon", "host:1", "pkg.S/M"}, WantErr: "want an RFC 3339 time", Code: cli.ExitUsage},
		{Name: "start-at zero time", Argv: []string{"-n", "1", "--start-at", "0001-01-01T00:00:00Z", "host:1", "pkg.S/M"}, WantErr: "is the zero time", Code: cli.ExitUsage},
		{Name: "start-at year one", Argv: []string{"-n", "1", "--start-at", "0001-01-01T00:00:01Z", "host:1", "pkg.S/M"}, WantErr: "was ", Code: cli.ExitUsage},
		{Name: "metrics-addr bare zero", Argv: []string{"-n", "1", "--metrics-addr", "0", "host:1", "pkg.S/M"}, WantErr: "--metrics-addr \"0\": no port", Code: cli.ExitUsage},
		{Name: "metrics-addr port too large", Argv: []string{"-n", "1", "--metrics-addr", ":99999", "host:1", "pkg.S/M"}, WantErr: "from 0 to 65535", Code: cli.ExitUsage},
		{Name: "metrics-addr bare number", Argv: []string{"-n", "1", "--metrics-addr", "99999", "host:1", "pkg.S/M"}, WantErr: "no port", Code: cli.ExitUsage},
		{Name: "metrics-addr URL", Argv: []string{"-n", "1", "--metrics-addr", "http://127.0.0.1:9464", "host:1", "pkg.S/M"}, WantErr: "a URL is not an address", Code: cli.ExitUsage},
		{Name: "start-at long past", Argv: []string{"-n", "1", "--start-at", "2020-01-01T00:00:00Z", "host:1", "pkg.S/M"}, WantErr: "--start-at 2020-01-01T00:00:00Z was ", Code: cli.ExitUsage},
		{Name: "negative metrics linger", Argv: []string{"-n", "1", "--metrics-linger", "-1s", "host:1", "pkg.S/M"}, WantErr: "--metrics-linger must not be negative", Code: cli.ExitUsage},
		{Name: "template-env without template", Argv: []string{"-n", "1", "--template-env", "host:1", "pkg.S/M"}, WantErr: "--template-env lets templates read the environment: it needs --template", Code: cli.ExitUsage},
		{Name: "bad tag", Argv: []string{"-n", "1", "--tag", "=x", "host:1", "pkg.S/M"}, WantErr: `--tag "=x": want KEY=VALUE`, Code: cli.ExitUsage},
	}, NewCmdRun)
}

func TestRunFlagsEndlessOffTerminal(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	msg, code := clitest.ParseFlags(t, NewCmdRun(f, func(*RunOptions) error { t.Error("ran"); return nil }), []string{"host:1", "pkg.S/M"})
	if code != cli.ExitUsage || !strings.Contains(msg, "give -n, -z or a ramp --schedule") {
		t.Errorf("got %q (exit %d), want the refusal of an endless run off a terminal", msg, code)
	}
}

// testFactory is clitest.Factory, for this package's tests.
func testFactory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	return clitest.Factory(stdin)
}
