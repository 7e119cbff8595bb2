package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// actionStep is the part of action.yml's composite step this test runs.
type actionStep struct {
	ID    string `yaml:"id"`
	Shell string `yaml:"shell"`
	Run   string `yaml:"run"`
}

// actionRunScript extracts the script of action.yml's "run" step.
func actionRunScript(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []actionStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for _, s := range action.Runs.Steps {
		if s.ID == "run" {
			if s.Shell != "bash" {
				t.Fatalf("the run step's shell is %q, want bash (GitHub's -eo pipefail is what this test runs)", s.Shell)
			}
			return s.Run
		}
	}
	t.Fatal("action.yml has no step with id run")
	return ""
}

// grpcpulseOnPath puts a grpcpulse on a fresh PATH directory: this test
// binary run as the real command (TestMain's asMainEnv), so the script
// runs the grpcpulse of this tree, built once with the test.
func grpcpulseOnPath(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrapper := "#!/bin/sh\n" + asMainEnv + "=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "grpcpulse"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestActionScript runs the Action's gate script exactly as GitHub runs a
// `shell: bash` step (bash --noprofile --norc -eo pipefail {0}), with the
// inputs as its environment and fake GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
// files, against the test server: a passing gate, a failing gate and a dead
// server. Each must record its exit code as the exit-code output and end
// with it; a failure says so with ::error:: and still fills the summary.
func TestActionScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to run the Action's script")
	}
	script := filepath.Join(t.TempDir(), "gate.sh")
	if err := os.WriteFile(script, []byte(actionRunScript(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := grpcpulseOnPath(t)
	srv := testserver.Start(t)
	dead := testserver.ClosedAddr(t)

	tests := []struct {
		name, target, asserts string
		code                  int
		errorLine             string // "" when no ::error:: is expected
		summary               string // what the job summary must hold
	}{
		{"passing gate", srv.Addr(), "error_rate<1%\n  p(99)<1m  \n", 0, "", "| `p(99)<1m` |"},
		{"failing gate", srv.Addr(), "p(99)<1ns", 3, "::error::grpcpulse: a gate failed (see the job summary)", "p(99)<1ns"},
		{"dead server", dead, "p(99)<1m", 1, "::error::grpcpulse run exited 1", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			output, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary.md")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"GITHUB_OUTPUT="+output, "GITHUB_STEP_SUMMARY="+summary,
				"TARGET="+tt.target, "METHOD=grpcpulse.test.v1.Pulse/Unary",
				"ARGS=--plaintext\n  -n=40\n\n-c=2\n--connect-timeout=5s\n", "ASSERTS="+tt.asserts,
				"REPORT=gate.json", "SUMMARY=true")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Fatalf("the step exited %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			out, _ := os.ReadFile(output)
			if want := "exit-code=" + string(rune('0'+tt.code)) + "\n"; string(out) != want {
				t.Errorf("GITHUB_OUTPUT holds %q, want %q", out, want)
			}
			sum, _ := os.ReadFile(summary)
			if !strings.HasPrefix(string(sum), "### grpcpulse") || !strings.Contains(string(sum), tt.summary) {
				t.Errorf("the job summary does not hold %q:\n%s", tt.summary, sum)
			}
			if _, err := os.Stat(filepath.Join(dir, "gate.json")); err != nil {
				t.Errorf("no JSON report: %v", err)
			}
			if got := strings.Contains(stdout.String(), "::error::"); got != (tt.errorLine != "") ||
				!strings.Contains(stdout.String(), tt.errorLine) {
				t.Errorf("stdout should hold %q (and no ::error:: when empty):\n%s", tt.errorLine, &stdout)
			}
		})
	}
}
