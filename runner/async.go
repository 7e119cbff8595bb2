package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// A closed loop of unary calls, or of bidi ping-pong streams of small
// messages, on an engine whose connections complete calls themselves (the
// h2 engine's) runs as a chain: the goroutine that ends a call (the
// connection's reader) records it and starts the worker's next, and a
// stream's answers send its next messages from there too, so the loop
// costs no goroutine wake per call or message. What would
// wait (warm-up's end, a connection being redialled, a call the server
// never processed and that goes again, a stream with no slot free, a send
// that must wait for the writer) is handed back to the worker's
// goroutine, which makes that call as closedLoop does and then starts the
// chain again. Every call is opened, made and finished by the same worker
// methods as in closedLoop, one at a time, so the worker's state and its
// recorder are still used by one goroutine at a time.

// errNoLive: the pool connection has no live connection now (it redials):
// the call waits for one, on the worker's goroutine.
var errNoLive = errors.New("no live connection")

// errWouldWait: asyncStream.send could not send without waiting.
var errWouldWait = errors.New("the send would wait")

// completion is told the outcome of a call startUnary started (the method
// set of h2.Completion).
type completion interface{ Done(err error) }

// asyncCaller is a caller whose connection can complete unary calls.
type asyncCaller interface {
	caller
	// startUnary starts a unary call of m with req, which must not change,
	// and returns at once: done gets its outcome. An error means it did
	// not start: errNoLive (make it with unaryFrom, from attempt 1), one
	// unprocessed reports, or the call's outcome.
	startUnary(ctx context.Context, m callMethod, req *data.Frame, done completion) error
	// unprocessed reports whether err means the server never processed
	// the call (it goes again with unaryFrom, from attempt 2, on the next
	// connection; the one it found is taken out of use).
	unprocessed(err error) bool
	// unaryFrom makes a unary call's attempts from the attempt-th on.
	unaryFrom(ctx context.Context, m callMethod, req *data.Frame, attempt int) error
	// openStream opens a stream of m whose messages and end go to h,
	// without waiting: an error means it did not open (make the call with
	// stream). With req (which must not change), a server stream: req goes
	// with the stream's start and ends its send side.
	openStream(ctx context.Context, m callMethod, req *data.Frame, h streamHandler) (asyncStream, error)
}

// streamHandler is told what arrives on a stream openStream opened (the
// method set of h2.Handler).
type streamHandler interface {
	completion
	Message(msg []byte)
}

// asyncStream is a stream openStream opened, closed once its handler was
// told Done. send never waits (errWouldWait: nothing sent); sendWait may,
// for the writer. Both give io.EOF once the call ended.
type asyncStream interface {
	send(f *data.Frame) error
	sendWait(f *data.Frame) error
	closeSend()
	close()
}

// async returns the worker's asyncCaller when its calls can be chained:
// unary calls of one method with static requests, without churn or
// compression (those stay on the worker's goroutine).
func (w *worker) async() (asyncCaller, bool) {
	ac, ok := w.calls.(asyncCaller)
	o := w.opts
	ok = ok && w.mix == nil && w.churn == nil && !w.reqs.PerCall() &&
		!o.Call.Template && o.Call.Compress == "" && len(o.Load.ConcurrencyStages) == 0
	return ac, ok && (w.kind == event.Unary || w.pongs() || w.serverStreams())
}

// serverStreams reports whether the worker's server streams can be
// chained: small requests (a Done that ends one on the reader waits for
// the writer to be done with its request).
func (w *worker) serverStreams() bool {
	return w.kind == event.ServerStream && w.smallRequests()
}

// maxPong bounds the messages a chained ping-pong stream sends: its
// sends are made by the connection's reader, which must not wait long
// for the writer.
const maxPong = 16 << 10

// pongs reports whether the worker's bidi ping-pong streams can be
// chained: no pause between messages (it would wait), small messages.
func (w *worker) pongs() bool {
	c := w.opts.Call
	return w.kind == event.Bidi && c.StreamPacing == plan.PacingPingPong && c.StreamInterval <= 0 && w.smallRequests()
}

// smallRequests reports whether every request message is at most maxPong.
func (w *worker) smallRequests() bool {
	for _, f := range w.reqs.Frames() {
		if len(f.Wire()) > maxPong {
			return false
		}
	}
	return true
}

// handBack is what a chain hands back to the worker's goroutine.
type handBack struct {
	kind    backKind
	start   time.Time // backClaimed: the call's start
	record  bool      // backClaimed: the call is recorded
	attempt int       // backRedo: the attempt to go on from
	err     error     // backFailed: why the start failed (the call's outcome)
}

type backKind uint8

const (
	backDone    backKind = iota // no call pending: the loop goes on (or ends)
	backWait                    // a call is in flight (not handed back)
	backClaimed                 // a call claimed, not opened: make it with do
	backRedo                    // a call opened: make it with unaryFrom from attempt
	backFailed                  // the call's start failed: err is its outcome
	backSend                    // a ping-pong stream's send must wait: the worker's goroutine makes it (sendOwed)
)

// chain is a worker's chain of calls; it is the completion of each.
type chain struct {
	w      *worker
	ac     asyncCaller
	ctx    context.Context
	call   context.Context    // the call in flight's: ctx, with its deadline (--timeout)
	cancel context.CancelFunc // of call's deadline; nil without
	req    *data.Frame        // the call in flight's request
	seq    int64              // its number (w.n when it started)
	record bool               // and whether it is recorded
	// A ping-pong stream's: mu guards the stream between its opener and
	// the reader (an answer may come before the opener is done with the
	// first message); k messages sent, the last at t0; last is when the
	// answer before came; closed: the send side is.
	mu     sync.Mutex
	st     asyncStream
	k      int
	t0     time.Time
	last   time.Time
	until  time.Time
	closed bool
	// sending: the worker's goroutine sends (sendOwed), owed more
	// messages the answers meanwhile asked for; ended: Done came then,
	// with endErr.
	sending bool
	owed    int
	ended   bool
	endErr  error
	back    chan struct{}
	h       handBack // what Done handed back, before it signals back
}

func (w *worker) closedLoopAsync(ctx context.Context, ac asyncCaller) {
	a := &chain{w: w, ac: ac, ctx: ctx, back: make(chan struct{}, 1)}
	for ctx.Err() == nil {
		start := time.Now()
		record, ok := w.claim(start)
		if !ok {
			return
		}
		h := a.start(start, record)
		for h.kind == backWait || h.kind == backFailed || h.kind == backSend {
			if h.kind == backWait {
				<-a.back
				h = a.h
				continue
			}
			if h.kind == backSend {
				h = a.sendOwed()
				continue
			}
			// On this goroutine: a start that keeps failing (a header
			// list the server refuses) does not hold the reader.
			h = a.next(h.err)
		}
		switch h.kind {
		case backClaimed:
			w.do(ctx, time.Time{}, h.start, h.record, false)
		case backRedo:
			if w.kind == event.Unary {
				a.finish(ac.unaryFrom(a.call, w.method(), a.req, h.attempt))
			} else {
				a.finish(w.call(a.call, a.seq, w.reqs.Frames(), a.rec(), &w.stats))
			}
		}
	}
}

// Done takes the outcome of the call in flight and goes on with the chain;
// when it cannot, it hands the loop back to the worker's goroutine.
func (a *chain) Done(err error) {
	if a.w.kind != event.Unary {
		// A stream's opener may still be at work (startPong,
		// startServer): the call can end (a deadline, Ctrl-C, a lost
		// connection) before it has even stored the stream in a.st.
		a.mu.Lock()
		if a.sending {
			// The worker's goroutine is sending: it ends the call.
			a.ended, a.endErr = true, err
			a.mu.Unlock()
			return
		}
		if a.st != nil {
			a.st.close()
			a.st = nil
		}
		a.mu.Unlock()
	}
	a.handBack(a.next(err))
}

// handBack hands h to the worker's goroutine, unless a call is in flight.
func (a *chain) handBack(h handBack) {
	if h.kind == backWait {
		return // the next call is in flight: nothing of a may be touched now
	}
	a.h = h
	a.back <- struct{}{}
}

// next finishes the call in flight with its outcome err and starts the
// next call, unless the chain must hand back.
func (a *chain) next(err error) handBack {
	if a.call.Err() == nil && a.ac.unprocessed(err) {
		return handBack{kind: backRedo, attempt: 2}
	}
	a.finish(err)
	if a.ctx.Err() != nil {
		return handBack{}
	}
	start := time.Now()
	record, ok := a.w.claim(start)
	if !ok {
		return handBack{}
	}
	return a.start(start, record)
}

// start opens and starts a claimed call, unless it must wait (the
// recorder's Begin, a live connection).
func (a *chain) start(start time.Time, record bool) handBack {
	w := a.w
	if record && !w.sawBegin {
		select {
		case <-w.begun:
			w.sawBegin = true
		default:
			return handBack{kind: backClaimed, start: start, record: record}
		}
	}
	frames := w.reqs.Frames()
	a.seq = w.n
	a.req, a.record = frames[w.n%int64(len(frames))], record
	a.call = a.ctx
	if t := w.opts.Call.Timeout; t > 0 {
		a.call, a.cancel = context.WithTimeout(a.ctx, t)
	}
	w.open(start, start, false)
	switch w.kind {
	case event.ServerStream:
		return a.startServer()
	case event.Bidi:
		return a.startPong()
	}
	w.stats.Sent = 1
	err := a.ac.startUnary(a.call, w.method(), a.req, a)
	switch {
	case err == nil:
		return handBack{kind: backWait}
	case err == errNoLive:
		return handBack{kind: backRedo, attempt: 1}
	case a.call.Err() == nil && a.ac.unprocessed(err):
		return handBack{kind: backRedo, attempt: 2}
	}
	return handBack{kind: backFailed, err: err}
}

// finish ends the call in flight with its outcome.
func (a *chain) finish(err error) {
	if a.cancel != nil {
		a.cancel()
		a.cancel = nil
	}
	if err == nil && a.w.kind == event.Unary {
		a.w.stats.Received = 1 // (a stream counts its messages)
	}
	a.w.finish(err, a.record)
}

// rec is the recorder of the call in flight: nil for a warm-up call.
func (a *chain) rec() WorkerRecorder {
	if a.record {
		return a.w.rec
	}
	return nil
}

// startPong opens the bidi ping-pong stream of the call just opened and
// sends its first message; the answers then drive it (Message), as
// worker.pingPong does on the worker's goroutine.
func (a *chain) startPong() handBack {
	w := a.w
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := a.ac.openStream(a.call, w.method(), nil, a)
	if err != nil {
		// No slot free, no live connection, a draining one: the
		// worker's goroutine makes the call, which waits for them.
		return handBack{kind: backRedo}
	}
	a.st, a.k, a.closed, a.sending, a.owed, a.ended = st, 0, false, false, 0, false
	a.last, a.until = w.stats.Start, w.sendUntil(w.stats.Start)
	a.sendNext()
	return handBack{kind: backWait}
}

// startServer opens the server stream of the call just opened, its
// request and the end of its send side going with its HEADERS; its
// responses then come to Message, its end to Done, as worker.serverStream
// receives them on the worker's goroutine.
func (a *chain) startServer() handBack {
	w := a.w
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := a.ac.openStream(a.call, w.method(), a.req, a)
	if err != nil {
		return handBack{kind: backRedo} // as startPong
	}
	a.st, a.k, a.closed, a.sending, a.owed, a.ended = st, 0, true, false, 0, false
	a.last = w.stats.Start
	w.stats.Sent = 1 // as worker.serverStream counts it, whatever comes
	return handBack{kind: backWait}
}

// sendNext sends the stream's next message, or closes its send side when
// there is none (a.mu held).
func (a *chain) sendNext() {
	w := a.w
	if !w.sendMore(a.k, a.until) {
		a.st.closeSend()
		a.closed = true
		return
	}
	a.t0 = time.Now()
	err := a.st.send(a.message())
	if err == errWouldWait {
		a.sending = true
		a.handBack(handBack{kind: backSend})
		return
	}
	a.sent(err)
}

// message is the stream's next message.
func (a *chain) message() *data.Frame {
	frames := a.w.reqs.Frames()
	return frames[a.k%len(frames)]
}

// sent counts message a.k as sent when its send returned err (a.mu held).
func (a *chain) sent(err error) {
	if err != nil {
		a.closed = true // the call ended (io.EOF): Done tells its status
		return
	}
	w := a.w
	message(a.rec(), event.SeriesSendTime, time.Since(a.t0))
	progressed(&w.progress)
	w.stats.Sent++
	a.k++
}

// sendOwed, on the worker's goroutine, sends the message the reader could
// not send without waiting, then those the answers meanwhile asked for;
// then the answers drive the stream again, or, if it ended meanwhile, the
// call is finished here.
func (a *chain) sendOwed() handBack {
	w := a.w
	a.mu.Lock()
	for {
		f := a.message()
		a.mu.Unlock()
		err := a.st.sendWait(f)
		a.mu.Lock()
		a.sent(err)
		if a.closed || a.owed == 0 {
			break
		}
		a.owed--
		if !w.sendMore(a.k, a.until) {
			a.st.closeSend()
			a.closed = true
			break
		}
		a.t0 = time.Now()
	}
	a.sending, a.owed = false, 0
	if !a.ended {
		a.mu.Unlock()
		return handBack{kind: backWait}
	}
	err := a.endErr
	a.ended, a.endErr = false, nil
	a.st.close()
	a.st = nil
	a.mu.Unlock()
	return a.next(err)
}

// Message takes an answer of the ping-pong stream in flight: its round
// trip, then the next message (or, once the send side is closed, a gap);
// or a response of the server stream in flight.
func (a *chain) Message([]byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := a.w
	now := time.Now()
	progressed(&w.progress)
	received(a.rec(), &w.stats, a.last, now)
	a.last = now
	if a.closed {
		return // a gap after the last message
	}
	if a.sending {
		// Each answer is the round trip of one message and asks for the
		// next, as pingPong's Recv after each Send: those beyond the
		// messages still to go are gaps.
		if w.sendMore(a.k+a.owed, a.until) {
			message(a.rec(), event.SeriesMsgRTT, now.Sub(a.t0))
			a.owed++ // the sender sends it next
		}
		return
	}
	message(a.rec(), event.SeriesMsgRTT, now.Sub(a.t0))
	a.sendNext()
}
