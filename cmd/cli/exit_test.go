package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("boom"), 1},
		{"usage", UsageErrorf("missing ADDR"), 2},
		{"wrapped usage", fmt.Errorf("x: %w", UsageErrorf("bad")), 2},
		{"not found", &CallError{Status: status.New(codes.NotFound, "x")}, 69},
		{"unavailable", &CallError{Status: status.New(codes.Unavailable, "x")}, 78},
		{"deadline", &CallError{Status: status.New(codes.DeadlineExceeded, "x")}, 68},
		{"unauthenticated", &CallError{Status: status.New(codes.Unauthenticated, "x")}, 80},
		{"code out of range", &CallError{Status: status.New(codes.Code(300), "x")}, 66},
		{"gate", &GateError{Failed: []string{"p(99)<1ms: 3ms"}}, 3},
		{"error finding", &FindingError{Titles: []string{"too_many_pings"}}, 8},
		{"wrapped error finding", fmt.Errorf("diagnose: %w", &FindingError{}), 8},
		{"status outside a call", status.Error(codes.NotFound, "reflection"), 1},
		{"ctrl-c", &SignalError{Signal: os.Interrupt}, 130},
		{"sigterm", fmt.Errorf("run: %w", &SignalError{Signal: syscall.SIGTERM}), 143},
		{"sighup", &SignalError{Signal: syscall.SIGHUP}, 129},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestPrintError(t *testing.T) {
	t.Parallel()
	st, err := status.New(codes.InvalidArgument, "bad request").WithDetails(
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "id", Description: "must be positive"}}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	PrintError(&buf, &CallError{Status: st})
	want := `ERROR:
  Code: InvalidArgument
  Message: bad request
  Details:
  1) {"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"id","description":"must be positive"}]}
`
	if got := buf.String(); got != want {
		t.Errorf("PrintError =\n%s\nwant\n%s", got, want)
	}
	buf.Reset()
	PrintError(&buf, errors.New("plain"))
	if got := buf.String(); !strings.HasPrefix(got, "Error: plain") {
		t.Errorf("PrintError(plain) = %q", got)
	}
}

// A status message, its details and plain errors are server-controlled
// text: escape sequences in them are printed as text, never sent raw.
func TestPrintErrorEscapesControls(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	PrintError(&b, &CallError{Status: status.New(codes.Internal, "boom\x1b[2J\x1b]0;title\x07\rhidden")})
	PrintError(&b, fmt.Errorf("no call succeeded: %s", "x\x1b[31m"))
	if strings.ContainsAny(b.String(), "\x1b\x07\r") {
		t.Fatalf("control characters printed raw: %q", b.String())
	}
	for _, want := range []string{`Message: boom\x1b[2J\x1b]0;title\x07\rhidden`, `Error: no call succeeded: x\x1b[31m`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output %q lacks %q", b.String(), want)
		}
	}
}

func TestHealthExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *HealthError
		want int
	}{
		{"serving", &HealthError{Status: healthpb.HealthCheckResponse_SERVING}, ExitOK},
		{"not serving", &HealthError{Status: healthpb.HealthCheckResponse_NOT_SERVING}, 4},
		{"unknown", &HealthError{Status: healthpb.HealthCheckResponse_UNKNOWN}, 5},
		{"service unknown", &HealthError{Status: healthpb.HealthCheckResponse_SERVICE_UNKNOWN}, 6},
		{"undefined status", &HealthError{Status: 42}, 5},
		{"no health service", &HealthError{NoHealth: true}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%+v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	// The health codes must not collide with the others.
	seen := map[int]string{}
	for name, code := range map[string]int{"ok": ExitOK, "error": ExitError, "usage": ExitUsage, "gate": ExitGate,
		"not serving": ExitNotServing, "unknown": ExitHealthUnknown, "service unknown": ExitServiceUnknown,
		"no health": ExitNoHealth, "interrupted": ExitInterrupted} {
		if other, ok := seen[code]; ok {
			t.Errorf("exit code %d is both %s and %s", code, name, other)
		}
		seen[code] = name
		if code >= ExitStatusBase && code <= ExitStatusBase+int(MaxStatusCode) {
			t.Errorf("exit code %d (%s) is in the range of call statuses", code, name)
		}
	}
}
