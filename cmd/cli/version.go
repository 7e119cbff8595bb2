package cli

import "runtime/debug"

// version is stamped by the release build (-ldflags "-X .../cmd/cli.version=v1.2.3").
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
