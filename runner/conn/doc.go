// Package conn is grpcpulse's connection layer: where to connect and how,
// getting connected (and saying plainly why not), and watching what happens
// to connections afterwards. The load engine (package runner) and the
// commands build on it; of grpcpulse it imports only the leaves runner/plan
// and runner/event. It never prints, exits, handles signals or binds flags.
//
// # Options
//
// What to connect to is described by plain types of runner/plan:
// plan.Target (the address, TLS, authority and the knobs grpc-go takes:
// Keepalive, ConnectBackoff and Retry) and plan.Metadata. They validate
// themselves; CheckTarget adds what needs this layer (the names of the
// retry codes, and the service config the flags build, parsed by grpc-go).
// Credentials and Dial turn a Target into grpc-go's options. The flags that
// set them are bound in cmd/cli.
//
// # Dialing and causes
//
// Dial returns a READY *grpc.ClientConn or a *DialError whose Cause names
// the real reason (refused, DNS, TLS against plaintext and the reverse, an
// HTTP/1 server, a certificate...), probing the address with a TLS and a
// cleartext HTTP/2 sniff when grpc-go's error text alone cannot tell.
//
// event.Cause is the one transport-cause vocabulary of the project; this
// package reads it from grpc-go's error texts through one ordered table
// (causeTable): Classify
// names the cause of a failed call (too_many_pings, goaway_draining
// max_age, keepalive_timeout, refused, not_http2, deadline_while_ready...),
// and Dial uses the same table for its finer causes. Cause strings are keys
// of saved reports and never change.
//
// # Watching connections
//
// Tap wraps transport credentials so that each TCP connection reports an
// event.Event for its open, TLS failure, GOAWAY (code and debug data), keepalive
// ping and ACK (with the round trip), RST_STREAM and close, by scanning the
// HTTP/2 frame headers that pass; WatchState reports connectivity state
// changes (with the failed attempt's error) and keeps StateWatch.Ready
// current for the call path. Events go to a func(event.Event) sink, usually an
// EventRecorder's ConnEvent, and must be handled quickly and safely from
// grpc-go's goroutines. AttemptCounter is a stats handler that counts call
// attempts when a retry policy is on (Attempts).
//
// # The probe
//
// Probe (behind the `diagnose` command) holds three tapped connections to a
// Target for a while (an open stream, an idle connection, a busy one:
// event.ProbeStream, ProbeIdle, ProbeBusy) using only the health service
// or reflection, times the TCP, TLS and HTTP/2 steps of one handshake
// (event.HandshakeTimes), and returns an event.ProbeResult: plain data that
// reports embed beside the events it saw.
package conn
