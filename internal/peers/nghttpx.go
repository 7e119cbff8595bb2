//go:build unix

package peers

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
)

// NghttpxConfig holds the nghttpx timers the tests turn; zero leaves
// nghttpx's default.
type NghttpxConfig struct {
	// FrontendHTTP2ReadTimeout is --frontend-http2-read-timeout: how long a
	// client HTTP/2 connection may stay silent (default 3m).
	// (--frontend-keep-alive-timeout applies to HTTP/1 only.)
	FrontendHTTP2ReadTimeout time.Duration
	// BackendReadTimeout is --backend-read-timeout: the longest silence
	// from the backend on a request (default 1m).
	BackendReadTimeout time.Duration
	// StreamReadTimeout is --stream-read-timeout: the longest silence on an
	// HTTP/2 stream (default 0: none).
	StreamReadTimeout time.Duration
}

// StartNghttpx runs nghttpx (Debian's nghttp2-proxy), HTTP/2 cleartext on
// both sides, in front of backend, and returns the address clients connect
// to. It is a proxy, not a peer; it lives here as the one HTTP/2 proxy
// beyond internal/intermediary's nginx and haproxy that issue 16 tried
// (docs/implementations.md). It stops nghttpx when the test ends.
func StartNghttpx(t testing.TB, backend string, cfg NghttpxConfig) string {
	t.Helper()
	bin := intermediary.RequireBinary(t, "nghttpx")
	host, port, err := net.SplitHostPort(backend)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lastErr error
	for range 4 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		args := []string{"--conf=/dev/null", "--single-process", "--workers=1", "--no-ocsp",
			"--frontend=127.0.0.1," + addr[len("127.0.0.1:"):] + ";no-tls",
			fmt.Sprintf("--backend=%s,%s;;proto=h2", host, port),
			"--errorlog-file=" + filepath.Join(dir, "error.log"), "--accesslog-file=" + filepath.Join(dir, "access.log")}
		for _, o := range []struct {
			flag string
			d    time.Duration
		}{{"--frontend-http2-read-timeout", cfg.FrontendHTTP2ReadTimeout}, {"--backend-read-timeout", cfg.BackendReadTimeout}, {"--stream-read-timeout", cfg.StreamReadTimeout}} {
			if o.d > 0 {
				args = append(args, fmt.Sprintf("%s=%dms", o.flag, o.d.Milliseconds()))
			}
		}
		proc, err := intermediary.StartProcess(bin, args...)
		if err != nil {
			t.Fatalf("start nghttpx: %v", err)
		}
		if lastErr = proc.WaitReady(addr); lastErr == nil {
			t.Cleanup(func() {
				if err := proc.Stop(); err != nil {
					t.Errorf("stop nghttpx: %v", err)
				}
			})
			return addr
		}
		_ = proc.Stop()
		lastErr = fmt.Errorf("%w\n%s", lastErr, proc.Output())
	}
	t.Fatalf("nghttpx did not start: %v", lastErr)
	return ""
}
