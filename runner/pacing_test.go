package runner

import (
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// readAhead is a server stream whose messages are read as soon as they
// arrive, by a goroutine of its own, so that the server sees how many of a
// stream's messages were there before it answered them.
type readAhead struct {
	grpc.ServerStream
	got chan readResult
	// holdFirst makes the first answer wait until a second message was read
	// (or the stream's sending ended): a pipelining client has sent it.
	holdFirst bool
	second    chan struct{}
	once      sync.Once
	watch     *unanswered
	read      int
	sent      int
}

type readResult struct {
	m   *pulsepb.Request
	err error
}

// unanswered is the most messages any stream had read but not answered.
type unanswered struct {
	mu  sync.Mutex
	max int
}

func (u *unanswered) get() int { u.mu.Lock(); defer u.mu.Unlock(); return u.max }

func (r *readAhead) loop() {
	defer r.once.Do(func() { close(r.second) })
	for {
		m := new(pulsepb.Request)
		err := r.ServerStream.RecvMsg(m)
		if err == nil {
			r.watch.mu.Lock()
			r.read++
			r.watch.max = max(r.watch.max, r.read-r.sent)
			r.watch.mu.Unlock()
			if r.read == 2 {
				r.once.Do(func() { close(r.second) })
			}
		}
		r.got <- readResult{m, err}
		if err != nil {
			return
		}
	}
}

func (r *readAhead) RecvMsg(m any) error {
	res := <-r.got
	if res.err == nil {
		proto.Merge(m.(proto.Message), res.m)
	}
	return res.err
}

func (r *readAhead) SendMsg(m any) error {
	if r.holdFirst {
		<-r.second
	}
	r.watch.mu.Lock()
	r.sent++ // answered from here on: the client may send the next one now
	r.watch.mu.Unlock()
	return r.ServerStream.SendMsg(m)
}

// readAheadServer starts a test server whose Bidi streams are read ahead.
func readAheadServer(t *testing.T, holdFirst bool) (*testserver.Server, *unanswered) {
	u := &unanswered{}
	srv := testserver.Start(t, testserver.WithServerOptions(grpc.ChainStreamInterceptor(
		func(s any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if !strings.HasSuffix(info.FullMethod, "/Bidi") {
				return h(s, ss)
			}
			r := &readAhead{ServerStream: ss, got: make(chan readResult, 1024), holdFirst: holdFirst, second: make(chan struct{}), watch: u}
			go r.loop()
			return h(s, r)
		})))
	return srv, u
}

// TestStreamPacing: in pingpong the server never holds more than one
// unanswered message of a stream; in pipeline the client sends on without
// waiting (the server holds its first answer until the second message came).
func TestStreamPacing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pacing  string
		holdMax func(int) bool
	}{
		{plan.PacingPingPong, func(n int) bool { return n == 1 }},
		{plan.PacingPipeline, func(n int) bool { return n >= 2 }},
	} {
		t.Run(tt.pacing, func(t *testing.T) {
			t.Parallel()
			srv, u := readAheadServer(t, tt.pacing == plan.PacingPipeline)
			rec, out := runLoad(t, srv, "Bidi", `{}`, func(o *plan.Options) {
				o.Load.Total, o.Load.Concurrency = 6, 2
				o.Call.Messages, o.Call.StreamPacing = 20, tt.pacing
			})
			if got := u.get(); !tt.holdMax(got) {
				t.Errorf("the server held up to %d unanswered messages of a stream", got)
			}
			if len(rec.calls) != 6 || out.Aborted != 0 {
				t.Fatalf("%d calls, %d aborted", len(rec.calls), out.Aborted)
			}
			for _, c := range rec.calls {
				if c.Err != nil || c.Sent != 20 || c.Received != 20 {
					t.Errorf("stream: err %v, sent %d, received %d; want 20 and 20", c.Err, c.Sent, c.Received)
				}
			}
			if n := len(rec.messages[event.SeriesMsgRTT]); n != 120 {
				t.Errorf("%d round trips, want 120", n)
			}
			if n := len(rec.messages[event.SeriesMsgGap]) + len(rec.messages[event.SeriesFirstMessage]); n != 120 {
				t.Errorf("%d first messages and gaps, want 120", n)
			}
		})
	}
}

// TestStreamDuration ends streams by time, or by count when that comes
// first.
func TestStreamDuration(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t)
	ms := time.Millisecond
	for _, tt := range []struct {
		name     string
		kind     string
		pacing   string
		messages int
		d        time.Duration
		minSent  int64
		maxSent  int64
	}{
		{"bidi by time", "Bidi", "", 0, 100 * ms, 1, 11},
		{"bidi pingpong by time", "Bidi", plan.PacingPingPong, 0, 100 * ms, 1, 11},
		{"client by time", "ClientStream", "", 0, 100 * ms, 1, 11},
		{"bidi by count", "Bidi", "", 3, time.Hour, 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := runLoad(t, srv, tt.kind, `{}`, func(o *plan.Options) {
				o.Load.Total, o.Load.Concurrency = 2, 2
				o.Call.Messages, o.Call.StreamDuration, o.Call.StreamPacing = tt.messages, tt.d, tt.pacing
				o.Call.StreamInterval = 10 * ms
			})
			for _, c := range rec.calls {
				if c.Err != nil || c.Sent < tt.minSent || c.Sent > tt.maxSent {
					t.Errorf("stream: err %v, sent %d; want %d to %d", c.Err, c.Sent, tt.minSent, tt.maxSent)
				}
				if tt.messages == 0 && c.End.Sub(c.Start) < tt.d {
					t.Errorf("stream ended after %s, before --stream-duration %s", c.End.Sub(c.Start), tt.d)
				}
			}
		})
	}
}
