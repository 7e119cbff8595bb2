//go:build unix

package intermediary

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HAProxyMode is how haproxy carries the connection.
type HAProxyMode int

const (
	// HAProxyTCP relays bytes (mode tcp): HTTP/2 passes through untouched.
	HAProxyTCP HAProxyMode = iota
	// HAProxyHTTP2 terminates HTTP/2 cleartext on both sides (mode http,
	// bind ... proto h2, server ... proto h2).
	HAProxyHTTP2
)

// HAProxyConfig holds the haproxy knobs the tests turn. A zero duration
// leaves the directive out except where noted.
type HAProxyConfig struct {
	// Mode chooses mode tcp or mode http with h2c on both sides.
	Mode HAProxyMode
	// TimeoutClient is `timeout client`: the longest the client side may stay
	// silent. 0: 30s (haproxy warns without one).
	TimeoutClient time.Duration
	// TimeoutServer is `timeout server`: the longest the server side may stay
	// silent. 0: 30s.
	TimeoutServer time.Duration
	// TimeoutTunnel is `timeout tunnel` (replaces client and server timeouts
	// once a TCP connection or tunnel is established).
	TimeoutTunnel time.Duration
	// TimeoutHTTPKeepAlive is `timeout http-keep-alive`: the idle time allowed
	// between requests on a client connection (mode http).
	TimeoutHTTPKeepAlive time.Duration
	// TimeoutClientFin is `timeout client-fin`: the inactivity timeout once
	// the client has half-closed.
	TimeoutClientFin time.Duration
}

// HAProxy is a running haproxy.
type HAProxy struct {
	// Addr is where clients connect (127.0.0.1:port).
	Addr string
	// Dir holds haproxy.cfg.
	Dir  string
	proc *process
}

// Log returns what haproxy wrote so far (its traffic log goes to stdout).
func (h *HAProxy) Log() string { return h.proc.output.String() }

// HAProxyVersion returns the first line of `haproxy -v`.
func HAProxyVersion(t testing.TB) string {
	t.Helper()
	out := versionOutput(requireBinary(t, "haproxy"), "-v")
	first, _, _ := strings.Cut(out, "\n")
	return strings.TrimSpace(first)
}

// StartHAProxy runs haproxy in front of backend and returns the address
// clients connect to. It stops haproxy when the test ends.
func StartHAProxy(t testing.TB, backend string, cfg HAProxyConfig) string {
	t.Helper()
	return RunHAProxy(t, backend, cfg).Addr
}

// RunHAProxy is StartHAProxy returning the running haproxy, for tests that
// read its log.
func RunHAProxy(t testing.TB, backend string, cfg HAProxyConfig) *HAProxy {
	t.Helper()
	bin := requireBinary(t, "haproxy")
	var lastErr string
	for range startAttempts {
		h := &HAProxy{Dir: t.TempDir()}
		port := freePort(t)
		h.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		conf := filepath.Join(h.Dir, "haproxy.cfg")
		if err := os.WriteFile(conf, []byte(haproxyConf(port, backend, cfg)), 0o644); err != nil {
			t.Fatalf("write haproxy.cfg: %v", err)
		}
		proc, err := start(bin, "-f", conf, "-db")
		if err != nil {
			t.Fatalf("start haproxy: %v", err)
		}
		h.proc = proc
		err = proc.waitReady(h.Addr)
		if err == nil {
			t.Cleanup(func() {
				if err := proc.stop(); err != nil {
					t.Errorf("stop haproxy: %v", err)
				}
			})
			return h
		}
		_ = proc.stop()
		lastErr = fmt.Sprintf("%v\nhaproxy output:\n%s", err, proc.output.String())
		if !addrInUse(lastErr) {
			break
		}
	}
	t.Fatalf("start haproxy: %s", lastErr)
	return nil
}

func haproxyConf(port int, backend string, cfg HAProxyConfig) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	orDefault := func(d time.Duration) time.Duration {
		if d <= 0 {
			return 30 * time.Second
		}
		return d
	}
	mode, proto, logfmt := "tcp", "", "option tcplog"
	if cfg.Mode == HAProxyHTTP2 {
		mode, proto, logfmt = "http", " proto h2", "option httplog"
	}
	p("global")
	p("  maxconn 256")
	p("  log stdout format raw local0")
	p("defaults")
	p("  mode %s", mode)
	p("  log global")
	p("  %s", logfmt)
	p("  timeout connect 2s")
	p("  timeout client %s", ms(orDefault(cfg.TimeoutClient)))
	p("  timeout server %s", ms(orDefault(cfg.TimeoutServer)))
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"tunnel", cfg.TimeoutTunnel}, {"http-keep-alive", cfg.TimeoutHTTPKeepAlive}, {"client-fin", cfg.TimeoutClientFin}} {
		if d.v > 0 {
			p("  timeout %s %s", d.name, ms(d.v))
		}
	}
	p("frontend fe")
	p("  bind 127.0.0.1:%d%s", port, proto)
	p("  default_backend be")
	p("backend be")
	p("  server s1 %s%s", backend, proto)
	return b.String()
}

// versionOutput runs bin with a version flag, bounded by 10 seconds.
func versionOutput(bin, flag string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, flag).CombinedOutput()
	if err != nil && len(out) == 0 {
		return fmt.Sprintf("(%s %s: %v)", bin, flag, err)
	}
	return string(out)
}
