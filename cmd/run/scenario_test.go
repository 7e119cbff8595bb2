package run

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
)

// writeScenario writes text to a scenario file named name in a temporary
// directory and returns its path.
func writeScenario(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunScenarioFile(t *testing.T) {
	yaml := writeScenario(t, "s.yaml", `# a scenario
target: 127.0.0.1:9
plaintext: true
concurrency: 7
duration: 3s
headers:
  x-a: one
assert: [error_rate<1%, "method=Unary,p(99)<20ms"]
calls:
  - method: grpcpulse.test.v1.Pulse/Unary
    weight: 3
    data: {message: hi, id: 2}
  - method: grpcpulse.test.v1.Pulse/Bidi
    messages: 4
    data: '{"message":"x"}'
    header: {x-pulse-messages: "2"}
  - method: grpcpulse.test.v1.Pulse/ServerStream
    data: "@req.json"
`)
	json := writeScenario(t, "s.json", `{"target": "127.0.0.1:9", "plaintext": true, "total": 5,
  "method": "grpcpulse.test.v1.Pulse/Unary", "data": {"message": "j"}}`)
	unknown := writeScenario(t, "bad.yaml", "target: 127.0.0.1:9\nplaintext: true\n\nconcurency: 3\n")
	badCall := writeScenario(t, "badcall.yaml", "target: 127.0.0.1:9\ncalls:\n  - method: a.B/C\n    wieght: 2\n")
	noMethod := writeScenario(t, "nomethod.yaml", "target: 127.0.0.1:9\nplaintext: true\nduration: 1s\n")
	badValue := writeScenario(t, "badvalue.yaml", "target: 127.0.0.1:9\nplaintext: true\nconcurrency: many\n")
	clitest.RunFlagCases(t, []clitest.FlagCase[RunOptions]{
		{Name: "yaml", Argv: []string{"-f", yaml}, Check: func(t *testing.T, o *RunOptions) {
			if o.Target.Addr != "127.0.0.1:9" || !o.Target.Plaintext || o.Load.Concurrency != 7 || o.Load.Duration != 3*time.Second {
				t.Errorf("target %q plaintext %v -c %d -z %s", o.Target.Addr, o.Target.Plaintext, o.Load.Concurrency, o.Load.Duration)
			}
			if !slices.Equal(o.Metadata.Headers, []string{"x-a: one"}) || len(o.Asserts) != 2 || o.Asserts[1] != "method=Unary,p(99)<20ms" {
				t.Errorf("headers %q asserts %q", o.Metadata.Headers, o.Asserts)
			}
			want := []CallSpec{
				{Method: "grpcpulse.test.v1.Pulse/Unary", Weight: 3, Data: `{"id":2,"message":"hi"}`},
				{Method: "grpcpulse.test.v1.Pulse/Bidi", Weight: 1, Messages: 4, Data: `{"message":"x"}`, Headers: []string{"x-pulse-messages: 2"}},
				{Method: "grpcpulse.test.v1.Pulse/ServerStream", Weight: 1, Data: "@" + filepath.Join(filepath.Dir(yaml), "req.json")},
			}
			if len(o.Calls) != len(want) {
				t.Fatalf("calls %+v", o.Calls)
			}
			for i, c := range o.Calls {
				w := want[i]
				if c.Method != w.Method || c.Weight != w.Weight || c.Messages != w.Messages || c.Data != w.Data || !slices.Equal(c.Headers, w.Headers) {
					t.Errorf("call %d: got %+v, want %+v", i, c, w)
				}
			}
		}},
		{Name: "the command line wins", Argv: []string{"-f", yaml, "-c", "2", "-H", "x-b: two", "127.0.0.1:10"}, Check: func(t *testing.T, o *RunOptions) {
			if o.Load.Concurrency != 2 || o.Target.Addr != "127.0.0.1:10" || !slices.Equal(o.Metadata.Headers, []string{"x-b: two"}) {
				t.Errorf("-c %d target %q headers %q", o.Load.Concurrency, o.Target.Addr, o.Metadata.Headers)
			}
			if o.Load.Duration != 3*time.Second {
				t.Errorf("-z %s: the file's keys the command line did not give still apply", o.Load.Duration)
			}
		}},
		{Name: "json", Argv: []string{"-f", json}, Check: func(t *testing.T, o *RunOptions) {
			if o.Method != "grpcpulse.test.v1.Pulse/Unary" || o.Load.Total != 5 || o.Data != `{"message":"j"}` || len(o.Calls) != 0 {
				t.Errorf("method %q -n %d data %q calls %v", o.Method, o.Load.Total, o.Data, o.Calls)
			}
		}},
		{Name: "positional method over the file's", Argv: []string{"-f", json, "127.0.0.1:11", "grpcpulse.test.v1.Pulse/Bidi"}, Check: func(t *testing.T, o *RunOptions) {
			if o.Method != "grpcpulse.test.v1.Pulse/Bidi" || o.Target.Addr != "127.0.0.1:11" {
				t.Errorf("method %q target %q", o.Method, o.Target.Addr)
			}
		}},
		{Name: "unknown key with its line", Argv: []string{"-f", unknown}, WantErr: unknown + `:4: unknown key "concurency"`, Code: cli.ExitUsage},
		{Name: "unknown call key with its line", Argv: []string{"-f", badCall}, WantErr: badCall + `:4: calls: unknown key "wieght"`, Code: cli.ExitUsage},
		{Name: "bad value with its line", Argv: []string{"-f", badValue}, WantErr: badValue + `:3: concurrency:`, Code: cli.ExitUsage},
		{Name: "no method", Argv: []string{"-f", noMethod}, WantErr: "missing METHOD", Code: cli.ExitUsage},
		{Name: "no file", Argv: []string{"-f", filepath.Join(t.TempDir(), "none.yaml")}, WantErr: "no such file", Code: cli.ExitUsage},
		{Name: "no target without a file", Argv: []string{}, WantErr: "missing ADDR", Code: cli.ExitUsage},
	}, NewCmdRun)
}

// TestScenarioExample keeps the README's example file working.
func TestScenarioExample(t *testing.T) {
	clitest.RunFlagCases(t, []clitest.FlagCase[RunOptions]{
		{Name: "docs/scenarios/mix.yaml", Argv: []string{"-f", filepath.Join("..", "..", "docs", "scenarios", "mix.yaml")}, Check: func(t *testing.T, o *RunOptions) {
			if o.Target.Addr != "127.0.0.1:50051" || len(o.Calls) != 3 || o.Calls[2].Messages != 4 || len(o.Asserts) != 4 || o.Load.Total != 3000 {
				t.Errorf("target %q calls %+v asserts %q -n %d", o.Target.Addr, o.Calls, o.Asserts, o.Load.Total)
			}
		}},
	}, NewCmdRun)
}
