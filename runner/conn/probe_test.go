package conn

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"

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
	if res.Stream != "" || res.StreamErr == "" {
		t.Errorf("stream %q, error %q: want none, with the reason", res.Stream, res.StreamErr)
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
