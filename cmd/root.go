// Package cmd is the grpcpulse command line: Cobra wiring, flags, IO streams
// and exit codes around the runner, reflect and report packages.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/grpclog"
)

// Main runs grpcpulse with the process's arguments and returns the exit code.
// The first SIGINT, SIGTERM or SIGHUP cancels the command's context: it
// stops cleanly, writes what it has and exits 128 + the signal's number (130
// for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). A second one exits at once.
func Main() int {
	quietGRPCLogs()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	signals := make(chan os.Signal, 2) // room for both, so that neither is dropped
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-signals
		cancel(&SignalError{Signal: sig})
		sig = <-signals
		fmt.Fprintln(os.Stderr, "interrupted again: exiting at once")
		os.Exit(ExitCode(&SignalError{Signal: sig}))
	}()
	return Run(ctx, NewFactory(), os.Args[1:])
}

// Run executes the command line args and returns the exit code. Errors are
// printed to f.IO.ErrOut; usage errors with a pointer to the command's --help.
func Run(ctx context.Context, f *Factory, args []string) int {
	started := false
	root := NewCmdRoot(f)
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		started = true
		return f.IO.checkColor()
	}
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.As(err, new(*HealthError)) { // health --watch exits by the last status it saw
		fmt.Fprintln(f.IO.ErrOut, "interrupted")
		if cause := context.Cause(ctx); cause != ctx.Err() {
			return ExitCode(cause)
		}
		return ExitInterrupted
	}
	var usage *UsageError
	if !started && !errors.As(err, &usage) {
		err = &UsageError{Err: err} // cobra refused the command line (unknown command, bad args)
	}
	PrintError(f.IO.ErrOut, err)
	code := ExitCode(err)
	if code == ExitUsage && cmd != nil {
		// One line of error and a pointer, not the whole flag list: the
		// mistake stays on screen.
		fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// NewCmdRoot builds the grpcpulse command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "grpcpulse",
		Short: "gRPC discovery, calls, load tests and connection diagnostics",
		Long: `grpcpulse finds a gRPC server's services through reflection (or .proto files and
protosets), calls any method, and loads it honestly.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.PersistentFlags().StringVar(&f.IO.Color, "color", colorAuto, "colour the report: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces it), always or never")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	root.AddCommand(
		NewCmdList(f, nil),
		NewCmdDescribe(f, nil),
		NewCmdCall(f, nil),
		NewCmdRun(f, nil),
		NewCmdDiagnose(f, nil),
		NewCmdHealth(f, nil),
		NewCmdReport(f),
		NewCmdServe(f, nil),
		NewCmdDemo(f, nil),
		NewCmdVersion(f, nil),
		NewCmdMan(f, nil),
	)
	useGroupedHelp(root)
	registerValueCompletions(root)
	return root
}

// argsBetween is a cobra.PositionalArgs that names the missing or surplus
// arguments as a usage error.
func argsBetween(min, max int, names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			return usageErrorf("missing %s", names[len(args)])
		case len(args) > max:
			return usageErrorf("too many arguments: %q", args[max:])
		}
		return nil
	}
}

// quietGRPCLogs silences grpc-go's own log (an ERROR line for every
// too_many_pings GOAWAY, for one): grpcpulse reports what happened itself.
// GRPC_GO_LOG_SEVERITY_LEVEL or GRPC_GO_LOG_VERBOSITY_LEVEL keep grpc-go's
// logging, for whoever wants it too.
func quietGRPCLogs() {
	if os.Getenv("GRPC_GO_LOG_SEVERITY_LEVEL") != "" || os.Getenv("GRPC_GO_LOG_VERBOSITY_LEVEL") != "" {
		return
	}
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
}
