package run

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestScenarioRefusals: what a scenario file could say that would otherwise
// be dropped or changed in silence is refused with its line; fractional
// and very large weights are kept as they are.
func TestScenarioRefusals(t *testing.T) {
	head := "target: 127.0.0.1:9\nplaintext: true\ntotal: 5\n"
	call := func(lines string) string {
		return head + "calls:\n  - method: a.B/C\n" + lines + "  - method: a.B/D\n"
	}
	file := func(name, text string) string { return writeScenario(t, name, text) }
	weights := func(t *testing.T, o *RunOptions, want ...float64) {
		t.Helper()
		if len(o.Calls) != len(want) {
			t.Fatalf("calls %+v", o.Calls)
		}
		for i, c := range o.Calls {
			if c.Weight != want[i] {
				t.Errorf("call %d: weight %v, want %v", i, c.Weight, want[i])
			}
		}
	}
	half := file("half.yaml", call("    weight: 0.5\n"))
	nines := file("nines.yaml", head+"calls:\n  - {method: a.B/C, weight: 0.9}\n  - {method: a.B/D, weight: 0.9}\n")
	huge := file("huge.yaml", head+"calls:\n  - {method: a.B/C, weight: 9223372036854775807}\n  - {method: a.B/D, weight: 9223372036854775807}\n")
	overflow := file("overflow.yaml", head+"calls:\n  - {method: a.B/C, weight: 1e308}\n  - {method: a.B/D, weight: 1e308}\n")
	nan := file("nan.yaml", call("    weight: .nan\n"))
	inf := file("inf.yaml", call("    weight: .inf\n"))
	negative := file("negative.yaml", call("    weight: -0.5\n"))
	list := file("weightlist.yaml", call("    weight: [1, 2]\n"))
	messages := file("messages.yaml", call("    messages: 2.5\n"))
	dupCall := file("dupcall.yaml", call("    weight: 2\n    weight: 3\n"))
	dupMethod := file("dupmethod.yaml", call("    method: a.B/E\n"))
	headerBoth := file("headerboth.yaml", call("    header: {x-a: 1}\n    headers: {x-b: 2}\n"))
	dupHeader := file("dupheader.yaml", call("    headers:\n      x-a: 1\n      x-a: 2\n"))
	tagBoth := file("tagboth.yaml", head+"method: a.B/C\ntags: [a=1]\ntag: b=2\n")
	headerTop := file("headertop.yaml", head+"method: a.B/C\nheader: 'x-a: 1'\nheaders: {x-b: 2}\n")
	dupTop := file("duptop.yaml", head+"method: a.B/C\ntotal: 6\n")
	concList := file("conclist.yaml", head+"method: a.B/C\nconcurrency: [1, 2]\n")
	concMap := file("concmap.yaml", head+"method: a.B/C\nconcurrency: {a: 1}\n")
	second := file("second.yaml", head+"method: a.B/C\n---\ntotal: 7\n")
	trailing := file("trailing.yaml", head+"method: a.B/C\n---\n")
	leading := file("leading.yaml", "---\n"+head+"method: a.B/C\n...\n")
	many := file("many.yaml", head+"calls:\n"+strings.Repeat("  - {method: a.B/C}\n", maxCalls+1))
	most := file("most.yaml", head+"calls:\n"+strings.Repeat("  - {method: a.B/C}\n", maxCalls))
	clitest.RunFlagCases(t, []clitest.FlagCase[RunOptions]{
		{Name: "a fractional weight is kept", Argv: []string{"-f", half}, Check: func(t *testing.T, o *RunOptions) { weights(t, o, 0.5, 1) }},
		{Name: "fractions that round to 0", Argv: []string{"-f", nines}, Check: func(t *testing.T, o *RunOptions) { weights(t, o, 0.9, 0.9) }},
		{Name: "weights past int64's sum", Argv: []string{"-f", huge}, Check: func(t *testing.T, o *RunOptions) { weights(t, o, 1<<63, 1<<63) }},
		{Name: "a leading --- and a closing ...", Argv: []string{"-f", leading}, Check: func(t *testing.T, o *RunOptions) {
			if o.Method != "a.B/C" || o.Load.Total != 5 {
				t.Errorf("method %q -n %d", o.Method, o.Load.Total)
			}
		}},
		{Name: "calls: entries over the cap", Argv: []string{"-f", many}, WantErr: fmt.Sprintf("%s:%d: calls: %d entries, more than the %d a run may mix", many, 5+maxCalls, maxCalls+1, maxCalls), Code: cli.ExitUsage},
		{Name: "calls: entries at the cap", Argv: []string{"-f", most}, Check: func(t *testing.T, o *RunOptions) {
			if len(o.Calls) != maxCalls {
				t.Errorf("%d calls, want %d", len(o.Calls), maxCalls)
			}
		}},
		{Name: "weights whose sum overflows", Argv: []string{"-f", overflow}, WantErr: "calls: the weights add up to more than 1.7976931348623157e+308", Code: cli.ExitUsage},
		{Name: "NaN weight", Argv: []string{"-f", nan}, WantErr: nan + ":6: calls: weight: want a finite number, 0 or more, not .nan", Code: cli.ExitUsage},
		{Name: "infinite weight", Argv: []string{"-f", inf}, WantErr: inf + ":6: calls: weight: want a finite number", Code: cli.ExitUsage},
		{Name: "negative weight", Argv: []string{"-f", negative}, WantErr: negative + ":6: calls: weight: want a finite number, 0 or more, not -0.5", Code: cli.ExitUsage},
		{Name: "list for a weight", Argv: []string{"-f", list}, WantErr: list + ":6: calls: weight: want a single number", Code: cli.ExitUsage},
		{Name: "fractional messages", Argv: []string{"-f", messages}, WantErr: messages + `:6: calls: messages: want a whole number, 1 or more, not "2.5"`, Code: cli.ExitUsage},
		{Name: "a calls key twice", Argv: []string{"-f", dupCall}, WantErr: dupCall + `:7: "weight" is given twice (first at line 6)`, Code: cli.ExitUsage},
		{Name: "method twice in a call", Argv: []string{"-f", dupMethod}, WantErr: dupMethod + `:6: "method" is given twice (first at line 5)`, Code: cli.ExitUsage},
		{Name: "header: beside headers: in a call", Argv: []string{"-f", headerBoth}, WantErr: headerBoth + ":7: calls: headers: and header: (line 6) both give this call's headers: give one", Code: cli.ExitUsage},
		{Name: "a header map with a key twice", Argv: []string{"-f", dupHeader}, WantErr: dupHeader + `:8: "x-a" is given twice (first at line 7)`, Code: cli.ExitUsage},
		{Name: "tag: beside tags:", Argv: []string{"-f", tagBoth}, WantErr: tagBoth + `:6: "tag" and "tags" (line 5) both set --tag: give it once`, Code: cli.ExitUsage},
		{Name: "header: beside headers:", Argv: []string{"-f", headerTop}, WantErr: headerTop + `:6: "headers" and "header" (line 5) both set --header: give it once`, Code: cli.ExitUsage},
		{Name: "a top-level key twice", Argv: []string{"-f", dupTop}, WantErr: dupTop + `:5: "total" is given twice (first at line 3)`, Code: cli.ExitUsage},
		{Name: "a list for a single-valued flag", Argv: []string{"-f", concList}, WantErr: concList + ":5: concurrency: want a single value (--concurrency is not repeatable)", Code: cli.ExitUsage},
		{Name: "a map for a single-valued flag", Argv: []string{"-f", concMap}, WantErr: concMap + ":5: concurrency: want a single value", Code: cli.ExitUsage},
		{Name: "a second document", Argv: []string{"-f", second}, WantErr: second + ":5: a second YAML document (after ---): a scenario file holds one", Code: cli.ExitUsage},
		{Name: "an empty second document", Argv: []string{"-f", trailing}, WantErr: trailing + ":5: a second YAML document", Code: cli.ExitUsage},
	}, NewCmdRun)
}
