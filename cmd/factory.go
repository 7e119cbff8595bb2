package cmd

import (
	"context"
	"io"
	"os"

	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/runner"
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Factory holds what commands reach outside the process for, so that tests
// can replace it.
type Factory struct {
	IO        *IOStreams
	LookupEnv func(string) (string, bool)
	Dial      func(ctx context.Context, t runner.Target, opts ...grpc.DialOption) (*grpc.ClientConn, error)
}

// NewFactory is the Factory of the real process.
func NewFactory() *Factory {
	return &Factory{
		IO:        &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr},
		LookupEnv: os.LookupEnv,
		Dial:      runner.Dial,
	}
}
