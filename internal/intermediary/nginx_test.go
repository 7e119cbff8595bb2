//go:build unix

package intermediary

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
)

// keepalive_requests N: nginx sends GOAWAY NO_ERROR without debug data with
// last_stream_id 2N-1 when the Nth request arrives, answers it, then closes.
// No call fails.
func TestNginxKeepaliveRequests(t *testing.T) {
	t.Parallel()
	const n = 3
	srv := backend(t)
	c := dial(t, StartNginx(t, srv.Addr(), NginxConfig{KeepaliveRequests: n}))
	for i := range 7 {
		if _, err := c.unary(5 * time.Second); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	goaways := c.frames.Find("GOAWAY")
	if len(goaways) != 2 {
		t.Fatalf("got %d GOAWAYs, want 2 (7 calls at 3 a connection)", len(goaways))
	}
	for _, g := range goaways {
		if g.ErrCode != http2.ErrCodeNo || g.Debug != "" || g.LastStreamID != 2*n-1 {
			t.Errorf("GOAWAY = %v, want NO_ERROR, no debug data, last_stream_id %d", g, 2*n-1)
		}
	}
	// The GOAWAY comes before the Nth response, on the same connection.
	for _, f := range c.frames.Frames() {
		if f.Conn == 1 && f.Type == "HEADERS" && !f.Sent && f.StreamID == 2*n-1 {
			if f.At < goaways[0].At {
				t.Errorf("response to stream %d at %v came before the GOAWAY at %v", 2*n-1, f.At, goaways[0].At)
			}
			break
		}
	}
	if got := srv.Calls("Unary"); got != 7 {
		t.Errorf("server saw %d calls, want 7", got)
	}
}

// keepalive_timeout applies only once a connection has carried a request:
// then nginx sends GOAWAY NO_ERROR (last_stream_id = the last stream) after
// the idle gap. A connection that never sent a request is governed by
// client_header_timeout instead: GOAWAY NO_ERROR with last_stream_id 0.
func TestNginxIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	addr := StartNginx(t, srv.Addr(), NginxConfig{KeepaliveTimeout: time.Second, ClientHeaderTimeout: 2 * time.Second})
	used, unused := dial(t, addr), dial(t, addr)
	unused.connect(t)
	if _, err := used.unary(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return len(used.frames.Find("GOAWAY")) > 0 }) {
		t.Fatal("no GOAWAY within 5s of an idle used connection")
	}
	last, end := lastActivity(used.frames, 1)
	if end.Type != "GOAWAY" || end.ErrCode != http2.ErrCodeNo || end.Debug != "" || end.LastStreamID != 1 {
		t.Errorf("idle close = %v, want GOAWAY NO_ERROR without debug data, last_stream_id 1", end)
	}
	within(t, "idle gap before GOAWAY", end.At-last, 900*time.Millisecond, 1600*time.Millisecond)

	if !waitFor(5*time.Second, func() bool { return len(unused.frames.Find("CLOSE")) > 0 }) {
		t.Fatal("connection without requests still open 5s after client_header_timeout")
	}
	_, end = lastActivity(unused.frames, 1)
	if end.Type != "GOAWAY" || end.ErrCode != http2.ErrCodeNo || end.Debug != "" || end.LastStreamID != 0 {
		t.Errorf("unused connection ended with %v, want GOAWAY NO_ERROR, last_stream_id 0", end)
	}
	within(t, "unused connection lifetime", end.At, 1900*time.Millisecond, 2600*time.Millisecond)
}

// grpc_read_timeout shorter than the server's delay: nginx answers HTTP 504
// with an HTML body after exactly the timeout.
func TestNginxReadTimeout504(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	c := dial(t, StartNginx(t, srv.Addr(), NginxConfig{GRPCReadTimeout: time.Second}))
	d, err := c.unary(5*time.Second, testserver.MDDelay, "2s")
	wantStatus(t, err, codes.Unavailable,
		"unexpected HTTP status code received from server: 504 (Gateway Timeout); "+
			`transport: received unexpected content-type "text/html"`,
		`data: "<html>\r\n<head><title>504 Gateway Time-out</title></head>`,
		`<hr><center>nginx/`)
	within(t, "504 after", d, 950*time.Millisecond, 1500*time.Millisecond)
	h := responseHeaders(c.frames)
	if len(h) != 1 {
		t.Fatalf("got %d responses, want 1", len(h))
	}
	for name, want := range map[string]string{":status": "504", "content-type": "text/html", "server": "nginx/"} {
		if v, _ := header(h[0], name); !strings.HasPrefix(v, want) {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
}

// A stream whose backend stays silent past grpc_read_timeout, after its
// response headers, is cut with RST_STREAM INTERNAL_ERROR.
func TestNginxStreamCut(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	c := dial(t, StartNginx(t, srv.Addr(), NginxConfig{GRPCReadTimeout: time.Second}))
	d, err := c.silentBidi(t, 8*time.Second)
	wantStatus(t, err, codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR")
	within(t, "stream cut after", d, 900*time.Millisecond, 1500*time.Millisecond)
	if r := c.frames.Find("RST_STREAM"); len(r) != 1 || r[0].ErrCode != http2.ErrCodeInternal {
		t.Errorf("RST_STREAM frames = %v, want one INTERNAL_ERROR", r)
	}
}

// A backend that is down: nginx answers 502 at once.
func TestNginxBackendDown502(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	addr := StartNginx(t, srv.Addr(), NginxConfig{})
	srv.Stop()
	c := dial(t, addr)
	_, err := c.unary(5 * time.Second)
	wantStatus(t, err, codes.Unavailable,
		"unexpected HTTP status code received from server: 502 (Bad Gateway); "+
			`transport: received unexpected content-type "text/html"`,
		`<head><title>502 Bad Gateway</title></head>`)
}

// What nginx's HTTP/2 looks like to a client: its SETTINGS and a server
// header on every response.
func TestNginxFingerprint(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	c := dial(t, StartNginx(t, srv.Addr(), NginxConfig{}))
	if _, err := c.unary(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	s := c.frames.Find("SETTINGS")
	if len(s) == 0 || strings.Join(s[0].Settings, " ") != "MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215" {
		t.Errorf("first SETTINGS = %v", s)
	}
	h := responseHeaders(c.frames)
	if v, _ := header(h[0], "server"); !strings.HasPrefix(v, "nginx/") {
		t.Errorf("server header = %q, want nginx/...", v)
	}
	t.Logf("%s; %s", NginxVersion(t), s[0])
}
