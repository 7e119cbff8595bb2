//go:build unix

package intermediary

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NginxConfig holds the nginx knobs the tests turn. A zero field leaves
// nginx's default in place (noted per field).
type NginxConfig struct {
	// KeepaliveRequests is keepalive_requests: the requests (streams) one
	// client connection may carry before nginx sends GOAWAY. 0: nginx's
	// default, 1000.
	KeepaliveRequests int
	// KeepaliveTimeout is keepalive_timeout: how long a client connection may
	// stay idle before nginx closes it (since 1.19.7 it also replaces
	// http2_idle_timeout). 0: nginx's default, 75s.
	KeepaliveTimeout time.Duration
	// ClientHeaderTimeout is client_header_timeout: on an HTTP/2 connection
	// that has not sent a request yet, how long nginx waits for one (since
	// 1.19.7 it replaces http2_recv_timeout). 0: nginx's default, 60s.
	ClientHeaderTimeout time.Duration
	// GRPCReadTimeout is grpc_read_timeout: the longest silence nginx waits
	// for from the backend before it answers 504. 0: nginx's default, 60s.
	GRPCReadTimeout time.Duration
	// GRPCSendTimeout is grpc_send_timeout: the longest nginx waits for the
	// backend to accept request bytes. 0: nginx's default, 60s.
	GRPCSendTimeout time.Duration
	// UpstreamKeepalive is the upstream block's keepalive: idle connections to
	// the backend kept per worker. 0: a new backend connection per request.
	UpstreamKeepalive int
}

// Nginx is a running nginx.
type Nginx struct {
	// Addr is where clients connect (127.0.0.1:port, HTTP/2 cleartext).
	Addr string
	// Dir holds nginx.conf, error.log and access.log.
	Dir  string
	proc *process
}

// ErrorLog returns nginx's error log so far.
func (n *Nginx) ErrorLog() string { return readFile(filepath.Join(n.Dir, "error.log")) }

// AccessLog returns nginx's access log so far.
func (n *Nginx) AccessLog() string { return readFile(filepath.Join(n.Dir, "access.log")) }

// Version returns `nginx -v`'s text, e.g. "nginx version: nginx/1.22.1".
func NginxVersion(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(versionOutput(requireBinary(t, "nginx"), "-v"))
}

// StartNginx runs nginx with grpc_pass grpc://backend over HTTP/2 cleartext
// and returns the address clients connect to. It stops nginx when the test
// ends.
func StartNginx(t testing.TB, backend string, cfg NginxConfig) string {
	t.Helper()
	return RunNginx(t, backend, cfg).Addr
}

// RunNginx is StartNginx returning the running nginx, for tests that read its
// logs.
func RunNginx(t testing.TB, backend string, cfg NginxConfig) *Nginx {
	t.Helper()
	bin := requireBinary(t, "nginx")
	var lastErr string
	for range startAttempts {
		n := &Nginx{Dir: t.TempDir()}
		port := freePort(t)
		n.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		conf := filepath.Join(n.Dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(nginxConf(n.Dir, port, backend, cfg)), 0o644); err != nil {
			t.Fatalf("write nginx.conf: %v", err)
		}
		proc, err := start(bin, "-p", n.Dir, "-c", conf, "-e", filepath.Join(n.Dir, "error.log"), "-g", "daemon off;")
		if err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		n.proc = proc
		err = proc.waitReady(n.Addr)
		if err == nil {
			t.Cleanup(func() {
				if err := proc.stop(); err != nil {
					t.Errorf("stop nginx: %v", err)
				}
			})
			return n
		}
		_ = proc.stop()
		lastErr = fmt.Sprintf("%v\nnginx output:\n%s\nerror.log:\n%s", err, proc.output.String(), n.ErrorLog())
		if !addrInUse(lastErr) {
			break
		}
	}
	t.Fatalf("start nginx: %s", lastErr)
	return nil
}

// nginxConf renders nginx.conf. nginx 1.22 (Debian 12) takes `listen ...
// http2`; `http2 on;` exists only from 1.25.1.
func nginxConf(dir string, port int, backend string, cfg NginxConfig) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("user root;")
	p("worker_processes 1;")
	p("pid %s;", filepath.Join(dir, "nginx.pid"))
	p("error_log %s info;", filepath.Join(dir, "error.log"))
	p("events { worker_connections 256; }")
	p("http {")
	p("  log_format grpc '$remote_addr $connection $connection_requests \"$request\" $status '")
	p("                  '$request_time $upstream_response_time $upstream_status';")
	p("  access_log %s grpc;", filepath.Join(dir, "access.log"))
	for _, kind := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		p("  %s_temp_path %s;", kind, filepath.Join(dir, "tmp_"+kind))
	}
	p("  upstream backend {")
	p("    server %s;", backend)
	if cfg.UpstreamKeepalive > 0 {
		p("    keepalive %d;", cfg.UpstreamKeepalive)
	}
	p("  }")
	p("  server {")
	p("    listen 127.0.0.1:%d http2;", port)
	if cfg.KeepaliveRequests > 0 {
		p("    keepalive_requests %d;", cfg.KeepaliveRequests)
	}
	if cfg.KeepaliveTimeout > 0 {
		p("    keepalive_timeout %s;", ms(cfg.KeepaliveTimeout))
	}
	if cfg.ClientHeaderTimeout > 0 {
		p("    client_header_timeout %s;", ms(cfg.ClientHeaderTimeout))
	}
	p("    location / {")
	p("      grpc_pass grpc://backend;")
	if cfg.GRPCReadTimeout > 0 {
		p("      grpc_read_timeout %s;", ms(cfg.GRPCReadTimeout))
	}
	if cfg.GRPCSendTimeout > 0 {
		p("      grpc_send_timeout %s;", ms(cfg.GRPCSendTimeout))
	}
	p("    }")
	p("  }")
	p("}")
	return b.String()
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}
