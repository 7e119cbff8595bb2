// Command grpcpulse discovers, calls, loads and diagnoses gRPC servers.
package main

import (
	"os"

	"github.com/grpcpulse/grpcpulse/cmd"
)

func main() { os.Exit(cmd.Main()) }
