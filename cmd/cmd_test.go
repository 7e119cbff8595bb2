package cmd

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/cli/clitest"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/report"
)

// testFactory is clitest.Factory, for this package's tests.
func testFactory(stdin string) (*cli.Factory, *bytes.Buffer, *bytes.Buffer) {
	return clitest.Factory(stdin)
}

func TestCallFlags(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	var got *CallOptions
	cmd := NewCmdCall(f, func(o *CallOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--plaintext", "-d", `{"id":1}`, "--timeout", "2s", "-H", "a: b", "-H", "c: d",
		"--connect-timeout", "3s", "--proto", "x.proto", "--import-path", "dir", "-v", "host:1", "pkg.S/M"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	switch {
	case got.Conn.Target.Addr != "host:1" || got.Method != "pkg.S/M":
		t.Errorf("positional args: %q %q", got.Conn.Target.Addr, got.Method)
	case !got.Conn.Target.Plaintext || got.Conn.Target.ConnectTimeout != 3*time.Second:
		t.Errorf("target = %+v", got.Conn.Target)
	case got.Data != `{"id":1}` || got.Timeout != 2*time.Second || got.Verbose != 1:
		t.Errorf("call options = %+v", got)
	case strings.Join(got.Conn.Metadata.Headers, "|") != "a: b|c: d":
		t.Errorf("headers = %q", got.Conn.Metadata.Headers)
	case got.Conn.Source.Protos[0] != "x.proto" || got.Conn.Source.ImportPaths[0] != "dir":
		t.Errorf("source = %+v", got.Conn.Source)
	}
}

func TestCallFlagsDefaults(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	var got *CallOptions
	cmd := NewCmdCall(f, func(o *CallOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"host:1", "pkg.S/M"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Conn.Target.Plaintext || got.Conn.Target.ConnectTimeout != 10*time.Second || got.Timeout != 0 {
		t.Errorf("defaults: TLS by default, 10s connect timeout, no call timeout; got %+v", got)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"call", "host:1"},
		{"call", "--timeout", "-1s", "host:1", "a.B/C"},
		{"call", "--max-msg-size", "-5", "host:1", "a.B/C"},
		{"list", "--import-path", "dir", "host:1"},
		{"describe"},
		{"serve", "--mtls"},
		{"serve", "extra"},
		{"demo", "-c", "0"},
		{"demo", "-z", "1ns"},
		{"demo", "-z", "9ms"},
		{"version", "extra"},
		{"call", "127.0.0.1:1", "Unary"},
		{"call", "127.0.0.1", "a.B/C"},
		{"call", "-H", "Bad Key: v", "127.0.0.1:1", "a.B/C"},
		{"describe", "127.0.0.1:1", "."},
		{"--bogus"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f, out, errOut := testFactory("")
			if code := Run(context.Background(), f, args); code != cli.ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, cli.ExitUsage, errOut)
			}
			if !strings.Contains(errOut.String(), "--help' for usage.") || strings.Contains(errOut.String(), "Flags:") {
				t.Errorf("want one error line and a pointer to --help on stderr:\n%s", errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out)
			}
		})
	}
}

func TestCallRun(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	f, out, errOut := testFactory(`{"id": 1} {"id": 2}`)
	code := Run(context.Background(), f, []string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/ClientStream",
		"-d", "@-", "-H", "x-pulse-echo-headers: true", "-H", "x-token: ${TOKEN}", "--expand-headers", "-v"})
	if code != cli.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	if want := "{\n  \"id\": \"2\",\n  \"seq\": \"1\",\n  \"received\": \"2\"\n}\n"; out.String() != want {
		t.Errorf("stdout =\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(errOut.String(), "  x-token: t0k3n\n") {
		t.Errorf("expanded header not echoed; stderr:\n%s", errOut)
	}
	if got := srv.Calls("ClientStream"); got != 1 {
		t.Errorf("server saw %d client streams, want 1", got)
	}
}

func TestCallRunStatus(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	f, _, errOut := testFactory("")
	code := Run(context.Background(), f, []string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse.Unary",
		"-H", "x-pulse-status: RESOURCE_EXHAUSTED"})
	if code != cli.ExitStatusBase+8 {
		t.Fatalf("exit %d, want 72; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "Code: ResourceExhausted") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// An interrupt (the context cancelled by Main's signal handler) during a call
// in flight exits 130.
func TestInterruptExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := testserver.Start(t, testserver.WithCallHook(func(method string, _ metadata.MD) {
		if method == "/grpcpulse.test.v1.Pulse/Unary" {
			cancel() // the user presses Ctrl-C while the server holds the call
		}
	}))
	f, _, errOut := testFactory("")
	code := Run(ctx, f, []string{"call", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary", "-H", "x-pulse-delay: 1m"})
	if code != cli.ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// serve prints its address first, serves until the context ends, then stops
// cleanly.
func TestServeRun(t *testing.T) {
	t.Parallel()
	f, _, _ := testFactory("")
	lines := newLineWriter()
	f.IO.Out = lines
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, []string{"serve", "--listen", "127.0.0.1:0", "--tls-dir", t.TempDir()}) }()
	first := lines.next(t, done)
	addr, ok := strings.CutPrefix(first, "listening on ")
	if !ok {
		t.Fatalf("first line %q", first)
	}
	certLine := lines.next(t, done)
	caFile := strings.Fields(strings.SplitN(certLine, "--cacert ", 2)[1])[0]
	callF, out, errOut := testFactory("")
	if code := Run(context.Background(), callF, []string{"call", "--cacert", caFile, addr, "grpcpulse.test.v1.Pulse/Unary", "-d", `{"message":"tls"}`}); code != 0 {
		t.Fatalf("call exit %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out.String(), `"message": "tls"`) {
		t.Errorf("call output %q", out)
	}
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Errorf("serve exit %d after stop, want 0", code)
	}
}

// lineWriter hands each written line to a channel.
type lineWriter struct {
	buf bytes.Buffer
	c   chan string
}

func newLineWriter() *lineWriter { return &lineWriter{c: make(chan string, 16)} }

// next returns the next line, failing the test if the command ends first.
func (w *lineWriter) next(t *testing.T, done <-chan int) string {
	t.Helper()
	select {
	case line := <-w.c:
		return line
	case code := <-done:
		t.Fatalf("command ended with exit %d before printing", code)
		return ""
	}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.c <- strings.TrimSuffix(line, "\n")
	}
}

func TestDemoRun(t *testing.T) {
	t.Parallel()
	f, out, errOut := testFactory("")
	// -z 2s: a bidi stream of 5 messages must end within its run's second
	// for the run to count it; under two -race suites on two cores, 100ms
	// was not always enough ("no calls were made").
	if code := Run(context.Background(), f, []string{"demo", "-z", "2s", "-c", "2"}); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"called Unary", "called ServerStream", "called ClientStream", "called Bidi",
		"grpcpulse.test.v1.Pulse/Unary -c 2 -z 1s", "grpcpulse.test.v1.Pulse/Bidi -c 2 -z 1s --messages 5", "msg rtt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out.String(), "errors 0 (0.00%)"); n != 2 {
		t.Errorf("%d clean reports, want 2:\n%s", n, out)
	}
}

// run -n against a server that never answers ends at --stall-timeout,
// writes its report and exits 1 saying the run stalled.
func TestRunStallExits1(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.AfterCalls(1, (*testserver.Server).Pause))
	defer srv.Resume()
	f, out, errOut := testFactory("")
	code := Run(context.Background(), f, []string{"run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary",
		"-n", "10", "-c", "2", "--stall-timeout", "300ms", "--format", "json"})
	if code != cli.ExitError || !strings.Contains(errOut.String(), "the run stalled") {
		t.Fatalf("exit %d, want 1 saying the run stalled; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out.String(), `"aborted": 2`) {
		t.Errorf("the report was not written, or lacks the 2 aborted calls:\n%s", out)
	}
}

// Ctrl-C on a healthy run (the context cancelled with the signal as its
// cause, as Main does) while calls are in flight: exit 130, the report says
// how many were in flight, and the calls the user's stop cut are no stall
// (no stall_past_end finding, no error).
func TestRunInterruptIsNoStall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	srv := testserver.Start(t, testserver.AfterCalls(4, func(*testserver.Server) {
		cancel(&cli.SignalError{Signal: os.Interrupt}) // all 4 workers hold a call the server keeps for a minute
	}))
	f, out, errOut := testFactory("")
	code := Run(ctx, f, []string{"run", "--plaintext", srv.Addr(), "grpcpulse.test.v1.Pulse/Unary",
		"-z", "10m", "-c", "4", "-H", "x-pulse-delay: 1m", "--format", "json"})
	if code != cli.ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "stopped with 4 calls in flight") {
		t.Errorf("stderr does not say how many calls were in flight:\n%s", errOut)
	}
	sum, err := report.ReadJSON(strings.NewReader(out.String()))
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !sum.Interrupted || sum.Aborted != 4 {
		t.Errorf("interrupted %v, aborted %d; want true, 4", sum.Interrupted, sum.Aborted)
	}
	for _, fd := range sum.Findings {
		if fd.ID == "stall_past_end" || fd.Severity == report.SeverityError {
			t.Errorf("finding %s (%s): %s", fd.ID, fd.Severity, fd.Title)
		}
	}
}
