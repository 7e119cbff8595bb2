//go:build unix

package peers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
	"github.com/grpcpulse/grpcpulse/internal/peers"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// What nghttpx sends (docs/implementations.md): its SETTINGS and server
// header, a bare close when idle, RST_STREAM INTERNAL_ERROR (no 504) when
// the backend is slow, an HTML 502 when it is down.
func TestNghttpxWire(t *testing.T) {
	t.Parallel()
	t.Run("healthy and idle", func(t *testing.T) {
		t.Parallel()
		srv := testserver.Start(t)
		addr := peers.StartNghttpx(t, srv.Addr(), peers.NghttpxConfig{FrontendHTTP2ReadTimeout: 400 * time.Millisecond})
		log := &intermediary.FrameLog{}
		if err := unary(t, dial(t, addr, log, keepalive.ClientParameters{})); err != nil {
			t.Fatal(err)
		}
		end := waitFrame(t, log, 3*time.Second, closed)
		settings := received(log, "SETTINGS")
		if len(settings) == 0 || strings.Join(settings[0].Settings, " ") != "MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65535 NO_RFC7540_PRIORITIES=1 ENABLE_CONNECT_PROTOCOL=1" {
			t.Errorf("SETTINGS %v", settings)
		}
		hs := received(log, "HEADERS")
		if headerValue(hs, "server") != "nghttpx" || headerValue(hs, "via") != "2 nghttpx" {
			t.Errorf("headers %v, want server: nghttpx, via: 2 nghttpx", hs)
		}
		if gs := goaways(log, 1); len(gs) != 0 || end.Err != "EOF" {
			t.Errorf("idle close: GOAWAYs %+v, end %q: want a bare EOF", gs, end.Err)
		}
		if end.At < 400*time.Millisecond {
			t.Errorf("closed at %v, before the 400ms timer", end.At)
		}
	})
	t.Run("backend read timeout", func(t *testing.T) {
		t.Parallel()
		srv := testserver.Start(t)
		addr := peers.StartNghttpx(t, srv.Addr(), peers.NghttpxConfig{BackendReadTimeout: 500 * time.Millisecond})
		log := &intermediary.FrameLog{}
		c := dial(t, addr, log, keepalive.ClientParameters{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Unary(metadata.AppendToOutgoingContext(ctx, testserver.MDDelay, "1s"), &pulsepb.Request{})
		const want = "rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: INTERNAL_ERROR"
		if err == nil || err.Error() != want || time.Since(start) < 500*time.Millisecond {
			t.Errorf("slow call: %v after %v, want %s after 500ms", err, time.Since(start), want)
		}
	})
	t.Run("backend down", func(t *testing.T) {
		t.Parallel()
		srv := testserver.Start(t)
		addr := peers.StartNghttpx(t, srv.Addr(), peers.NghttpxConfig{})
		srv.Stop()
		log := &intermediary.FrameLog{}
		err := unary(t, dial(t, addr, log, keepalive.ClientParameters{}))
		const body = `<!DOCTYPE html><html lang=\"en\"><title>502 Bad Gateway</title><body><h1>502 Bad Gateway</h1><footer>nghttpx</footer></body></html>`
		if err == nil || !strings.Contains(err.Error(), `502 (Bad Gateway); transport: received unexpected content-type "text/html; charset=UTF-8"`) || !strings.Contains(err.Error(), body) {
			t.Errorf("call: %v", err)
		}
		if hs := received(log, "HEADERS"); headerValue(hs, ":status") != "502" || headerValue(hs, "server") != "nghttpx" {
			t.Errorf("headers %v", hs)
		}
	})
}

// The diagnosis through nghttpx names nghttpx, from its server header or
// its SETTINGS, not haproxy.
func TestDiagnoseNghttpx(t *testing.T) {
	t.Parallel()
	eachEngine(t, "502/", func(t *testing.T) {
		srv := testserver.Start(t)
		addr := peers.StartNghttpx(t, srv.Addr(), peers.NghttpxConfig{})
		srv.Stop()
		checkNghttpx(t, load(t, addr, "Unary", func(o *plan.Options) { o.Load.Total, o.Load.Concurrency = 3, 1 }), "proxy_bad_gateway_502")
	})
	eachEngine(t, "read timeout/", func(t *testing.T) {
		srv := testserver.Start(t)
		addr := peers.StartNghttpx(t, srv.Addr(), peers.NghttpxConfig{BackendReadTimeout: 500 * time.Millisecond})
		checkNghttpx(t, load(t, addr, "Unary", func(o *plan.Options) {
			o.Load.Total, o.Load.Concurrency = 4, 2
			o.Metadata.Headers = []string{testserver.MDDelay + ": 1s"}
		}), "stream_reset_internal")
	})
}

func checkNghttpx(t *testing.T, s *report.Summary, id string) {
	t.Helper()
	for _, f := range s.Findings {
		if f.ID == id {
			if !strings.Contains(text(f), "nghttpx") {
				t.Errorf("finding does not name nghttpx: %s", text(f))
			}
			for _, other := range []string{"haproxy", "nginx", "grpc-go"} {
				if strings.Contains(text(f), other) {
					t.Errorf("finding through nghttpx speaks of %s: %s", other, text(f))
				}
			}
			return
		}
	}
	dump(t, s)
	t.Errorf("no %s finding", id)
}
