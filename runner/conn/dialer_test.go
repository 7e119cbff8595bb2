package conn

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestDialTarget(t *testing.T) {
	for _, tt := range []struct{ in, network, addr string }{
		{"127.0.0.1:80", "tcp", "127.0.0.1:80"},
		{"[::1]:80", "tcp", "[::1]:80"},
		{"unix:///tmp/s", "unix", "/tmp/s"},
		{"unix:rel/s", "unix", "rel/s"},
		{"\x00abstract", "unix", "@abstract"},
	} {
		if n, a := dialTarget(tt.in); n != tt.network || a != tt.addr {
			t.Errorf("dialTarget(%q) = %s %s, want %s %s", tt.in, n, a, tt.network, tt.addr)
		}
	}
}

// Every attempt is an event: refused ones with their error and duration.
func TestWatchDialsReportsAttempts(t *testing.T) {
	addr := freeAddr(t) // nothing listens: every attempt is refused
	var mu sync.Mutex
	var events []event.Event
	opt := WatchDials(3, func(e event.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	if opt == nil {
		t.Skip("an HTTPS proxy is set in the environment: dials are not watched")
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 {
		t.Fatal("no dial event")
	}
	e := events[0]
	if e.Kind != event.EventDial || e.Conn != 3 || e.Remote != addr || !strings.Contains(e.Err, "connection refused") ||
		e.Took <= 0 || e.Took > 5*time.Second || e.Time.IsZero() {
		t.Errorf("event %+v, want a refused dial of conn 3 to %s", e, addr)
	}
}

// An attempt the client abandoned (its context canceled) is no event; one
// that ran out of time is a failed dial.
func TestDialTCPAbandoned(t *testing.T) {
	addr := freeAddr(t)
	var events []event.Event
	sink := func(e event.Event) { events = append(events, e) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DialTCP(ctx, 0, addr, sink); err == nil || len(events) != 0 {
		t.Fatalf("canceled dial: %v, events %+v; want an error and no event", err, events)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := DialTCP(ctx, 0, addr, sink); err == nil || len(events) != 1 || events[0].Err == "" || events[0].Cause == "" {
		t.Fatalf("timed-out dial: %v, events %+v; want one failed dial event", err, events)
	}
}
