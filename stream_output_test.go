package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// -o /dev/stdout or /dev/stderr writes in place on the stream the shell
// gave: `>> log.txt` keeps what log.txt held and appends, a pipe gets the
// report, and no temporary file is renamed over anything.
func TestOutputToHeldStreams(t *testing.T) {
	t.Parallel()
	const golden = "report/testdata/unary.json.golden"
	for _, tt := range []struct{ name, path string }{
		{"stdout", "/dev/stdout"}, {"stderr", "/dev/stderr"}, {"fd", "/dev/fd/1"}, {"proc", "/proc/self/fd/1"},
	} {
		t.Run(tt.name+" appended", func(t *testing.T) {
			t.Parallel()
			log := filepath.Join(t.TempDir(), "log.txt")
			if err := os.WriteFile(log, []byte("kept line\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c := exec.Command(os.Args[0], "report", "show", "--format", "json", "-o", tt.path, golden)
			c.Env = append(os.Environ(), asMainEnv+"=1")
			c.Stdout, c.Stderr = f, f
			if err := c.Run(); err != nil {
				b, _ := os.ReadFile(log)
				t.Fatalf("%v: %s", err, b)
			}
			b, _ := os.ReadFile(log)
			rest, ok := strings.CutPrefix(string(b), "kept line\n")
			if !ok {
				t.Fatalf("log.txt lost what it held: %.80q", b)
			}
			if !json.Valid([]byte(rest)) {
				t.Errorf("log.txt after the kept line is not the report: %.200q", rest)
			}
			if fi, err := os.Lstat(log); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("log.txt is no longer the same file: %v", err)
			}
		})
	}
	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		c := exec.Command(os.Args[0], "report", "show", "--format", "json", "-o", "/dev/stdout", golden)
		c.Env = append(os.Environ(), asMainEnv+"=1")
		stdout, err := c.StdoutPipe() // a pipe, as in `-o /dev/stdout | jq`
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(stdout)
		if err := c.Wait(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		if !json.Valid(b) {
			t.Errorf("the pipe got %.200q, want the report", b)
		}
	})
}
