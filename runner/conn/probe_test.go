package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

type eventFunc func(event.Event)

func (f eventFunc) ConnEvent(e event.Event) { f(e) }

// The probe sees, on its own connections, each limit a server sets: pings
// refused on the open stream, idle connections closed, busy ones recycled.
func TestProbe(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t,
		testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: time.Second}),
		testserver.WithKeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: 150 * time.Millisecond, MaxConnectionAge: 400 * time.Millisecond,
			MaxConnectionAgeGrace: 100 * time.Millisecond}))
	ev := newEvents()
	opts := ProbeOptions{
		Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second,
			Keepalive: plan.Keepalive{Time: 20 * time.Millisecond, Timeout: time.Second}},
		Duration: 1500 * time.Millisecond, BusyInterval: 20 * time.Millisecond,
	}
	res, err := Probe(context.Background(), opts, eventFunc(ev.add))
	if err != nil {
		t.Fatal(err)
	}
	if res.Handshake.TCP <= 0 || res.Handshake.HTTP2 <= 0 || res.Handshake.TLS != 0 || res.HandshakeErr != "" {
		t.Errorf("handshake %+v (%s)", res.Handshake, res.HandshakeErr)
	}
	if res.Stream != healthWatch || res.StreamErr != "" {
		t.Errorf("held stream %q (%s), want health Watch", res.Stream, res.StreamErr)
	}
	if res.BusyCalls < 10 {
		t.Errorf("%d busy calls", res.BusyCalls)
	}
	goaways := map[int]map[string]int{}
	for _, e := range ev.list {
		if e.Kind == event.EventGoAway {
			if goaways[e.Conn] == nil {
				goaways[e.Conn] = map[string]int{}
			}
			goaways[e.Conn][e.Code+" "+e.Debug]++
		}
	}
	if goaways[event.ProbeStream]["ENHANCE_YOUR_CALM too_many_pings"] == 0 {
		t.Errorf("the stream connection saw no too_many_pings: %v", goaways)
	}
	if goaways[event.ProbeIdle]["NO_ERROR max_idle"] == 0 {
		t.Errorf("the idle connection saw no max_idle: %v", goaways)
	}
	if goaways[event.ProbeBusy]["NO_ERROR max_age"] == 0 {
		t.Errorf("the busy connection saw no max_age: %v", goaways)
	}
	if took := res.Ended.Sub(res.Started); took < opts.Duration || took > opts.Duration+5*time.Second {
		t.Errorf("the probe took %s for a %s duration", took, opts.Duration)
	}
}

// A server with neither health nor reflection: the probe says so and still
// watches the other connections.
func TestProbeNoIdleStream(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithoutReflection(), testserver.WithoutHealth())
	res, err := Probe(context.Background(), ProbeOptions{
		Target: plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		// Long enough for a busy machine to try the stream: one the
		// probe's end cuts short leaves no reason.
		Duration: time.Second, BusyInterval: 10 * time.Millisecond,
	}, eventFunc(func(event.Event) {}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream != "" || !strings.Contains(res.StreamErr, "neither the health service nor reflection") ||
		!strings.Contains(res.StreamErr, "diagnose ADDR METHOD") {
		t.Errorf("stream %q, error %q: want none, with the reason and what to give", res.Stream, res.StreamErr)
	}
}

// Health Check without Watch is not "neither health nor reflection".
func TestProbeHealthCheckWithoutWatch(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithoutReflection(), testserver.WithoutHealth(),
		testserver.WithServerOptions(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			if m, _ := grpc.MethodFromServerStream(stream); m == "/grpc.health.v1.Health/Check" {
				return stream.SendMsg(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING})
			}
			return status.Error(codes.Unimplemented, "unknown")
		})))
	res, err := Probe(context.Background(), ProbeOptions{
		Target:   plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Duration: time.Second, BusyInterval: 10 * time.Millisecond,
	}, eventFunc(func(event.Event) {}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.StreamErr, "Check but not Watch") {
		t.Errorf("stream error %q, want it to say the server has Check but not Watch", res.StreamErr)
	}
}

// Nothing listening: the probe fails with the dial's named cause.
func TestProbeRefused(t *testing.T) {
	t.Parallel()
	_, err := Probe(context.Background(), ProbeOptions{
		Target: plan.Target{Addr: freeAddr(t), Plaintext: true, ConnectTimeout: 5 * time.Second}, Duration: time.Second,
	}, eventFunc(func(event.Event) {}))
	var de *DialError
	if !errors.As(err, &de) || de.Cause != event.CauseRefused {
		t.Errorf("err = %v, want a refused DialError", err)
	}
}

// A server with neither health nor reflection, probed through one of its
// own streaming methods: the method holds the open stream.
func TestProbeMethodStream(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithoutReflection(), testserver.WithoutHealth())
	const bidi = "/grpcpulse.test.v1.Pulse/Bidi"
	res, err := Probe(context.Background(), ProbeOptions{
		Target:   plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Duration: time.Second, BusyInterval: 10 * time.Millisecond,
		Method: bidi, ClientStreams: true, ServerStreams: true,
	}, eventFunc(func(event.Event) {}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream != bidi || res.StreamErr != "" {
		t.Errorf("held stream %q (%s), want %s", res.Stream, res.StreamErr, bidi)
	}
	if res.BusyCalls == 0 {
		t.Errorf("no busy calls")
	}
}

// A method the server does not have ends at once: the probe stops
// reopening it and says why.
func TestProbeMethodUnknown(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithoutReflection(), testserver.WithoutHealth())
	res, err := Probe(context.Background(), ProbeOptions{
		Target:   plan.Target{Addr: srv.Addr(), Plaintext: true, ConnectTimeout: 10 * time.Second},
		Duration: 1500 * time.Millisecond, BusyInterval: 10 * time.Millisecond,
		Method: "/nosuch.Service/Stream", ServerStreams: true,
	}, eventFunc(func(event.Event) {}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stream != "" || res.StreamErr == "" || len(res.StreamEnds) > 3 {
		t.Errorf("stream %q, error %q, %d ends: want none held, with the reason, and no loop", res.Stream, res.StreamErr, len(res.StreamEnds))
	}
}
