package conn

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/grpcpulse/grpcpulse/internal/faultproxy"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func h2Frame(typ, flags byte, payload []byte) []byte {
	f := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 1}
	return append(f, payload...)
}

// The scanner finds frames however the stream is cut into reads.
func TestFrameScanner(t *testing.T) {
	t.Parallel()
	goaway := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 7), 0xb)
	goaway = append(goaway, "too_many_pings"...)
	stream := slices.Concat(
		[]byte(http2ClientPreface),
		h2Frame(0x0, 0, make([]byte, 70000)), // DATA, skipped unread
		h2Frame(framePing, 0, keepalivePing[:]),
		h2Frame(0x1, 0x4, []byte("headers")),
		h2Frame(frameRSTStream, 0, []byte{0, 0, 0, 8}),
		h2Frame(framePing, flagAck, []byte{2, 4, 16, 16, 9, 14, 7, 7}),
		h2Frame(frameGoAway, 0, goaway),
		h2Frame(0x4, 0, nil), // empty SETTINGS
	)
	for _, chunk := range []int{1, 7, 9, 100, len(stream)} {
		s := frameScanner{skip: len(http2ClientPreface)}
		var got []string
		for p := stream; len(p) > 0; {
			n := min(chunk, len(p))
			s.feed(p[:n], func(f h2frame) {
				switch f.typ {
				case frameGoAway:
					last, code, debug, _ := goAway(f.payload)
					got = append(got, "goaway "+h2CodeName(code)+" "+debug+" "+string(rune('0'+last)))
				case framePing:
					got = append(got, "ping "+string(rune('0'+f.flags))+" "+string(rune('0'+f.payload[0])))
				case frameRSTStream:
					got = append(got, "rst "+h2CodeName(uint32(f.payload[3])))
				}
			})
			p = p[n:]
		}
		want := []string{"ping 0 0", "rst CANCEL", "ping 1 2", "goaway ENHANCE_YOUR_CALM too_many_pings 7"}
		if !slices.Equal(got, want) {
			t.Errorf("reads of %d bytes: frames %q, want %q", chunk, got, want)
		}
	}
}

// events collects connection events.
type events struct {
	mu   sync.Mutex
	list []event.Event
	seen chan event.Event
}

func newEvents() *events { return &events{seen: make(chan event.Event, 1000)} }

func (e *events) add(ev event.Event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
	select {
	case e.seen <- ev:
	default:
	}
}

// waitFor returns the first event for which match holds, failing after 10s.
func (e *events) waitFor(t *testing.T, match func(event.Event) bool) event.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.seen:
			if match(ev) {
				return ev
			}
		case <-timeout:
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("no matching event in 10s; events: %+v", e.list)
		}
	}
}

func tappedConn(t *testing.T, addr string, sink func(event.Event), opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append(opts, grpc.WithTransportCredentials(Tap(insecure.NewCredentials(), 3, sink, nil)))
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// The server's MaxConnectionAge shows as a GOAWAY NO_ERROR "max_age", then
// a close, then a new transport.
func TestTapMaxAge(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{
		MaxConnectionAge: 100 * time.Millisecond, MaxConnectionAgeGrace: time.Second}))
	ev := newEvents()
	cc := tappedConn(t, srv.Addr(), ev.add)
	call := func() {
		if _, err := pulsepb.NewPulseClient(cc).Unary(context.Background(), &pulsepb.Request{Id: 1}); err != nil {
			t.Fatal(err)
		}
	}
	call()
	open := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventOpen })
	if open.Conn != 3 || open.Transport != 1 || open.Remote != srv.Addr() || open.Local == "" {
		t.Errorf("open event %+v", open)
	}
	g := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventGoAway })
	if g.Code != "NO_ERROR" || g.Debug != "max_age" || g.Transport != 1 {
		t.Errorf("goaway %+v, want NO_ERROR max_age on transport 1", g)
	}
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventClose && e.Transport == 1 })
	call() // the next call needs a new transport
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventOpen && e.Transport == 2 })
}

// A client pinging more often than the server's policy allows gets GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings"; the tap sees the pings, their ACKs and
// the GOAWAY. (The keepalive floor is lowered for tests: linkname_test.go.)
func TestTapTooManyPings(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: time.Second}))
	ev := newEvents()
	cc := tappedConn(t, srv.Addr(), ev.add, grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: 20 * time.Millisecond, Timeout: time.Second}))
	// An idle stream: the server writes nothing, so its strikes are not reset.
	stream, err := pulsepb.NewPulseClient(cc).Bidi(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventPing })
	ack := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventPingAck })
	if ack.RTT <= 0 || ack.RTT > 5*time.Second {
		t.Errorf("ping RTT %s", ack.RTT)
	}
	g := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventGoAway })
	if g.Code != "ENHANCE_YOUR_CALM" || g.Debug != "too_many_pings" {
		t.Errorf("goaway %+v, want ENHANCE_YOUR_CALM too_many_pings", g)
	}
}

// The watcher reports state changes and the cause of a failed attempt.
func TestWatchState(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	addr := srv.Addr()
	ev := newEvents()
	cc := tappedConn(t, addr, ev.add)
	ctx, cancel := context.WithCancel(context.Background())
	w := WatchState(ctx, 3, cc, ev.add)
	cc.Connect()
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventState && e.State == "READY" })
	if !w.Ready() {
		t.Error("Ready() is false on a READY connection")
	}
	srv.Stop() // nothing listens any more: reconnects are refused
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventState && e.State == "IDLE" })
	cc.Connect()
	tf := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventState && e.State == "TRANSIENT_FAILURE" })
	if tf.Conn != 3 || tf.Err == "" {
		t.Errorf("transient failure %+v, want its cause", tf)
	}
	if w.Ready() {
		t.Error("Ready() is true after the server went away")
	}
	cancel()
	w.Wait()
}

// A blackhole (bytes swallowed, sockets open) is detected by keepalive: the
// ping goes unanswered for Timeout, then grpc-go closes the transport itself.
func TestTapKeepaliveDetectsBlackhole(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	proxy := faultproxy.Start(t, srv.Addr())
	ev := newEvents()
	cc := tappedConn(t, proxy.Addr(), ev.add, grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: 50 * time.Millisecond, Timeout: 200 * time.Millisecond}))
	stream, err := pulsepb.NewPulseClient(cc).Bidi(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventPingAck })
	proxy.SetMode(faultproxy.Blackhole)
	closed := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventClose })
	// grpc-go starts its timer when it queues the ping, a little before the
	// tap sees it written: allow for that.
	if closed.Err != event.ClosedByClient || closed.Unanswered < 180*time.Millisecond {
		t.Errorf("close %+v: want a client close after an unanswered ping of about the 200ms timeout", closed)
	}
	if _, err := stream.Recv(); err == nil || !strings.Contains(err.Error(), "keepalive ping failed to receive ACK within timeout") {
		t.Errorf("stream error %v, want the keepalive timeout", err)
	}
}

// A PING ACK can be read before the Write that sent the ping returns (on
// loopback it often is): every ping must still get its round trip, and no
// round trip may pair an ACK with an older ping.
func TestTapPingAckBeforeWriteReturns(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer server.Close()
	ev := newEvents()
	tap := &tapConn{Conn: client, creds: &tapCreds{conn: 0, sink: ev.add, transports: new(atomic.Int64)}, transport: 1}
	ping := h2Frame(framePing, 0, keepalivePing[:])
	ack := h2Frame(framePing, flagAck, keepalivePing[:])
	go func() { // the server: answer each ping at once
		buf := make([]byte, len(ping))
		for {
			if _, err := io.ReadFull(server, buf); err != nil {
				return
			}
			if _, err := server.Write(ack); err != nil {
				return
			}
		}
	}()
	go func() { // grpc-go's reader
		buf := make([]byte, 64)
		for {
			if _, err := tap.Read(buf); err != nil {
				return
			}
		}
	}()
	const pings = 50
	for range pings {
		if _, err := tap.Write(ping); err != nil {
			t.Fatal(err)
		}
		e := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventPingAck })
		if e.RTT > time.Second {
			t.Fatalf("round trip %s: an ACK was paired with an older ping", e.RTT)
		}
	}
	tap.Close()
}

// The tap reports the server's first SETTINGS (grpc-go's fingerprint), and
// the silence before a GOAWAY: the server's MaxConnectionIdle counts from
// the last call, and so does the silence.
func TestTapSettingsAndSilence(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.WithKeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 200 * time.Millisecond}))
	ev := newEvents()
	cc := tappedConn(t, srv.Addr(), ev.add)
	if _, err := pulsepb.NewPulseClient(cc).Unary(context.Background(), &pulsepb.Request{Id: 1}); err != nil {
		t.Fatal(err)
	}
	s := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventSettings })
	if s.Settings != "MAX_FRAME_SIZE=16384" || s.Transport != 1 {
		t.Errorf("settings event %+v, want grpc-go's MAX_FRAME_SIZE=16384 on transport 1", s)
	}
	g := ev.waitFor(t, func(e event.Event) bool { return e.Kind == event.EventGoAway })
	if g.Silence < 150*time.Millisecond || g.Silence > time.Second {
		t.Errorf("silence before the max_idle GOAWAY %v, want ~200ms", g.Silence)
	}
}

func TestSettingsText(t *testing.T) {
	p := []byte{0, 3, 0, 0, 0, 128, 0, 4, 0, 1, 0, 0, 0, 5, 0, 255, 255, 255, 0, 0x99, 0, 0, 0, 1, 0xff}
	if got, want := settingsText(p), "MAX_CONCURRENT_STREAMS=128 INITIAL_WINDOW_SIZE=65536 MAX_FRAME_SIZE=16777215 0x99=1"; got != want {
		t.Errorf("settingsText = %q, want %q", got, want)
	}
}
