//go:build unix

// Package intermediary starts real proxies (nginx, haproxy) in front of a
// backend address for tests, and records the HTTP/2 frames a client sees
// through them.
//
// StartNginx and StartHAProxy write a configuration into a temporary
// directory, run the proxy as a child process in its own process group on a
// free 127.0.0.1 port, wait (bounded) until the port accepts connections, and
// kill the process group when the test ends. When the binary is missing the
// test is skipped on a developer machine and fails when CI=true (.ci/run
// installs both with apt-get).
//
// FrameLog wraps a client's net.Conn and parses the HTTP/2 frames read and
// written (SETTINGS, GOAWAY, RST_STREAM, HEADERS with decoded fields) with
// their times, so tests can assert what an intermediary sent.
//
// docs/intermediaries.md holds what these tests observed: the exact error
// texts, codes and timings grpc-go shows through each proxy.
package intermediary
