// Package event is the vocabulary of what the engine observes and hands to a
// recorder: the RPC Kind of a method and the per-message Series of streams,
// gRPC status codes by name (Code), the failure Cause of a call or a
// connection attempt (and the GOAWAY behind it), the connection Event and
// its EventKind, and the probe's plain results (ProbeResult).
//
// It is a leaf: it imports only the standard library, so that the report
// hub and the engines can share it without importing each other. The
// strings are those of the JSON report (docs/report.md): they never change.
package event
