// Package plan is the one description of a run, in plain types: where to
// connect and how (Target with its Keepalive, ConnectBackoff and Retry),
// the request metadata (Metadata), the load (Load: workers, connections,
// total, duration, and its shape, a constant RPS, a Schedule or Stages) and
// how each call is made (Call), gathered in Options. Each part validates
// itself; the JSON tags are those of the report's "options".
//
// Load.Pacer is the load's shape in time, built in one place: when each
// call is due, the rate at t, whether the shape ends the run, and its text
// for reports.
//
// It is a leaf: it imports only the standard library. The flags that set
// it are bound in cmd/cli, and what needs grpc-go to check (the service
// config) is runner/conn's CheckTarget.
package plan
