// Package runner drives gRPC calls: it dials a Target (naming the real cause
// when that fails), builds request metadata and messages from user input, and
// invokes a method of any RPC kind with dynamic messages.
//
// Its option structs (Target, Metadata, Call) each own one concern, validate
// themselves and bind their own flags with AddFlags; the command layer
// composes them. The package never prints, exits or handles signals.
package runner
