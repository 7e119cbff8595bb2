package cmd

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// VersionOptions are the inputs of `grpcpulse version`.
type VersionOptions struct {
	IO *cli.IOStreams
}

// NewCmdVersion builds `version`; runF replaces versionRun in tests.
func NewCmdVersion(f *cli.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of grpcpulse, grpc-go and Go",
		Args:  cli.ArgsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	_, err := fmt.Fprintln(opts.IO.Out, versionLine())
	return err
}

// versionLine is what `grpcpulse version` and `grpcpulse --version` print.
func versionLine() string {
	return fmt.Sprintf("grpcpulse %s (grpc-go %s, %s %s/%s)", cli.Version(), grpc.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
