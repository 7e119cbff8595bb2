package h2

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/internal/testserver"
	"github.com/grpcpulse/grpcpulse/internal/testserver/pulsepb"
)

// chain is a closed loop of calls made with Start: each Done starts the
// next until left reaches 0.
type chain struct {
	t     *testing.T
	c     *Conn
	ctx   context.Context
	m     *Method
	req   []byte
	extra []HeaderField
	left  int
	codes map[codes.Code]int
	wg    *sync.WaitGroup
	busy  atomic.Bool // a Done runs: two at once would be a bug
}

func (ch *chain) Done(err error) {
	if !ch.busy.CompareAndSwap(false, true) {
		ch.t.Error("two Done calls of one chain at once")
	}
	defer ch.busy.Store(false)
	ch.codes[status.Code(err)]++
	if ch.left--; ch.left == 0 {
		ch.wg.Done()
		return
	}
	if err := ch.c.Start(ch.ctx, ch.m, ch.req, ch.extra, ch); err != nil {
		ch.t.Errorf("Start: %v", err)
		ch.wg.Done()
	}
}

func runChains(t *testing.T, c *Conn, m *Method, n, calls int, extra []HeaderField) []*chain {
	t.Helper()
	var wg sync.WaitGroup
	chains := make([]*chain, n)
	req := frame(t, &pulsepb.Request{Message: "hi"})
	for i := range chains {
		chains[i] = &chain{t: t, c: c, ctx: testCtx(t), m: m, req: req, extra: extra, left: calls, codes: map[codes.Code]int{}, wg: &wg}
		wg.Add(1)
		if err := c.Start(chains[i].ctx, m, req, extra, chains[i]); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	wg.Wait()
	return chains
}

func TestStartClosedLoops(t *testing.T) {
	// Fewer stream slots than loops: calls wait for slots too.
	srv := startServer(t, testserver.WithMaxConcurrentStreams(8))
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	chains := runChains(t, c, m, 20, 300, nil)
	for i, ch := range chains {
		if ch.codes[codes.OK] != 300 {
			t.Errorf("loop %d: outcomes %v, want 300 OK", i, ch.codes)
		}
	}
	if n := srv.Calls("Unary"); n != 20*300 {
		t.Fatalf("server saw %d calls, want %d", n, 20*300)
	}
}

func TestStartStatus(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	chains := runChains(t, c, m, 3, 10, md(testserver.MDStatus, "NOT_FOUND"))
	for _, ch := range chains {
		if ch.codes[codes.NotFound] != 10 {
			t.Fatalf("outcomes %v, want 10 NOT_FOUND", ch.codes)
		}
	}
}

// done records the outcomes of single calls made with Start.
type done struct {
	mu   sync.Mutex
	errs []error
	all  chan struct{}
	want int
}

func (d *done) Done(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs = append(d.errs, err)
	if len(d.errs) == d.want {
		close(d.all)
	}
}

func TestStartCancel(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	ctx, cancel := context.WithCancel(testCtx(t))
	d := &done{all: make(chan struct{}), want: 5}
	for range 5 {
		if err := c.Start(ctx, m, frame(t, &pulsepb.Request{}), md(testserver.MDDelay, "1m"), d); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	<-d.all
	for _, err := range d.errs {
		if status.Code(err) != codes.Canceled {
			t.Fatalf("got %v, want CANCELED", err)
		}
	}
	if err := c.Start(ctx, m, frame(t, &pulsepb.Request{}), nil, d); status.Code(err) != codes.Canceled {
		t.Fatalf("Start with a context over: %v", err)
	}
	// The connection still works.
	if err := c.Invoke(testCtx(t), m, frame(t, &pulsepb.Request{}), nil); err != nil {
		t.Fatal(err)
	}
}

func TestStartClose(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	d := &done{all: make(chan struct{}), want: 4}
	for range 4 {
		if err := c.Start(testCtx(t), m, frame(t, &pulsepb.Request{}), md(testserver.MDDelay, "1m"), d); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	select {
	case <-d.all: // every Done ran before Close returned
	default:
		t.Fatalf("Close returned with %d of 4 calls told", len(d.errs))
	}
	for _, err := range d.errs {
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("got %v, want UNAVAILABLE", err)
		}
	}
	err := c.Start(testCtx(t), m, frame(t, &pulsepb.Request{}), nil, d)
	if !errors.Is(err, ErrNotProcessed) || status.Code(err) != codes.Unavailable {
		t.Fatalf("Start on a closed connection: %v", err)
	}
}

func TestStartRefusesCompression(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr(), Compression: "gzip"})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	if err := c.Start(testCtx(t), m, frame(t, &pulsepb.Request{}), nil, &done{}); err == nil {
		t.Fatal("Start with Config.Compression made a call")
	}
}

// TestStartGoAway: of the calls Start made, those above a GOAWAY's
// last_stream_id end with ErrNotProcessed, the others complete, and a
// Start after the GOAWAY fails at once, not processed.
func TestStartGoAway(t *testing.T) {
	addr := startPeer(t, nil, goAwayAfterThree)
	c := dial(t, Config{Addr: addr})
	m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
	d := &done{all: make(chan struct{}), want: 3}
	for range 3 {
		if err := c.Start(testCtx(t), m, []byte{0, 0, 0, 0, 0}, nil, d); err != nil {
			t.Fatal(err)
		}
	}
	<-d.all
	ok, unprocessed := 0, 0
	for _, err := range d.errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrNotProcessed) && status.Code(err) == codes.Unavailable:
			unprocessed++
		default:
			t.Errorf("outcome %v", err)
		}
	}
	if ok != 2 || unprocessed != 1 {
		t.Errorf("%d OK and %d not processed, want 2 and 1", ok, unprocessed)
	}
	if err := c.Start(testCtx(t), m, []byte{0, 0, 0, 0, 0}, nil, d); !errors.Is(err, ErrNotProcessed) {
		t.Fatalf("Start after GOAWAY: %v, want not processed", err)
	}
}

// closing is a closed loop of Start calls that counts, once closed is
// set, the outcomes of calls Close ended that came after Close returned.
type closing struct {
	c      *Conn
	m      *Method
	req    []byte
	calls  *atomic.Int64
	busy   chan struct{} // closed at the 200th call: Close now
	once   *sync.Once
	closed *atomic.Bool
	late   *atomic.Int64
	wg     *sync.WaitGroup
}

func (ch *closing) Done(err error) {
	if errors.Is(err, ErrClosed) && ch.closed.Load() {
		ch.late.Add(1)
	}
	if ch.calls.Add(1) == 200 {
		ch.once.Do(func() { close(ch.busy) })
	}
	if err != nil || ch.c.Start(context.Background(), ch.m, ch.req, nil, ch) != nil {
		ch.wg.Done()
	}
}

// TestStartCloseWhileCalling: Close in the middle of closed loops tells
// every call it ended before it returns, while the reader is busy
// completing others.
func TestStartCloseWhileCalling(t *testing.T) {
	srv := startServer(t, testserver.WithMaxConcurrentStreams(8))
	req := frame(t, &pulsepb.Request{Message: "hi"})
	var late atomic.Int64
	for range 30 {
		c := dial(t, Config{Addr: srv.Addr()})
		m := method(t, c, pulsepb.Pulse_Unary_FullMethodName)
		var calls atomic.Int64
		var closed atomic.Bool
		var wg sync.WaitGroup
		busy, once := make(chan struct{}), &sync.Once{}
		for range 32 {
			wg.Add(1)
			ch := &closing{c: c, m: m, req: req, calls: &calls, busy: busy, once: once, closed: &closed, late: &late, wg: &wg}
			if err := c.Start(context.Background(), m, req, nil, ch); err != nil {
				t.Fatal(err)
			}
		}
		<-busy
		c.Close()
		closed.Store(true)
		wg.Wait()
	}
	if n := late.Load(); n > 0 {
		t.Fatalf("%d calls Close ended were told after it returned", n)
	}
}

// ponger ping-pongs n messages on a stream Open made and keeps what it
// was told.
type ponger struct {
	st    *Stream
	req   []byte
	n     int
	sent  int
	got   int
	err   error
	ended chan struct{}
}

func (p *ponger) Message([]byte) {
	p.got++
	if p.sent == p.n {
		return // an answer after the last: the server may send several
	}
	p.sent++
	if p.sent == p.n {
		p.st.Send(p.req)
		p.st.CloseSend()
		return
	}
	p.st.Send(p.req)
}

func (p *ponger) Done(err error) {
	p.err = err
	p.st.Close()
	close(p.ended)
}

// openPonger opens a ponger's stream and sends its first message; the
// Stream is set before any answer can come, as the message goes after it.
func openPonger(t *testing.T, c *Conn, m *Method, ctx context.Context, n int, extra []HeaderField) (*ponger, error) {
	t.Helper()
	p := &ponger{req: frame(t, &pulsepb.Request{Message: "ping"}), n: n, sent: 1, ended: make(chan struct{})}
	st, err := c.Open(ctx, m, extra, p)
	if err != nil {
		return nil, err
	}
	p.st = st
	if n == 1 {
		st.Send(p.req)
		st.CloseSend()
	} else {
		st.Send(p.req)
	}
	return p, nil
}

func TestOpenPingPong(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	var ps []*ponger
	for range 10 {
		p, err := openPonger(t, c, m, testCtx(t), 50, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		<-p.ended
		if p.err != nil || p.got != 50 {
			t.Errorf("got %d answers, end %v; want 50 and OK", p.got, p.err)
		}
	}
	// A server that answers twice per message: the answers after the
	// last message are told too.
	p, err := openPonger(t, c, m, testCtx(t), 3, md(testserver.MDMessages, "2"))
	if err != nil {
		t.Fatal(err)
	}
	<-p.ended
	if p.err != nil || p.got != 6 {
		t.Errorf("got %d answers, end %v; want 6 and OK", p.got, p.err)
	}
}

func TestOpenErrors(t *testing.T) {
	srv := startServer(t, testserver.WithMaxConcurrentStreams(1))
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_Bidi_FullMethodName)
	// A status after two answers.
	p, err := openPonger(t, c, m, testCtx(t), 5, md(testserver.MDFailAfter, "2", testserver.MDStatus, "ABORTED"))
	if err != nil {
		t.Fatal(err)
	}
	<-p.ended
	if status.Code(p.err) != codes.Aborted || p.got != 2 {
		t.Errorf("got %d answers, end %v; want 2 and ABORTED", p.got, p.err)
	}
	// The one slot taken: Open does not wait. Then its context's end is
	// told (by the writer: no frame ends it).
	ctx, cancel := context.WithCancel(testCtx(t))
	p, err = openPonger(t, c, m, ctx, 2, md(testserver.MDDelay, "1m"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(testCtx(t), m, nil, &ponger{}); !errors.Is(err, ErrNoSlot) {
		t.Errorf("Open with no slot free: %v, want ErrNoSlot", err)
	}
	cancel()
	<-p.ended
	if status.Code(p.err) != codes.Canceled {
		t.Errorf("end %v, want CANCELED", p.err)
	}
}

// collector keeps the messages of a stream OpenRequest made (which may
// end before OpenRequest returns: the test closes it once ended).
type collector struct {
	msgs  []*pulsepb.Response
	t     *testing.T
	err   error
	ended chan struct{}
}

func (c *collector) Message(b []byte) { c.msgs = append(c.msgs, decodeResponse(c.t, b)) }

func (c *collector) Done(err error) {
	c.err = err
	close(c.ended)
}

// TestOpenRequest: the request goes with the HEADERS and ends the send
// side, so the server answers without a Send or CloseSend; every answer
// and the end are told.
func TestOpenRequest(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName, md(testserver.MDMessages, "5")...)
	req := frame(t, &pulsepb.Request{Message: "hello", Id: 7})
	for range 3 {
		h := collect(t, c, m, req)
		if h.err != nil || len(h.msgs) != 5 {
			t.Fatalf("got %d answers, end %v; want 5 and OK", len(h.msgs), h.err)
		}
		for i, r := range h.msgs {
			if r.GetMessage() != "hello" || r.GetId() != 7 || r.GetSeq() != int64(i+1) {
				t.Errorf("answer %d = %v, want the request's message and id, seq %d", i, r, i+1)
			}
		}
	}
	if got := srv.Calls("ServerStream"); got != 3 {
		t.Errorf("server saw %d calls, want 3", got)
	}
	// A unary method answers once: the server needs the request's end too.
	h := collect(t, c, method(t, c, pulsepb.Pulse_Unary_FullMethodName), req)
	if h.err != nil || len(h.msgs) != 1 {
		t.Errorf("unary through OpenRequest: %d answers, end %v; want 1 and OK", len(h.msgs), h.err)
	}
}

// collect makes a call of m with OpenRequest and returns what its handler
// was told, once it ended.
func collect(t *testing.T, c *Conn, m *Method, req []byte) *collector {
	t.Helper()
	h := &collector{t: t, ended: make(chan struct{})}
	st, err := c.OpenRequest(testCtx(t), m, req, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	<-h.ended
	st.Close()
	return h
}

// heldHandler holds the reader in its first Message until released.
type heldHandler struct {
	first, release chan struct{}
	closed         atomic.Bool
	msgs, late     atomic.Int64 // messages, and those told after Close returned
	done           atomic.Bool
}

func (h *heldHandler) Message([]byte) {
	if h.closed.Load() {
		h.late.Add(1)
	}
	if h.msgs.Add(1) == 1 {
		close(h.first)
		<-h.release
	}
}

func (h *heldHandler) Done(error) { h.done.Store(true) }

// TestCloseWhileDelivering: a stream closed by another goroutine while
// its handler takes a message is told nothing more, not even Done, and is
// not given to the next call until the reader is done with it; the next
// stream, opened meanwhile, gets its own answers.
func TestCloseWhileDelivering(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName, md(testserver.MDMessages, "200")...)
	req := frame(t, &pulsepb.Request{Message: "held", Id: 1})
	h := &heldHandler{first: make(chan struct{}), release: make(chan struct{})}
	st, err := c.OpenRequest(testCtx(t), m, req, nil, h)
	if err != nil {
		t.Fatal(err)
	}
	<-h.first
	st.Close() // the reader is inside Message
	h.closed.Store(true)
	// The next stream, opened while the reader is still inside the
	// closed stream's Message, must not be that stream given out again.
	got := &collector{t: t, ended: make(chan struct{})}
	st2, err := c.OpenRequest(testCtx(t), m, frame(t, &pulsepb.Request{Message: "next", Id: 2}), nil, got)
	if err != nil {
		t.Fatal(err)
	}
	if st2 == st {
		t.Fatal("the stream being delivered was given to the next call")
	}
	close(h.release)
	<-got.ended
	st2.Close()
	if got.err != nil || len(got.msgs) != 200 {
		t.Fatalf("the next stream: %d answers, end %v; want 200 and OK", len(got.msgs), got.err)
	}
	for i, r := range got.msgs {
		if r.GetMessage() != "next" || r.GetSeq() != int64(i+1) {
			t.Fatalf("the next stream's answer %d = %v, want its own, seq %d", i, r, i+1)
		}
	}
	if h.late.Load() != 0 || h.done.Load() {
		t.Errorf("the closed stream was told %d messages after Close, Done %v; want none", h.late.Load(), h.done.Load())
	}
}

// TestCloseQueuedCompletion: a stream closed by another goroutine after
// the reader queued its completion, before it ran it, no longer counts
// among the callers the writer waits for: the connection's next call is
// written at once. (The reader queues completions while it applies the
// frames already read, and runs them once it has; the test queues one
// the same way.)
func TestCloseQueuedCompletion(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Config{Addr: srv.Addr()})
	m := method(t, c, pulsepb.Pulse_ServerStream_FullMethodName, md(testserver.MDMessages, "1", testserver.MDDelay, "1m")...)
	h := &collector{t: t, ended: make(chan struct{})}
	st, err := c.OpenRequest(testCtx(t), m, frame(t, &pulsepb.Request{}), nil, h)
	if err != nil {
		t.Fatal(err)
	}
	// What completeLocked does on the reader, but for the reader's own
	// count, which the test goroutine must not touch.
	s := (*stream)(st)
	c.mu.Lock()
	s.queued, s.woken = true, true
	c.woken++
	c.completed = append(c.completed, s)
	c.mu.Unlock()
	st.Close()
	c.mu.Lock()
	woken := c.woken
	c.mu.Unlock()
	if woken != 0 {
		t.Errorf("%d callers still counted as woken after the Close", woken)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	resp, err := c.Unary(ctx, method(t, c, pulsepb.Pulse_Unary_FullMethodName), frame(t, &pulsepb.Request{}), nil)
	resp.Release()
	if err != nil {
		t.Fatalf("the next call: %v", err)
	}
}
