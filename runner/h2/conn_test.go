package h2

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// events collects a connection's events on a channel.
func events() (chan Event, func(Event)) {
	ch := make(chan Event, 1024)
	return ch, func(e Event) {
		select {
		case ch <- e:
		default:
		}
	}
}

// waitEvent returns the first event of kind, failing the test if none
// comes within the test timeout.
func waitEvent(t *testing.T, ch chan Event, kind EventKind) Event {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event", kind)
		}
	}
}

func TestMaxConcurrentStreamsWaits(t *testing.T) {
	var inFlight, most atomic.Int64
	srv := startServer(t, testserver.WithMaxConcurrentStreams(2), testserver.WithCallHook(func(string, metadata.MD) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
	}))
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	ctx := testCtx(t)
	a, err := c.NewStream(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.NewStream(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Both slots are taken: a third stream waits, here until its deadline.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.NewStream(short, m, nil); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("third stream: %v, want DeadlineExceeded while waiting for a slot", err)
	}
	got := make(chan error, 1)
	go func() {
		st, err := c.NewStream(ctx, m, nil)
		if err == nil {
			err = st.Send(frame(t, &pulsepb.Request{Id: 3}))
			if err == nil {
				_, err = st.Recv()
			}
			st.Close()
		}
		got <- err
	}()
	// Finish one of the first two: the waiting stream gets its slot.
	inFlight.Add(-1)
	a.CloseSend()
	if _, err := a.Recv(); err == nil {
		t.Fatal("a: got a message, want EOF")
	}
	a.Close()
	if err := <-got; err != nil {
		t.Fatalf("waiting stream: %v", err)
	}
	b.Close()
	if most.Load() > 2 {
		t.Fatalf("the server saw %d streams at once", most.Load())
	}
	// Many unary calls through the two slots.
	um := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			resp, err := c.Unary(ctx, um, frame(t, &pulsepb.Request{}), nil)
			resp.Release()
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestGoAwayMaxConnectionAge(t *testing.T) {
	srv := startServer(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
		MaxConnectionAge: 200 * time.Millisecond, MaxConnectionAgeGrace: 10 * time.Second}))
	ch, sink := events()
	c := dial(t, Config{Addr: srv.Addr(), Events: sink})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	ctx := testCtx(t)
	st, err := c.NewStream(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ga := waitEvent(t, ch, EventGoAway)
	if ga.Debug != "max_age" || ga.Code != http2.ErrCodeNo {
		t.Fatalf("goaway %+v", ga)
	}
	// New calls are not processed: they belong on a new connection.
	um := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	resp, err := c.Unary(ctx, um, frame(t, &pulsepb.Request{}), nil)
	resp.Release()
	if !errors.Is(err, ErrNotProcessed) || status.Code(err) != codes.Unavailable {
		t.Fatalf("call after GOAWAY: %v, want UNAVAILABLE and ErrNotProcessed", err)
	}
	// The open stream goes on and ends normally.
	for i := range 3 {
		if err := st.Send(frame(t, &pulsepb.Request{Id: int64(i)})); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatalf("stream after GOAWAY: %v", err)
		}
	}
	st.CloseSend()
	if _, err := st.Recv(); err.Error() != "EOF" {
		t.Fatalf("end of stream: %v", err)
	}
	// With its last stream done, the connection closes.
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection not closed after the GOAWAY drain")
	}
	waitEvent(t, ch, EventClose)
}

// TestGoAwayLastStreamID: streams above last_stream_id fail with
// ErrNotProcessed, the others complete.
func TestGoAwayLastStreamID(t *testing.T) {
	addr := startPeer(t, nil, goAwayAfterThree)
	c := dial(t, Config{Addr: addr})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	ctx := testCtx(t)
	type result struct {
		id  int
		err error
	}
	results := make(chan result, 3)
	for i := range 3 {
		// One at a time onto the wire, so stream IDs follow i.
		s := c.getStream()
		s.unary = true
		size, _ := s.encodeHeaders(ctx, m, nil)
		if err := openStream(c, s, size, []byte{0, 0, 0, 0, 0}, true); err != nil {
			t.Fatal(err)
		}
		go func() {
			c.mu.Lock()
			for !s.done {
				s.recvWaiting = true
				c.mu.Unlock()
				<-s.recvWake
				c.mu.Lock()
			}
			err := s.outcome()
			c.mu.Unlock()
			results <- result{i, err}
		}()
	}
	for range 3 {
		r := <-results
		if r.id < 2 && r.err != nil {
			t.Errorf("stream %d: %v", r.id, r.err)
		}
		if r.id == 2 && !errors.Is(r.err, ErrNotProcessed) {
			t.Errorf("stream above last_stream_id: %v, want ErrNotProcessed", r.err)
		}
	}
}

func TestServerKilledMidCall(t *testing.T) {
	srv := startServer(t, testserver.AfterCalls(1, func(s *testserver.Server) { go s.Stop() }))
	ch, sink := events()
	c := dial(t, Config{Addr: srv.Addr(), Events: sink})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), md(testserver.MDDelay, "10s"))
	resp.Release()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
	// grpc-go's words with no GOAWAY before: the cause alone.
	if msg := status.Convert(err).Message(); !strings.HasPrefix(msg, "error reading from server: ") {
		t.Errorf("message %q, want grpc-go's \"error reading from server: ...\"", msg)
	}
	waitEvent(t, ch, EventClose)
	resp, err = c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{}), nil)
	resp.Release()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("call on the dead connection: %v, want UNAVAILABLE", err)
	}
}

func TestTLS(t *testing.T) {
	certs, err := testserver.GenerateCerts()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, testserver.WithTLS(certs, false))
	tc, err := srv.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	ch, sink := events()
	c := dial(t, Config{Addr: srv.Addr(), TLS: tc, Authority: "localhost", Events: sink})
	waitEvent(t, ch, EventOpen)
	waitEvent(t, ch, EventSettings)
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	resp, err := c.Unary(testCtx(t), m, frame(t, &pulsepb.Request{Message: "tls"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Release()

	// Plaintext against the TLS port: a clear dial error, no hang.
	if _, err := Dial(testCtx(t), Config{Addr: srv.Addr(), ConnectTimeout: 5 * time.Second}); err == nil {
		t.Fatal("h2c dial of a TLS server succeeded")
	}
}

func TestTLSWithoutALPN(t *testing.T) {
	certs, err := testserver.GenerateCerts()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := certs.ServerConfig(false)
	if err != nil {
		t.Fatal(err)
	}
	sc.NextProtos = []string{"http/1.1"}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", sc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func(nc net.Conn) {
				defer nc.Close()
				nc.(*tls.Conn).Handshake()
				nc.Read(make([]byte, 1))
			}(nc)
		}
	}()
	tc, _ := certs.ClientConfig()
	_, err = Dial(testCtx(t), Config{Addr: ln.Addr().String(), TLS: tc, Authority: "localhost"})
	if err == nil || !strings.Contains(err.Error(), `ALPN "h2"`) {
		t.Fatalf("got %v, want an ALPN error", err)
	}
}

func TestKeepalivePings(t *testing.T) {
	srv := startServer(t, testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: time.Millisecond, PermitWithoutStream: true}))
	ch, sink := events()
	dial(t, Config{Addr: srv.Addr(), Events: sink, Keepalive: Keepalive{Time: 20 * time.Millisecond, Timeout: 5 * time.Second, PermitWithoutStream: true}})
	waitEvent(t, ch, EventPing)
	if ack := waitEvent(t, ch, EventPingAck); ack.RTT <= 0 {
		t.Fatalf("ping ack without RTT: %+v", ack)
	}
}

func TestKeepaliveTooManyPings(t *testing.T) {
	srv := startServer(t) // grpc-go's default policy: at most one ping each 5 minutes
	ch, sink := events()
	c := dial(t, Config{Addr: srv.Addr(), Events: sink, Keepalive: Keepalive{Time: 10 * time.Millisecond, Timeout: 5 * time.Second, PermitWithoutStream: true}})
	ga := waitEvent(t, ch, EventGoAway)
	if ga.Code != http2.ErrCodeEnhanceYourCalm || ga.Debug != "too_many_pings" {
		t.Fatalf("goaway %+v", ga)
	}
	select {
	case <-c.Done():
	case <-time.After(testTimeout):
		t.Fatal("connection still open after GOAWAY too_many_pings")
	}
}

// TestKeepaliveTimeout: a server that never answers PING is dropped.
func TestKeepaliveTimeout(t *testing.T) {
	addr := startPeer(t, nil, func(p *peer) { p.drain() })
	ch, sink := events()
	c := dial(t, Config{Addr: addr, Events: sink, Keepalive: Keepalive{Time: 10 * time.Millisecond, Timeout: 50 * time.Millisecond, PermitWithoutStream: true}})
	e := waitEvent(t, ch, EventClose)
	if !errors.Is(e.Err, errKeepalive) {
		t.Fatalf("close: %v, want the keepalive timeout", e.Err)
	}
	if !errors.Is(c.Err(), errKeepalive) {
		t.Fatalf("Err: %v", c.Err())
	}
}

func TestDialErrors(t *testing.T) {
	h1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer h1.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"HTTP/1 server", Config{Addr: strings.TrimPrefix(h1.URL, "http://")}, "answered HTTP/1.x"},
		{"refused", Config{Addr: closed}, "connection refused"},
		{"silent server", Config{Addr: silent.Addr().String(), ConnectTimeout: 100 * time.Millisecond}, "no HTTP/2 SETTINGS within the connect timeout"},
		{"no address", Config{}, "no address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Dial(testCtx(t), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestMaxConnectionAgeUnderLoad: calls run on a connection the server ages
// out; each either succeeds or fails with ErrNotProcessed, and the
// connection ends.
func TestMaxConnectionAgeUnderLoad(t *testing.T) {
	srv := startServer(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
		MaxConnectionAge: 100 * time.Millisecond, MaxConnectionAgeGrace: 10 * time.Second}))
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	req := frame(t, &pulsepb.Request{})
	ctx := testCtx(t)
	var ok, notProcessed atomic.Int64
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for {
				resp, err := c.Unary(ctx, m, req, nil)
				resp.Release()
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrNotProcessed):
					notProcessed.Add(1)
					errs <- nil
					return
				default:
					errs <- err
					return
				}
			}
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("a call failed with %v, want success or ErrNotProcessed", err)
		}
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("connection still open")
	}
	if ok.Load() == 0 || notProcessed.Load() != 8 {
		t.Fatalf("%d ok, %d not processed", ok.Load(), notProcessed.Load())
	}
}

// TestGoAwayAfterDrainIgnored: a server's drain (GOAWAY 2^31-1, then the
// real last stream id) that ends a connection with no call open is one
// GOAWAY event: once the connection closes, the second is no event, as
// grpc-go's reader has stopped by then.
func TestGoAwayAfterDrainIgnored(t *testing.T) {
	addr := startPeer(t, nil, func(p *peer) {
		p.fr.WriteGoAway(1<<31-1, http2.ErrCodeNo, []byte("max_age"))
		p.fr.WriteGoAway(0, http2.ErrCodeNo, []byte("max_age"))
		p.flush()
		p.drain()
	})
	ch, sink := events()
	c := dial(t, Config{Addr: addr, Events: sink})
	<-c.Done()
	goAways := 0
	for e := range ch {
		if e.Kind == EventGoAway {
			goAways++
		}
		if e.Kind == EventClose {
			break
		}
	}
	if goAways != 1 {
		t.Errorf("%d GOAWAY events before the close, want 1", goAways)
	}
}
