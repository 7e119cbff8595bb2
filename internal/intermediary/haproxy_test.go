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

// haproxy mode tcp: `timeout client`/`timeout server` close a connection
// silent in both directions with a bare FIN (no GOAWAY): the call in flight
// gets "error reading from server: EOF" after exactly the timer, and an idle
// connection closes the same way. SETTINGS are grpc-go's own (bytes pass
// through), so nothing shows a proxy.
func TestHAProxyTCPTimeout(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	h := RunHAProxy(t, srv.Addr(), HAProxyConfig{TimeoutClient: time.Second, TimeoutServer: time.Second})
	busy, idle := dial(t, h.Addr), dial(t, h.Addr)
	if _, err := busy.unary(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	d, err := busy.unary(5*time.Second, testserver.MDDelay, "3s")
	wantStatus(t, err, codes.Unavailable, "error reading from server: EOF")
	if strings.Contains(err.Error(), "goaway") {
		t.Errorf("error %q mentions a GOAWAY", err)
	}
	within(t, "in-flight call cut after", d, 900*time.Millisecond, 1500*time.Millisecond)

	if _, err := idle.unary(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return len(idle.frames.Find("CLOSE")) > 0 }) {
		t.Fatal("idle connection still open 5s after timeout client")
	}
	last, end := lastActivity(idle.frames, 1)
	if end.Type != "CLOSE" || end.Err != "EOF" {
		t.Errorf("idle connection ended with %v, want a bare EOF", end)
	}
	within(t, "idle gap before close", end.At-last, 900*time.Millisecond, 1600*time.Millisecond)
	for _, c := range []*client{busy, idle} {
		if g := c.frames.Find("GOAWAY"); len(g) != 0 {
			t.Errorf("got GOAWAY %v through mode tcp, want none", g)
		}
		if s := c.frames.Find("SETTINGS"); len(s) == 0 || strings.Join(s[0].Settings, " ") != "MAX_FRAME_SIZE=16384" {
			t.Errorf("first SETTINGS = %v, want grpc-go's own (MAX_FRAME_SIZE=16384)", s)
		}
	}
	if log := h.Log(); !strings.Contains(log, " cD ") {
		t.Errorf("haproxy log lacks termination state cD (client-side timeout):\n%s", log)
	}
}

// haproxy mode http with h2 on both sides, healthy: its SETTINGS differ from
// grpc-go's and nginx's, responses carry no server header.
func TestHAProxyH2Healthy(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	c := dial(t, StartHAProxy(t, srv.Addr(), HAProxyConfig{Mode: HAProxyHTTP2}))
	for range 3 {
		if _, err := c.unary(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	s := c.frames.Find("SETTINGS")
	if len(s) == 0 || strings.Join(s[0].Settings, " ") != "ENABLE_CONNECT_PROTOCOL=1 MAX_CONCURRENT_STREAMS=100" {
		t.Errorf("first SETTINGS = %v", s)
	}
	for _, f := range responseHeaders(c.frames) {
		if v, ok := header(f, "server"); ok {
			t.Errorf("response has server header %q", v)
		}
	}
	if g := c.frames.Find("GOAWAY"); len(g) != 0 {
		t.Errorf("healthy run got GOAWAY %v", g)
	}
	t.Logf("%s; %s", HAProxyVersion(t), s[0])
}

// `timeout server` shorter than the server's delay: haproxy answers 504 with
// its own HTML body (no server header); a silent stream is cut with
// RST_STREAM CANCEL after the same timer.
func TestHAProxyH2ServerTimeout(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	h := RunHAProxy(t, srv.Addr(), HAProxyConfig{Mode: HAProxyHTTP2, TimeoutServer: time.Second})
	c := dial(t, h.Addr)
	d, err := c.unary(5*time.Second, testserver.MDDelay, "2s")
	wantStatus(t, err, codes.Unavailable,
		"unexpected HTTP status code received from server: 504 (Gateway Timeout); "+
			`transport: received unexpected content-type "text/html"`+"\n"+
			`data: "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"`)
	within(t, "504 after", d, 950*time.Millisecond, 1500*time.Millisecond)
	resp := responseHeaders(c.frames)
	if len(resp) != 1 || strings.Join(resp[0].Headers, "; ") != ":status: 504; content-length: 92; cache-control: no-cache; content-type: text/html" {
		t.Errorf("504 headers = %v", resp)
	}

	d, err = c.silentBidi(t, 8*time.Second)
	wantStatus(t, err, codes.Internal, "server closed the stream without sending trailers")
	within(t, "stream cut after", d, 900*time.Millisecond, 1500*time.Millisecond)
	// The cut is an empty DATA with END_STREAM (hence grpc-go's "without
	// sending trailers"), then RST_STREAM CANCEL.
	var ending []string
	for _, f := range c.frames.Frames() {
		if !f.Sent && f.StreamID == 3 && (f.Type == "RST_STREAM" || f.Flags.Has(http2.FlagDataEndStream)) {
			ending = append(ending, f.Type+" "+f.ErrCode.String())
		}
	}
	if got := strings.Join(ending, ", "); got != "DATA NO_ERROR, RST_STREAM CANCEL" {
		t.Errorf("stream 3 ended with %q, want DATA with END_STREAM, then RST_STREAM CANCEL", got)
	}
	// haproxy logs a stream when it ends, a moment after the client saw it.
	if !waitFor(2*time.Second, func() bool {
		log := h.Log()
		return strings.Contains(log, " 504 ") && strings.Contains(log, "sH--") && strings.Contains(log, "sD--")
	}) {
		t.Errorf("haproxy log lacks 504 sH-- and sD--:\n%s", h.Log())
	}

}

// `timeout http-keep-alive` closes an h2 connection idle after a request with
// GOAWAY NO_ERROR (no debug data, last_stream_id = the last stream);
// `timeout client` (not http-keep-alive) does the same, from connect, for one
// that never sent a request.
func TestHAProxyH2Idle(t *testing.T) {
	t.Parallel()
	srv := backend(t)
	addr := StartHAProxy(t, srv.Addr(), HAProxyConfig{Mode: HAProxyHTTP2,
		TimeoutClient: 2 * time.Second, TimeoutHTTPKeepAlive: time.Second})
	used, unused := dial(t, addr), dial(t, addr)
	unused.connect(t)
	if _, err := used.unary(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cl     *client
		last   uint32
		lo, hi time.Duration
	}{{"used", used, 1, 900 * time.Millisecond, 1600 * time.Millisecond},
		{"unused", unused, 0, 1900 * time.Millisecond, 2600 * time.Millisecond}} {
		if !waitFor(5*time.Second, func() bool { return len(c.cl.frames.Find("GOAWAY")) > 0 }) {
			t.Fatalf("%s: no GOAWAY within 5s", c.name)
		}
		last, end := lastActivity(c.cl.frames, 1)
		if end.Type != "GOAWAY" || end.ErrCode != http2.ErrCodeNo || end.Debug != "" || end.LastStreamID != c.last {
			t.Errorf("%s: idle close = %v, want GOAWAY NO_ERROR, no debug data, last_stream_id %d", c.name, end, c.last)
		}
		within(t, c.name+": idle gap before GOAWAY", end.At-last, c.lo, c.hi)
		t.Logf("%s: %v after %v idle", c.name, end, end.At-last)
	}
}
