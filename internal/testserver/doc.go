// Package testserver is the controllable gRPC server behind every test and
// behind `grpcpulse serve` and `grpcpulse demo`.
//
// New starts a Server on 127.0.0.1:0 (or the address given by WithAddr) that
// serves grpcpulse.test.v1.Pulse (one method of each RPC kind), grpc.health.v1
// and server reflection. Server options (reflection on, off or v1alpha only,
// TLS with generated certificates, keepalive enforcement, connection age and
// idle limits, stream limits) are chosen with Option values; the behaviour of
// each call is chosen by the client through request metadata:
//
//	x-pulse-delay         wait this long (a Go duration) before each response
//	x-pulse-status        end the call with this status code (name or number)
//	x-pulse-status-message  the message that goes with x-pulse-status
//	x-pulse-fail-after    send this many responses before failing (default 0: fail at once)
//	x-pulse-messages      responses a server stream sends (default 3); in Bidi, responses per request (default 1)
//	x-pulse-size          bytes of payload in each response
//	x-pulse-fail-attempts fail the first N attempts of a call (retry tests; grpc-previous-rpc-attempts)
//	x-pulse-echo-headers  "true": send the request metadata back as response headers
//
// There are no package-level globals: every Server is independent, so tests
// run in parallel, each against its own.
package testserver
