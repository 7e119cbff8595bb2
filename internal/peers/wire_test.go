//go:build unix

package peers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"github.com/grpcpulse/grpcpulse/internal/intermediary"
	"github.com/grpcpulse/grpcpulse/internal/peers"
	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// server is one stack under test: a peer, or grpc-go's testserver for the
// comparison.
type server struct {
	addr string
	stop func() // graceful stop
	// calls waits until the server has started n Pulse calls.
	calls func(n int)
}

// limits are the knobs of a wire test, in each stack's own terms.
type limits struct {
	age, grace, idle time.Duration
	pingMin          time.Duration // the server's minimum ping interval without data
}

func startServer(t *testing.T, stack string, l limits) server {
	t.Helper()
	if stack == "grpc-go" {
		var opts []testserver.Option
		if l.age > 0 || l.idle > 0 {
			opts = append(opts, testserver.WithKeepaliveParams(keepalive.ServerParameters{
				MaxConnectionAge: l.age, MaxConnectionAgeGrace: l.grace, MaxConnectionIdle: l.idle}))
		}
		if l.pingMin > 0 {
			opts = append(opts, testserver.WithKeepalivePolicy(keepalive.EnforcementPolicy{MinTime: l.pingMin}))
		}
		started := make(chan struct{}, 16)
		opts = append(opts, testserver.WithCallHook(func(string, metadata.MD) {
			select {
			case started <- struct{}{}:
			default: // nobody counts past 16
			}
		}))
		srv := testserver.Start(t, opts...)
		return server{addr: srv.Addr(), stop: srv.GracefulStop, calls: func(n int) {
			for range n {
				select {
				case <-started:
				case <-time.After(5 * time.Second):
					t.Fatalf("grpc-go: fewer than %d calls started within 5s", n)
				}
			}
		}}
	}
	args := map[string]int{}
	if l.age > 0 {
		args[peers.ArgMaxConnectionAge] = int(l.age.Milliseconds())
		args[peers.ArgMaxConnectionAgeGrace] = int(l.grace.Milliseconds())
	}
	if l.idle > 0 {
		args[peers.ArgMaxConnectionIdle] = int(l.idle.Milliseconds())
	}
	if l.pingMin > 0 {
		args[peers.ArgMinRecvPingInterval] = int(l.pingMin.Milliseconds())
	}
	p := peers.Start(t, peers.Stack(stack), peers.Options{Args: args, LogCalls: true})
	return server{addr: p.Addr, stop: func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	}, calls: func(n int) {
		if err := p.WaitCalls(n, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}}
}

var stacks = []string{"grpc-go", string(peers.GRPCJS), string(peers.CCore)}

// dial connects a grpc-go client that records frames in log.
func dial(t *testing.T, addr string, log *intermediary.FrameLog, kp keepalive.ClientParameters) pulsepb.PulseClient {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(log.Dialer())}
	if kp.Time > 0 {
		opts = append(opts, grpc.WithKeepaliveParams(kp))
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return pulsepb.NewPulseClient(cc)
}

// hold opens a server stream that answers one message after delay; its
// result (nil or the error) arrives on the returned channel.
func hold(t *testing.T, c pulsepb.PulseClient, delay string) <-chan error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	ctx = metadata.AppendToOutgoingContext(ctx, testserver.MDDelay, delay, testserver.MDMessages, "1")
	done := make(chan error, 1)
	st, err := c.ServerStream(ctx, &pulsepb.Request{Message: "hold"})
	if err != nil {
		done <- err
		return done
	}
	go func() {
		for {
			if _, err := st.Recv(); err != nil {
				if err.Error() == "EOF" {
					err = nil
				}
				done <- err
				return
			}
		}
	}()
	return done
}

func unary(t *testing.T, c pulsepb.PulseClient) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Unary(ctx, &pulsepb.Request{Message: "hi"})
	return err
}

// waitFrame waits (bounded) until log holds a frame read from the peer that
// match accepts.
func waitFrame(t *testing.T, log *intermediary.FrameLog, within time.Duration, match func(intermediary.Frame) bool) intermediary.Frame {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, f := range log.Frames() {
			if !f.Sent && match(f) {
				return f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such frame within %v:\n%s", within, log)
		}
		time.Sleep(5 * time.Millisecond) // polling frames parsed by the client's reader
	}
}

func closed(f intermediary.Frame) bool { return f.Type == "CLOSE" }

func wait(t *testing.T, done <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("call still running after %v", within)
		return nil
	}
}

func received(log *intermediary.FrameLog, typ string) []intermediary.Frame { return log.Find(typ) }

func headerValue(fs []intermediary.Frame, name string) string {
	for _, f := range fs {
		for _, h := range f.Headers {
			if v, ok := strings.CutPrefix(h, name+": "); ok {
				return v
			}
		}
	}
	return ""
}

const sentinel = 1<<31 - 1

// goaway is what a test expects of one GOAWAY frame.
type goaway struct {
	last  uint32
	code  string
	debug string
}

func goaways(log *intermediary.FrameLog, conn int) []goaway {
	var out []goaway
	for _, f := range received(log, "GOAWAY") {
		if f.Conn == conn {
			out = append(out, goaway{f.LastStreamID, f.ErrCode.String(), f.Debug})
		}
	}
	return out
}

// equal compares two GOAWAY sequences with repeats folded: grpc-js sends
// its GOAWAY again when it closes the session, and whether the client reads
// the repeat before it closes its side is a race.
func equal(a, b []goaway) bool {
	a, b = fold(a), fold(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fold(gs []goaway) []goaway {
	var out []goaway
	for _, g := range gs {
		if len(out) == 0 || out[len(out)-1] != g {
			out = append(out, g)
		}
	}
	return out
}

// firstAt is when the first frame of typ came on conn 1.
func firstAt(t *testing.T, log *intermediary.FrameLog, typ string) time.Duration {
	t.Helper()
	for _, f := range received(log, typ) {
		if f.Conn == 1 {
			return f.At
		}
	}
	t.Fatalf("no %s on conn 1:\n%s", typ, log)
	return 0
}

func parallel(t *testing.T, run func(t *testing.T, stack string)) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			run(t, stack)
		})
	}
}

// What each stack sends first and in its response headers: the
// fingerprints docs/implementations.md lists.
func TestWireSettingsAndHeaders(t *testing.T) {
	t.Parallel()
	want := map[string]struct{ settings, accept, okMessage, date string }{
		"grpc-go": {"MAX_FRAME_SIZE=16384", "", "", ""},
		"grpc-js": {"", "identity,deflate,gzip", "OK", "date"},
		"c-core":  {"INITIAL_WINDOW_SIZE=4194303 MAX_FRAME_SIZE=4194303 MAX_HEADER_LIST_SIZE=8192 UNKNOWN_SETTING_65027=1", "identity, deflate, gzip", "", ""},
	}
	parallel(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{})
		log := &intermediary.FrameLog{}
		if err := unary(t, dial(t, srv.addr, log, keepalive.ClientParameters{})); err != nil {
			t.Fatal(err)
		}
		w := want[stack]
		var settings []intermediary.Frame
		for _, f := range received(log, "SETTINGS") {
			if f.Flags == 0 {
				settings = append(settings, f)
			}
		}
		if len(settings) == 0 || strings.Join(settings[0].Settings, " ") != w.settings {
			t.Errorf("first SETTINGS %v, want %q", settings, w.settings)
		}
		hs := received(log, "HEADERS")
		if got := headerValue(hs, "server"); got != "" {
			t.Errorf("server header %q, want none", got)
		}
		if got := headerValue(hs, "grpc-accept-encoding"); got != w.accept {
			t.Errorf("grpc-accept-encoding %q, want %q", got, w.accept)
		}
		if got := headerValue(hs, "grpc-message"); got != w.okMessage {
			t.Errorf("grpc-message on success %q, want %q", got, w.okMessage)
		}
		if got := headerValue(hs, "date") != ""; got != (w.date != "") {
			t.Errorf("date header present %v", got)
		}
		t.Logf("\n%s", log)
	})
}

// Max connection age 600ms, grace 400ms, with a stream that lasts 3s: the
// GOAWAYs at the age, then the stream cut at age + grace.
func TestWireMaxAge(t *testing.T) {
	t.Parallel()
	const age, grace = 600 * time.Millisecond, 400 * time.Millisecond
	want := map[string]struct {
		goaways []goaway
		err     string
		rst     bool // a trailers-only UNAVAILABLE "enter idle" and RST_STREAM NO_ERROR at the grace
	}{
		"grpc-go": {[]goaway{{sentinel, "NO_ERROR", "max_age"}, {1, "NO_ERROR", "max_age"}},
			`rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false},
		"grpc-js": {[]goaway{{sentinel, "NO_ERROR", "max_age"}, {1, "NO_ERROR", ""}, {1, "NO_ERROR", ""}},
			`rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR, debug data: "max_age"`, false},
		"c-core": {[]goaway{{sentinel, "NO_ERROR", ""}, {1, "NO_ERROR", ""}},
			"rpc error: code = Unavailable desc = enter idle", true},
	}
	parallel(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{age: age, grace: grace})
		log := &intermediary.FrameLog{}
		c := dial(t, srv.addr, log, keepalive.ClientParameters{})
		err := wait(t, hold(t, c, "3s"), 6*time.Second)
		waitFrame(t, log, 3*time.Second, closed)
		w := want[stack]
		if err == nil || err.Error() != w.err {
			t.Errorf("held stream ended with %v, want %s", err, w.err)
		}
		if got := goaways(log, 1); !equal(got, w.goaways) {
			t.Errorf("GOAWAYs %+v, want %+v", got, w.goaways)
		}
		// Each stack jitters the age by up to ±10%; a busy machine only
		// makes it later.
		if at := firstAt(t, log, "GOAWAY"); at < age*85/100 {
			t.Errorf("first GOAWAY at %v, before the age %v", at, age)
		}
		rst := received(log, "RST_STREAM")
		if w.rst != (len(rst) == 1 && rst[0].ErrCode.String() == "NO_ERROR" && headerValue(received(log, "HEADERS"), "grpc-message") == "enter idle") {
			t.Errorf("RST_STREAM %v, want one after an \"enter idle\" trailer: %v", rst, w.rst)
		}
		t.Logf("\n%s", log)
	})
}

// Max connection idle 300ms after one call.
func TestWireIdle(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	want := map[string][]goaway{
		"grpc-go": {{sentinel, "NO_ERROR", "max_idle"}},
		"grpc-js": {{1, "NO_ERROR", ""}, {1, "NO_ERROR", ""}},
		"c-core":  {{1, "INTERNAL_ERROR", "enter idle"}},
	}
	parallel(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{idle: idle})
		log := &intermediary.FrameLog{}
		if err := unary(t, dial(t, srv.addr, log, keepalive.ClientParameters{})); err != nil {
			t.Fatal(err)
		}
		waitFrame(t, log, 3*time.Second, closed)
		if got := goaways(log, 1); !equal(got, want[stack]) {
			t.Errorf("GOAWAYs %+v, want %+v", got, want[stack])
		}
		if at := firstAt(t, log, "GOAWAY"); at < idle {
			t.Errorf("GOAWAY at %v, before the idle time %v", at, idle)
		}
		t.Logf("\n%s", log)
	})
}

// The client pings every 20ms on a stream without data; grpc-go and C-core
// allow one ping a second (C-core's default max_ping_strikes, 2).
func TestWirePingEnforcement(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"grpc-go": `rpc error: code = Unavailable desc = closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"`,
		"grpc-js": "", // no enforcement: the stream ends well
		"c-core":  "rpc error: code = Unavailable desc = Too many pings",
	}
	parallel(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{pingMin: time.Second})
		log := &intermediary.FrameLog{}
		c := dial(t, srv.addr, log, keepalive.ClientParameters{Time: 20 * time.Millisecond, Timeout: time.Second})
		err := wait(t, hold(t, c, "600ms"), 5*time.Second)
		if got := fmt.Sprint(err); (err == nil) != (want[stack] == "") || err != nil && got != want[stack] {
			t.Errorf("held stream ended with %v, want %q", err, want[stack])
		}
		gs := goaways(log, 1)
		if want[stack] == "" {
			if len(gs) != 0 {
				t.Errorf("GOAWAYs %+v, want none", gs)
			}
			return
		}
		if len(gs) != 1 || gs[0] != (goaway{1, "ENHANCE_YOUR_CALM", "too_many_pings"}) {
			t.Fatalf("GOAWAYs %+v, want one ENHANCE_YOUR_CALM too_many_pings", gs)
		}
		// Both strike out on the fourth ping without data: the first is
		// free, the next three are strikes, and the third strike is one
		// more than max_ping_strikes (2).
		at := firstAt(t, log, "GOAWAY")
		pings := 0
		for _, f := range log.Frames() {
			if f.Sent && f.Type == "PING" && f.Flags == 0 && f.At <= at {
				pings++
			}
		}
		// Frames are dated as the client parses them: a busy client may
		// date its 4th ping after the GOAWAY it provoked.
		if pings < 3 {
			t.Errorf("GOAWAY after %d pings, want the 4th", pings)
		}
		t.Logf("GOAWAY after %d pings\n%s", pings, log)
	})
}

// A graceful stop (SIGTERM for the peers, GracefulStop for grpc-go) while a
// stream is in flight: the stream ends well.
func TestWireGracefulStop(t *testing.T) {
	t.Parallel()
	want := map[string][]goaway{
		"grpc-go": {{sentinel, "NO_ERROR", "graceful_stop"}, {3, "NO_ERROR", "graceful_stop"}},
		"grpc-js": {{3, "NO_ERROR", ""}, {3, "NO_ERROR", ""}},
		"c-core":  {{sentinel, "NO_ERROR", ""}, {3, "NO_ERROR", ""}},
	}
	parallel(t, func(t *testing.T, stack string) {
		srv := startServer(t, stack, limits{})
		log := &intermediary.FrameLog{}
		c := dial(t, srv.addr, log, keepalive.ClientParameters{})
		if err := unary(t, c); err != nil {
			t.Fatal(err)
		}
		done := hold(t, c, "700ms")
		// The stop must come while the stream is open in the server's
		// application: C-core cancels (RST_STREAM NO_ERROR, client
		// CANCELLED) a call it has received but not yet started.
		srv.calls(2)
		stopped := make(chan struct{})
		go func() { srv.stop(); close(stopped) }()
		if err := wait(t, done, 8*time.Second); err != nil {
			t.Errorf("held stream: %v", err)
		}
		waitFrame(t, log, 8*time.Second, closed)
		<-stopped
		if got := goaways(log, 1); !equal(got, want[stack]) {
			t.Errorf("GOAWAYs %+v, want %+v", got, want[stack])
		}
		t.Logf("\n%s", log)
	})
}

// waitSent waits (bounded) until the client has written HEADERS on stream id.
func waitSent(t *testing.T, log *intermediary.FrameLog, id uint32) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range log.Frames() {
			if f.Sent && f.Type == "HEADERS" && f.StreamID == id {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // polling the client's writes
	}
	t.Fatalf("stream %d never opened:\n%s", id, log)
}

// SIGKILL with a stream in flight, then a restart on the same port.
func TestWireKillAndRestart(t *testing.T) {
	t.Parallel()
	for _, stack := range []peers.Stack{peers.GRPCJS, peers.CCore} {
		t.Run(string(stack), func(t *testing.T) {
			t.Parallel()
			p := peers.Start(t, stack, peers.Options{})
			log := &intermediary.FrameLog{}
			c := dial(t, p.Addr, log, keepalive.ClientParameters{})
			if err := unary(t, c); err != nil {
				t.Fatal(err)
			}
			done := hold(t, c, "3s")
			waitSent(t, log, 3)
			if err := p.Kill(); err != nil {
				t.Fatal(err)
			}
			// The kernel closes the dead process's socket: a FIN (EOF), or a
			// RST when bytes the client sent were still unread in it.
			const want = "rpc error: code = Unavailable desc = error reading from server: "
			err := wait(t, done, 5*time.Second)
			if err == nil || !strings.HasPrefix(err.Error(), want) ||
				!strings.HasSuffix(err.Error(), ": EOF") && !strings.HasSuffix(err.Error(), "read: connection reset by peer") {
				t.Errorf("held stream ended with %v, want %sEOF or a connection reset", err, want)
			}
			if gs := goaways(log, 1); len(gs) != 0 {
				t.Errorf("GOAWAYs %+v from a killed server", gs)
			}
			port := p.Port
			p.Restart(t)
			if p.Port != port {
				t.Fatalf("restarted on port %d, want %d", p.Port, port)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := c.Unary(ctx, &pulsepb.Request{}, grpc.WaitForReady(true)); err != nil {
				t.Errorf("call after the restart: %v", err)
			}
			t.Logf("\n%s", log)
		})
	}
}
