package cmd

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"
	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/runner/conn"
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY report whether Out and ErrOut are terminals: colour
	// and live progress only go to a terminal.
	OutTTY, ErrTTY bool
	// Width is the terminal width of Out; 0 when not a terminal.
	Width int
}

// Factory holds what commands reach outside the process for, so that tests
// can replace it.
type Factory struct {
	IO        *IOStreams
	LookupEnv func(string) (string, bool)
	Dial      func(ctx context.Context, t conn.Target, opts ...grpc.DialOption) (*grpc.ClientConn, error)
}

// NewFactory is the Factory of the real process.
func NewFactory() *Factory {
	io := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())), ErrTTY: term.IsTerminal(int(os.Stderr.Fd()))}
	if io.OutTTY {
		io.Width, _, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	return &Factory{
		IO:        io,
		LookupEnv: os.LookupEnv,
		Dial:      conn.Dial,
	}
}
