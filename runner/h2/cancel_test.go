package h2

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// TestCancel: a cancelled unary call and a stream closed mid-call end with
// CANCELLED on the client, RST_STREAM tells the server, and the connection
// goes on.
func TestCancel(t *testing.T) {
	started := make(chan struct{}, 2)
	srv := startServer(t, testserver.WithCallHook(func(method string, _ metadata.MD) { started <- struct{}{} }))
	c := dial(t, Config{Addr: srv.Addr()})
	um := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		<-started // the server has the call
		cancel()
	}()
	resp, err := c.Unary(ctx, um, frame(t, &pulsepb.Request{}), md(testserver.MDDelay, "1m"))
	resp.Release()
	if status.Code(err) != codes.Canceled {
		t.Fatalf("cancelled call: %v", err)
	}
	bm := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	st, err := c.NewStream(testCtx(t), bm, md(testserver.MDDelay, "1m"))
	if err != nil {
		t.Fatal(err)
	}
	st.Send(frame(t, &pulsepb.Request{}))
	<-started
	st.Close()
	resp, err = c.Unary(testCtx(t), um, frame(t, &pulsepb.Request{}), nil)
	resp.Release()
	if err != nil {
		t.Fatalf("call after cancels: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.streams) != 0 || c.active != 0 {
		t.Fatalf("%d streams still open, %d slots taken", len(c.streams), c.active)
	}
}

// TestStreamsReused: per-call state comes back to the free list, so memory
// does not grow with the number of calls.
func TestStreamsReused(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	sm := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName)
	req := frame(t, &pulsepb.Request{})
	const workers = 8
	seen := map[*stream]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				resp, err := c.Unary(testCtx(t), m, req, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[resp.s] = true
				mu.Unlock()
				resp.Release()
				if i%50 == 0 {
					st, err := c.NewStream(testCtx(t), sm, nil)
					if err != nil {
						t.Error(err)
						return
					}
					st.Send(req)
					st.CloseSend()
					for {
						if _, err := st.Recv(); err != nil {
							break
						}
					}
					st.Close()
				}
			}
		}()
	}
	wg.Wait()
	// Each worker needs at most two streams at a time: any more means
	// streams were lost instead of reused.
	if len(seen) > 2*workers {
		t.Fatalf("%d distinct streams for %d workers", len(seen), workers)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.streams) != 0 || c.active != 0 {
		t.Fatalf("left over: %d streams, %d active", len(c.streams), c.active)
	}
}

// TestCancelSharedContext: the unary calls of one context, in flight or
// queued for a MAX_CONCURRENT_STREAMS slot, all end CANCELLED when it is
// cancelled (through the connection's one watch of that context), and the
// watches of per-call deadlines do not pile up.
func TestCancelSharedContext(t *testing.T) {
	const inFlight = 3
	started := make(chan struct{}, inFlight)
	srv := startServer(t, testserver.WithMaxConcurrentStreams(inFlight),
		testserver.WithCallHook(func(string, metadata.MD) {
			select {
			case started <- struct{}{}:
			default: // the calls after the first ones
			}
		}))
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	req := frame(t, &pulsepb.Request{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, inFlight+1)
	for range inFlight + 1 { // one more than the server's slots: it queues
		go func() { errs <- c.Invoke(ctx, m, req, md(testserver.MDDelay, "1m")) }()
	}
	for range inFlight {
		<-started
	}
	waiting := func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.waiters) == 1 }
	for !waiting() {
		runtime.Gosched() // the fourth call reaches the slot queue
	}
	cancel()
	for range inFlight + 1 {
		if err := <-errs; status.Code(err) != codes.Canceled {
			t.Fatalf("call of the cancelled context: %v", err)
		}
	}
	for range 20 {
		cctx, ccancel := context.WithTimeout(context.Background(), testTimeout)
		if err := c.Invoke(cctx, m, req, nil); err != nil {
			t.Fatal(err)
		}
		ccancel()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.watches) != 0 || len(c.streams) != 0 || len(c.waiters) != 0 {
		t.Fatalf("%d watches, %d streams, %d waiters left", len(c.watches), len(c.streams), len(c.waiters))
	}
}
