package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// worker makes calls one after another on one pool connection. Everything
// in it belongs to its goroutine, but busy, which InFlight reads.
type worker struct {
	*run
	id       int
	conn     int
	calls    caller
	watch    stateWatch
	lastRead *atomic.Int64 // when bytes last came from the server on this pool connection
	rec      WorkerRecorder
	reqs     data.Worker
	stats    CallStats
	n        int64           // calls this worker made
	sawBegin bool            // the worker has seen rec.Begin
	fifo     sendQueue       // bidi: send times no response has matched yet
	sendTook []time.Duration // bidi: how long each SendMsg of the stream took
	busy     atomic.Bool
	progress atomic.Uint64 // calls started and ended, stream messages sent and received (for the stall watchdog)
	cut      cutCall       // the recorded call the run cut short, if any (once: the run is over then)
	churn    *churnSlot    // the pool connection's churn under --reconnect-every; nil without

	// kind, path and opts are the method of the worker's current call and
	// the options it is made with; they shadow the Runner's, which they
	// are unless the run is a mix (then pick sets them per call).
	kind  event.Kind
	path  string
	opts  *plan.Options
	entry int           // the index of the current method in the mix
	mix   []workerEntry // nil unless the run is a mix
	rng   *rand.Rand    // picks a mix's methods
	md    metadata.MD   // the metadata of the current method's calls
	tmd   metadata.MD   // the current call's templated metadata; nil for none
}

func newWorker(s *run, id, conn int, cc poolConn, watch stateWatch, lastRead *atomic.Int64, rec WorkerRecorder) *worker {
	w := &worker{run: s, id: id, conn: conn, calls: cc.caller(), watch: watch, lastRead: lastRead, rec: rec, reqs: s.reqs.ForWorker(id, &s.tmpl)}
	w.kind, w.path, w.opts = s.kind, s.path, &s.Runner.opts
	return w
}

func (w *worker) closedLoop(ctx context.Context) {
	staged := len(w.opts.Load.ConcurrencyStages) > 0
	for ctx.Err() == nil {
		if staged && !w.inUse(ctx) {
			return
		}
		start := time.Now()
		record, ok := w.claim(start)
		if !ok {
			return
		}
		w.do(ctx, time.Time{}, start, record, false)
	}
}

// inUse waits, under --concurrency-stages, until the stages' level is above
// this worker's number (worker k is in use while the level is above k), so
// that workers are added and retired as the level moves; a worker retired
// mid-call has finished that call first. It reports false when the worker
// is not needed again before the stages end, or the run stopped.
func (w *worker) inUse(ctx context.Context) bool {
	stages := w.opts.Load.ConcurrencyStages
	for {
		now := time.Now()
		at, ok := stages.Above(0, float64(w.id), max(now.Sub(w.measureFrom), 0))
		if !ok {
			return false
		}
		wait := w.measureFrom.Add(at).Sub(now)
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		case <-w.stopCh:
			t.Stop()
			return false
		}
	}
}

func (w *worker) openLoop(ctx context.Context, tickets <-chan ticket) {
	for t := range tickets {
		// The pacer counted this worker busy when it handed the ticket over
		// (counting here would leave a moment in which a worker that took a
		// ticket still looks free, and a late call is blamed on the client).
		if ctx.Err() != nil {
			return // stopped: the pacer closes tickets soon
		}
		w.do(ctx, t.intended, time.Now(), t.record, t.late)
		w.free.Add(1) // free again, as the pacer counts them to blame late starts
	}
}

// do makes one call and records it when record is set. intended is when the
// call was due (zero in closed loop: it counts from its start). A templated
// request is rendered before the call's start is taken: rendering is the
// tool's work, not the server's (in open loop latency still counts from
// intended, so a slow template shows there, as it would delay any client).
func (w *worker) do(ctx context.Context, intended, start time.Time, record, late bool) {
	if w.mix != nil {
		ctx = w.pick()
	}
	if record && !w.sawBegin {
		<-w.begun // Begin comes before the first recorded call
		w.sawBegin = true
	}
	seq := w.n
	frames := w.reqs.Frames()
	if w.reqs.PerCall() {
		seq = w.seq.Add(1) - 1
		frames2, md, err := w.reqs.Next(seq)
		if err != nil {
			// The template broke, not the server: no call is made, the run stops.
			w.fail(fmt.Errorf("--template: rendering request %d: %w", seq, err))
			return
		}
		if frames, w.tmd = frames2, md; md != nil {
			ctx = metadata.NewOutgoingContext(ctx, md)
		}
		start = time.Now()
	}
	if intended.IsZero() {
		intended = start
	}
	if t := w.opts.Call.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	w.open(intended, start, late)
	var rec WorkerRecorder
	if record {
		rec = w.rec
	}
	err := w.churnCall(ctx, seq, frames, rec, &w.stats)
	w.finish(err, record)
}

// open counts a call as started: in flight, and its stats begun.
func (w *worker) open(intended, start time.Time, late bool) {
	w.busy.Store(true)
	progressed(&w.progress)
	w.n++
	w.stats = CallStats{Intended: intended, Start: start, Late: late, Conn: w.conn, Method: w.entry}
}

// finish ends the call open began with its outcome err, and records it
// when record is set (a call the run itself cut short counts as aborted).
func (w *worker) finish(err error, record bool) {
	s := &w.stats
	s.End = time.Now()
	progressed(&w.progress)
	w.busy.Store(false)
	if record {
		w.heldAt(s)
	}
	if err != nil && w.abortCtx.Err() != nil {
		if record {
			w.aborted.Add(1) // cut short by the run itself, not the server's doing
			w.abortedSent.Add(s.Sent)
			w.abortedRecv.Add(s.Received)
			w.abortedLive.Add(stillDelivering(s, w.measureTo))
			w.cut = cutCall{intended: s.Intended, end: s.End}
		}
		return
	}
	if !record {
		return
	}
	s.Err = err
	s.Code, s.Cause = codes.OK, ""
	if err != nil {
		s.Code = status.Code(err)
		// Silent and READY: nothing at all came back on the connection
		// while the call waited (a slow but live server answers others).
		s.Ready = w.watch.Ready() && w.lastRead.Load() < s.Start.UnixNano()
		s.Cause = conn.Classify(err, s.Ready)
	}
	s.Peer = w.calls.peer()
	w.rec.Call(s)
}

// heldAt counts the call s when it was in flight at -z (Outcome.HeldAtEnd):
// rare, so the atomics cost the other calls only a comparison.
func (w *worker) heldAt(s *CallStats) {
	end := w.measureTo
	if end.IsZero() || !s.Start.Before(end) || s.End.Before(end) {
		return
	}
	w.heldAtEnd.Add(1)
	held := int64(end.Sub(s.Start))
	for {
		old := w.heldFor.Load()
		if held <= old || w.heldFor.CompareAndSwap(old, held) {
			return
		}
	}
}

// call makes one call of the method's kind; rec is nil for warm-up calls.
func (w *worker) call(ctx context.Context, seq int64, frames []*data.Frame, rec WorkerRecorder, s *CallStats) error {
	switch w.kind {
	case event.Unary:
		s.Sent, s.Received = 1, 0
		err := w.calls.unary(ctx, w.method(), frames[seq%int64(len(frames))])
		if err == nil {
			s.Received = 1
		}
		return err
	case event.ServerStream:
		return w.serverStream(ctx, frames[seq%int64(len(frames))], rec, s)
	case event.ClientStream:
		return w.clientStream(ctx, frames, rec, s)
	}
	return w.bidi(ctx, frames, rec, s)
}
