package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
)

// version is stamped by the release build (-ldflags "-X .../cmd.version=v1.2.3").
var version = ""

// Version is grpcpulse's version: the stamped one, the module version of a
// `go install`, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// VersionOptions are the inputs of `grpcpulse version`.
type VersionOptions struct {
	IO *IOStreams
}

// NewCmdVersion builds `version`; runF replaces versionRun in tests.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of grpcpulse, grpc-go and Go",
		Args:  argsBetween(0, 0),
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
	return fmt.Sprintf("grpcpulse %s (grpc-go %s, %s %s/%s)", Version(), grpc.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
