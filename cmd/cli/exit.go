package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // registers the standard error detail types for printing
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/report"
)

// Exit codes. Only this file knows the numbers.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitGate        = 3
	ExitStatusBase  = 64  // a one-shot call that ended with status code C exits 64+C
	ExitInterrupted = 130 // 128 + SIGINT; SIGTERM exits 143 and SIGHUP 129 (SignalError)
	ExitBrokenPipe  = 141 // 128 + SIGPIPE: standard output was closed by its reader (report show | head -1)
)

// Exit codes of `health`, by the status it saw (SERVING is ExitOK).
const (
	ExitNotServing     = 4 // NOT_SERVING
	ExitHealthUnknown  = 5 // UNKNOWN, or a status this version does not know
	ExitServiceUnknown = 6 // SERVICE_UNKNOWN, or NotFound from Check
	ExitNoHealth       = 7 // the server has no grpc.health.v1.Health service
)

// ExitFinding is the exit code of `diagnose` when its diagnosis has a
// finding at error level (the report is written first): CI can fail on a
// problem the probe saw, apart from one it could not run (1).
const ExitFinding = 8

// FindingError is a diagnosis with error-level findings: exit 8. Titles
// are those findings' titles.
type FindingError struct{ Titles []string }

func (e *FindingError) Error() string {
	return fmt.Sprintf("the diagnosis found %s:\n  %s", map[bool]string{true: "an error", false: fmt.Sprintf("%d errors", len(e.Titles))}[len(e.Titles) == 1],
		strings.Join(e.Titles, "\n  "))
}

// MaxStatusCode is the largest gRPC status code (Unauthenticated).
const MaxStatusCode = codes.Unauthenticated

// UsageError is a mistake in the command line: exit 2, with the usage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf formats a UsageError.
func UsageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// GateError is a CI gate that failed: an assertion or a regression limit
// (exit 3). Failed lists each failure with its measured value.
// Notes say what else the run went through (stopped early, no call
// succeeded), one line each.
type GateError struct{ Failed, Notes []string }

func (e *GateError) Error() string {
	msg := fmt.Sprintf("%d %s failed:\n  %s", len(e.Failed), map[bool]string{true: "gate", false: "gates"}[len(e.Failed) == 1],
		strings.Join(e.Failed, "\n  "))
	for _, n := range e.Notes {
		msg += "\n(" + n + ")"
	}
	return msg
}

// CallError is a one-shot call that ended with a non-OK status.
type CallError struct{ Status *status.Status }

func (e *CallError) Error() string {
	return fmt.Sprintf("%s: %s", e.Status.Code(), e.Status.Message())
}

// SignalError is a run stopped by a signal: exit 128 + its number, the
// shell's convention (130 for Ctrl-C, 143 for SIGTERM).
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return "interrupted by " + e.Signal.String() }

// HealthError is a health check that did not end SERVING: Status is the last
// status seen; NoHealth means the server has no health service at all.
type HealthError struct {
	Status   healthpb.HealthCheckResponse_ServingStatus
	NoHealth bool
	Msg      string
}

func (e *HealthError) Error() string { return e.Msg }

// healthExitCode is the exit code of a health check that ended with e.
func healthExitCode(e *HealthError) int {
	switch {
	case e.NoHealth:
		return ExitNoHealth
	case e.Status == healthpb.HealthCheckResponse_SERVING:
		return ExitOK
	case e.Status == healthpb.HealthCheckResponse_NOT_SERVING:
		return ExitNotServing
	case e.Status == healthpb.HealthCheckResponse_SERVICE_UNKNOWN:
		return ExitServiceUnknown
	}
	return ExitHealthUnknown
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var usage *UsageError
	var call *CallError
	var gate *GateError
	var sig *SignalError
	var health *HealthError
	var finding *FindingError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &sig):
		if n, ok := sig.Signal.(syscall.Signal); ok {
			return 128 + int(n)
		}
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &gate):
		return ExitGate
	case errors.As(err, &health):
		return healthExitCode(health)
	case errors.As(err, &finding):
		return ExitFinding
	case errors.As(err, &call):
		code := call.Status.Code()
		if code > MaxStatusCode {
			code = codes.Unknown // a server may send any number; keep the exit code in range
		}
		return ExitStatusBase + int(code)
	}
	return ExitError
}

// PrintError writes err for a person: a call's status as Code/Message/Details,
// anything else as "Error: ...".
func PrintError(w io.Writer, err error) {
	var call *CallError
	if !errors.As(err, &call) {
		fmt.Fprintf(w, "Error: %s\n", report.Printable(err.Error(), false))
		return
	}
	fmt.Fprintf(w, "ERROR:\n  Code: %s\n  Message: %s\n", call.Status.Code(), report.Printable(report.TruncateMessage(call.Status.Message()), true))
	details := call.Status.Proto().GetDetails()
	if len(details) == 0 {
		return
	}
	fmt.Fprintln(w, "  Details:")
	for i, d := range details {
		text, err := marshalJSON(d, nil, true)
		if err != nil {
			text = []byte(fmt.Sprintf("%s (%d bytes; cannot decode: %v)", d.GetTypeUrl(), len(d.GetValue()), err))
		}
		fmt.Fprintf(w, "  %d) %s\n", i+1, report.Printable(strings.TrimSpace(string(text)), false))
	}
}
