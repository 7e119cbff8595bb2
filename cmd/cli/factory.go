// Package cli is what every grpcpulse command shares: the Factory and IO
// streams, the exit codes and error types, the connection and descriptor
// source flags, -d input, and the -o/--format output plan and writing.
package cli

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"
	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY, OutTTY and ErrTTY report whether In, Out and ErrOut are
	// terminals: colour and live progress only go to a terminal, and a run
	// without an end is refused off one.
	InTTY, OutTTY, ErrTTY bool
	// Color is --color: auto (the default), always or never; see
	// colorOutput.
	Color string
	// Getenv reads the environment (NO_COLOR, CLICOLOR_FORCE, TERM).
	Getenv func(string) string
	// Width and ErrWidth are the terminal widths of Out and ErrOut; 0 when
	// not a terminal.
	Width, ErrWidth int
}

// DialFunc dials a target (conn.Dial in the real process).
type DialFunc func(ctx context.Context, t plan.Target, opts ...grpc.DialOption) (*grpc.ClientConn, error)

// Factory holds what commands reach outside the process for, so that tests
// can replace it. Each NewCmdX copies what its command needs into its
// options (IO, Dial, the metadata's LookupEnv): run functions never reach
// for the Factory.
type Factory struct {
	IO        *IOStreams
	LookupEnv func(string) (string, bool)
	Dial      DialFunc
}

// NewFactory is the Factory of the real process.
func NewFactory() *Factory {
	io := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv,
		InTTY: term.IsTerminal(int(os.Stdin.Fd())), OutTTY: term.IsTerminal(int(os.Stdout.Fd())), ErrTTY: term.IsTerminal(int(os.Stderr.Fd()))}
	if io.OutTTY {
		io.Width, _, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	if io.ErrTTY {
		io.ErrWidth, _, _ = term.GetSize(int(os.Stderr.Fd()))
	}
	return &Factory{
		IO:        io,
		LookupEnv: os.LookupEnv,
		Dial:      conn.Dial,
	}
}
