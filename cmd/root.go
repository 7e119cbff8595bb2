// Package cmd is the grpcpulse command line: the root command and the
// commands that are not load tests or saved reports (cmd/run, cmd/report);
// what they all share lives in cmd/cli.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/grpclog"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
	"github.com/grpcpulse/grpcpulse/cmd/report"
	"github.com/grpcpulse/grpcpulse/cmd/run"
	"github.com/grpcpulse/grpcpulse/internal/inputfile"
)

// Main runs grpcpulse with the process's arguments and returns the exit code.
// The first SIGINT, SIGTERM or SIGHUP cancels the command's context: it
// stops cleanly, writes what it has and exits 128 + the signal's number (130
// for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). Signals within
// sameRequest of the first are the same request (GNU timeout signals the
// process and then its group); a later one exits at once.
//
// SIGPIPE is ignored, so a closed standard error (progress, warnings) never
// costs the report: writes to it fail with EPIPE and are dropped. A closed
// standard output (report show | head -1) ends the command quietly with
// 141, as a shell reports a command killed by SIGPIPE (see Run).
func Main() int {
	quietGRPCLogs()
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-signals
		cancel(&cli.SignalError{Signal: sig})
		sig = secondSignal(signals, time.Now, sameRequest)
		fmt.Fprintln(os.Stderr, "interrupted again: exiting at once")
		os.Exit(cli.ExitCode(&cli.SignalError{Signal: sig}))
	}()
	return Run(ctx, cli.NewFactory(), os.Args[1:])
}

// sameRequest is how close to the first signal another one is taken as the
// same request to stop, not as "exit at once".
const sameRequest = 500 * time.Millisecond

// secondSignal returns the first signal from signals that comes later than
// within of the moment it is called (the first signal's).
func secondSignal(signals <-chan os.Signal, now func() time.Time, within time.Duration) os.Signal {
	first := now()
	for {
		sig := <-signals
		if now().Sub(first) >= within {
			return sig
		}
	}
}

// Run executes the command line args and returns the exit code. Errors are
// printed to f.IO.ErrOut; usage errors with a pointer to the command's --help.
func Run(ctx context.Context, f *cli.Factory, args []string) int {
	started := false
	root := NewCmdRoot(f)
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		started = true
		return f.IO.CheckColor()
	}
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cli.ExitOK
	}
	if stdoutClosed(err) {
		return cli.ExitBrokenPipe // the reader of standard output has gone: nothing more to say
	}
	if ctx.Err() != nil && !errors.As(err, new(*cli.HealthError)) { // health --watch exits by the last status it saw
		if we := (*inputfile.WaitError)(nil); errors.As(err, &we) {
			fmt.Fprintf(f.IO.ErrOut, "interrupted: %v\n", we) // it waited on a FIFO: say which
		} else {
			fmt.Fprintln(f.IO.ErrOut, "interrupted")
		}
		if cause := context.Cause(ctx); cause != ctx.Err() {
			return cli.ExitCode(cause)
		}
		return cli.ExitInterrupted
	}
	var usage *cli.UsageError
	if !started && !errors.As(err, &usage) {
		err = &cli.UsageError{Err: err} // cobra refused the command line (unknown command, bad args)
		if meant := verbLater(root, args, err); meant != nil {
			err = meant
		}
	}
	cli.PrintError(f.IO.ErrOut, err)
	code := cli.ExitCode(err)
	if code == cli.ExitUsage && cmd != nil {
		// One line of error and a pointer, not the whole flag list: the
		// mistake stays on screen.
		fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// stdoutClosed says whether err is a write to standard output whose reader
// has gone (EPIPE, with SIGPIPE ignored).
func stdoutClosed(err error) bool {
	var pe *fs.PathError
	return errors.Is(err, syscall.EPIPE) && errors.As(err, &pe) && pe.Path == os.Stdout.Name()
}

// NewCmdRoot builds the grpcpulse command tree.
func NewCmdRoot(f *cli.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "grpcpulse",
		Short: "gRPC discovery, calls, load tests and connection diagnostics",
		Long: `grpcpulse finds a gRPC server's services through reflection (or .proto files and
protosets), calls any method, and loads it honestly.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       cli.Version(),
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.PersistentFlags().StringVar(&f.IO.Color, "color", cli.ColorAuto, "colour the report: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces it), always or never")
	root.SetFlagErrorFunc(flagError) // a usage error, saying which flag was meant
	root.AddCommand(
		NewCmdList(f, nil),
		NewCmdDescribe(f, nil),
		NewCmdCall(f, nil),
		run.NewCmdRun(f, nil),
		NewCmdDiagnose(f, nil),
		NewCmdHealth(f, nil),
		report.NewCmdReport(f),
		NewCmdServe(f, nil),
		NewCmdDemo(f, nil),
		NewCmdVersion(f, nil),
		NewCmdMan(f, nil),
	)
	useGroupedHelp(root)
	cli.RegisterValueCompletions(root)
	return root
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
