//go:build unix

// Package peers runs tiny gRPC servers written with other stacks than
// grpc-go, for end-to-end tests of what grpcpulse reports about them:
//
//   - grpc-js: node/server.js, Node with @grpc/grpc-js, @grpc/proto-loader
//     and @grpc/reflection installed by `npm ci` into node/node_modules
//     (git-ignored; .ci/run installs it);
//   - C-core: python/server.py, Debian's python3-grpcio with generic
//     handlers on raw bytes (no generated code, no reflection).
//
// Both serve grpcpulse.test.v1.Pulse (testdata/proto) and grpc.health.v1,
// honour x-pulse-delay, x-pulse-messages and x-pulse-status like
// internal/testserver, take their limits as channel arguments (Options.Args,
// with each stack's own names), listen on 127.0.0.1 and print their port
// when ready. Start waits (bounded) for that line; a Peer can be stopped
// gracefully (SIGTERM), killed (SIGKILL) and restarted on the same port.
//
// A missing node, npm folder or python3-grpcio skips the test on a developer
// machine and fails it when CI=true.
//
// docs/implementations.md holds what these servers were seen to send.
package peers
