package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Runner makes one load run of one method. Build it with New, run it once
// with Run; InFlight may be read concurrently while it runs.
type Runner struct {
	opts   plan.Options
	method protoreflect.MethodDescriptor
	kind   event.Kind
	path   string
	reqs   *data.Requests
	tmpl   data.RunTemplates
	mix    []mixEntry // NewMix's methods; nil for one method
	// mixWhole: every weight of the mix is a whole number and their sum at
	// most 2^53; mixLast is the index of its last method of weight above 0.
	mixWhole bool
	mixLast  int
	workers  atomic.Pointer[[]*worker]

	// Seed seeds the workers' picks of a mix's methods (with their ids), so
	// that a run's sequence of methods per worker is repeatable.
	Seed uint64

	// payloads counts message bytes before and after compression; nil
	// unless Call.Compress is set (a stats handler costs every call).
	payloads *conn.PayloadCounter

	// Dial connects one pool connection of the grpc engine; tests may
	// replace it.
	Dial func(ctx context.Context, t plan.Target, opts ...grpc.DialOption) (*grpc.ClientConn, error)

	// Connected, when set, runs once the pool is connected, before the
	// first call and the run's clock (with either engine): --start-at waits
	// there. Its error (ctx's, during a wait) ends Run before any call.
	Connected func(ctx context.Context) error
}

// Outcome is what Run reports besides the measurements it recorded.
type Outcome struct {
	// Aborted counts calls cut short because the run was stopped (Ctrl-C, or
	// in-flight calls outlasting the drain limit). They are not recorded.
	Aborted int64
	// Interrupted reports that ctx was cancelled before the run ended.
	Interrupted bool
	// Attempts counts call attempts; nil unless a retry policy was set.
	Attempts *conn.Attempts
	// Unstarted counts, in open loop, calls that were due before the run
	// stopped (-z, Ctrl-C, the stall watchdog) but never started: every
	// worker was held (by a stalled server) until then. Calls -z or -n
	// would have made after an early stop are not counted.
	Unstarted int64
	// Stalled is, when the stall watchdog ended the run, how long calls had
	// been in flight with none starting or ending and no stream message
	// moving (at least Load.StallTimeout); 0 otherwise. The calls in flight
	// then were cut short and count as Aborted.
	Stalled time.Duration
	// PacerLate counts, in open loop, calls the tool itself handed out
	// blameSlack (10ms) or more after they were due, for a reason other
	// than every worker being in a call (an overloaded or stalled client
	// machine, including the catch-up burst after a stall, or a free worker
	// the machine did not run in time). Their latency still counts from
	// when they were due.
	PacerLate int64
	// PacerLateBy is how late the PacerLate calls were handed out, from
	// when each was due.
	PacerLateBy Lateness
	// HeldAtEnd counts, in a run that -z ended, the recorded calls in
	// flight at -z: those that then ended during the drain, and those
	// aborted. HeldFor is how long the longest of them had been in flight
	// then. When they held every worker, the calls due then could not
	// start because of the server.
	HeldAtEnd int64
	HeldFor   time.Duration
	// AbortedSent and AbortedReceived count the stream messages of the
	// Aborted calls: sent and received, though their calls were not
	// recorded (a ping-pong stream cut while waiting for an answer that
	// never came sent its first message).
	AbortedSent, AbortedReceived int64
	// AbortedDelivering counts the Aborted calls that were streams still
	// receiving messages when they were cut (see stillDelivering): a
	// long stream the run outlived, not a stall.
	AbortedDelivering int64
	// Payloads are the recorded calls' message bytes before and after
	// compression; nil unless Call.Compress was set.
	Payloads *conn.Payloads
}

// New prepares a run of method with reqs. It trusts opts to have passed
// Load.Validate and Call.Validate (the command layer checks them once, before
// it dials) and checks only what needs the method: Call.CheckKind.
func New(opts plan.Options, method protoreflect.MethodDescriptor, reqs *data.Requests) (*Runner, error) {
	kind := KindOf(method)
	if err := CheckKind(&opts.Call, kind); err != nil {
		return nil, err
	}
	if opts.Load.Schedule.Kind == plan.ScheduleRamp && opts.Load.Duration == 0 {
		opts.Load.Duration = opts.Load.Schedule.Over
	}
	for _, s := range []plan.Stages{opts.Load.Stages, opts.Load.ConcurrencyStages} {
		if len(s) > 0 {
			opts.Load.Duration = s.Total() // the run ends with the last stage
		}
	}
	for opts.Call.Seed == 0 {
		opts.Call.Seed = rand.Int64()
	}
	tr := data.RunTemplates{Seed: opts.Call.Seed, Method: data.MethodData(method), Stream: kind == event.ClientStream || kind == event.Bidi}
	if opts.Call.Template {
		md, err := opts.Metadata.Call()
		if err != nil {
			return nil, err
		}
		if tr.Headers, err = data.CompileHeaders(md, Templating(opts.Call)); err != nil {
			return nil, err
		}
	}
	r := &Runner{opts: opts, method: method, kind: kind, path: FullMethod(method), reqs: reqs, tmpl: tr, Dial: conn.Dial}
	if opts.Call.Compress != "" {
		r.payloads = &conn.PayloadCounter{}
	}
	return r, nil
}

// Options returns the options the run uses (defaults filled in).
func (r *Runner) Options() plan.Options { return r.opts }

// InFlight returns how many calls are in flight now. Safe for concurrent use.
func (r *Runner) InFlight() int {
	ws := r.workers.Load()
	if ws == nil {
		return 0
	}
	n := 0
	for _, w := range *ws {
		if w.busy.Load() {
			n++
		}
	}
	return n
}

// drainLimit bounds how long in-flight calls may take to finish once the
// run has stopped starting calls: a call's deadline (and a second), or else
// as long as the run (from 1s to 10s; 10s without -z).
func (r *Runner) drainLimit() time.Duration {
	if t := r.opts.Call.Timeout; t > 0 {
		return t + time.Second
	}
	if d := r.opts.Load.Duration; d > 0 {
		return min(max(d, time.Second), 10*time.Second)
	}
	return 10 * time.Second
}

// run is the state the workers of one Run share.
type run struct {
	*Runner
	rec         Recorder
	measureFrom time.Time     // calls starting earlier are warm-up
	measureTo   time.Time     // zero: no time limit
	begun       chan struct{} // closed once rec.Begin has been called
	recorded    atomic.Int64  // recorded calls claimed (for -n)
	seq         atomic.Int64  // request numbers for templates
	stopped     atomic.Bool
	stopOnce    sync.Once
	stopCh      chan struct{}
	aborted     atomic.Int64
	unstarted   atomic.Int64  // open loop: calls due within the run that never started
	pacerLate   atomic.Int64  // open loop: calls the pacer itself handed out late
	pacerLateBy latenessRec   // and how late (the pacer's own: read once it is done)
	free        atomic.Int64  // open loop: workers not handling a ticket (waiting for one, or not yet started)
	paced       chan struct{} // open loop: closed when the pacer is done
	heldAtEnd   atomic.Int64  // recorded calls in flight at -z
	heldFor     atomic.Int64  // the longest of those had been in flight this long at -z (ns)
	abortedSent atomic.Int64  // stream messages the aborted calls sent
	abortedRecv atomic.Int64  // and received
	abortedLive atomic.Int64  // aborted streams still receiving messages (stillDelivering)
	ranOut      atomic.Bool   // open loop: the schedule had no more calls due before the run's end
	stalled     atomic.Int64  // how long the run had made no progress when the stall watchdog ended it
	// unstartedCuts are the pacer's unstarted calls that were due when it
	// stopped; written by the pacer before it closes the tickets.
	unstartedCuts unstartedCalls
	failure       atomic.Pointer[error]
	abortCtx      context.Context
	abort         context.CancelFunc // cuts the calls in flight short
	clock         func() time.Time   // the pacer's clock; nil: time.Now (tests make it jump)
}

// fail stops the run at once because of a fault of the tool's own (not
// the server's): no call starts, the calls in flight are cut short (a
// stream whose next message failed to render would otherwise wait for the
// drain limit on a server waiting for that message), and Run returns err
// as a *Failure.
func (s *run) fail(err error) {
	s.failure.CompareAndSwap(nil, &err)
	s.stop()
	s.abort()
}

// Failure is the error Run returns when a fault of grpcpulse's own, not
// the server's, stopped the run at once: a request template that failed to
// render (its call was not made, or its stream was cut at that message).
// The calls in flight were cut short as by an interrupt; the recorder has
// been ended and the Outcome returned beside the Failure is complete, so
// the calls before it can be reported.
type Failure struct{ Err error }

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// stop ends the starting of calls; calls in flight finish.
func (s *run) stop() {
	s.stopOnce.Do(func() {
		s.stopped.Store(true)
		close(s.stopCh)
	})
}

// Run dials the pool, makes the calls and records them in rec. It returns
// when the run is complete: -n calls recorded, -z over, the schedule over, or
// ctx cancelled (then in-flight calls are cut short and Outcome.Interrupted
// is set). Once calls stop starting, the ones in flight are given drainLimit to
// finish, so a clean run ends without errors. A failure to connect is
// returned before any call is made; a *Failure after the calls it stopped
// were recorded.
func (r *Runner) Run(ctx context.Context, rec Recorder) (Outcome, error) {
	md, err := r.opts.Metadata.Call()
	if err != nil {
		return Outcome{}, err
	}
	evRec, _ := rec.(conn.EventRecorder)
	sink := conn.NewGate(evRec) // connection events reach the recorder while the run is on
	attempts := conn.NewAttemptCounter(&r.opts.Target)
	lastRead := make([]atomic.Int64, r.opts.Load.Connections) // per pool connection, from its tap
	conns, redials, err := r.openPool(ctx, sink, attempts, lastRead)
	if err != nil {
		sink.Close()
		return Outcome{}, err
	}
	var churn []*churnSlot
	defer func() {
		sink.Close() // the run's own closes are not events of the run, and nothing comes after it returns
		if churn == nil {
			for _, cc := range conns {
				cc.close()
			}
		}
		closeChurn(churn) // the slots took the pool's connections over
	}()
	if r.Connected != nil {
		if err := r.Connected(ctx); err != nil {
			return Outcome{}, err
		}
	}
	abortCtx, abort := context.WithCancel(ctx)
	defer abort()
	now := time.Now()
	s := &run{Runner: r, rec: rec, measureFrom: now.Add(r.opts.Load.Warmup),
		begun: make(chan struct{}), stopCh: make(chan struct{}), abortCtx: abortCtx, abort: abort}
	if d := r.opts.Load.Duration; d > 0 {
		s.measureTo = s.measureFrom.Add(d)
	}
	if attempts != nil {
		attempts.From = s.measureFrom // before any goroutine can call the handler
	}
	if r.payloads != nil {
		r.payloads.From = s.measureFrom
	}
	if !s.measureTo.IsZero() {
		// Time is up even when every worker is held by a stalled server and
		// none is there to notice: stop, and the drain limit starts.
		timeUp := time.AfterFunc(time.Until(s.measureTo), s.stop)
		defer timeUp.Stop()
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	watches := make([]stateWatch, len(conns))
	churn = r.newChurn(watchCtx, abortCtx, sink, conns, redials)
	for i, cc := range conns {
		if churn != nil {
			watches[i] = churn[i].cur.watch
			continue
		}
		watches[i] = cc.watch(watchCtx, i, sink.Send)
	}
	callCtx := metadata.NewOutgoingContext(abortCtx, md)
	workers := make([]*worker, r.opts.Load.Workers())
	for i := range workers {
		conn := i % len(conns)
		workers[i] = newWorker(s, i, conn, conns[conn], watches[conn], &lastRead[conn], rec.Worker(i, conn))
		if churn != nil {
			workers[i].churn = churn[conn]
		}
		workers[i].setMix(callCtx, rec)
	}
	r.workers.Store(&workers)
	go s.begin(ctx)

	var wg sync.WaitGroup
	var tickets chan ticket
	if r.opts.Load.OpenLoop() {
		s.free.Store(int64(len(workers))) // free from the start, even before their goroutines run
		tickets, s.paced = make(chan ticket), make(chan struct{})
		go s.pace(ctx, r.opts.Load.Pacer(), tickets)
	}
	exits := make([]time.Time, len(workers)) // when each worker went idle for good
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tickets != nil {
				w.openLoop(callCtx, tickets)
			} else if ac, ok := w.async(); ok {
				w.closedLoopAsync(callCtx, ac)
			} else {
				w.closedLoop(callCtx)
			}
			exits[i] = time.Now()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	stalled := make(chan struct{})
	go s.watchStalls(workers, done, stalled)

	res := Outcome{}
	select {
	case <-done:
	case <-ctx.Done():
	case <-stalled:
	case <-s.stopCh:
		drain := time.NewTimer(r.drainLimit())
		select {
		case <-done:
		case <-ctx.Done():
		case <-stalled:
		case <-drain.C:
		}
		drain.Stop()
	}
	s.stop()
	abort() // cut short whatever is still in flight
	<-done
	if s.paced != nil {
		<-s.paced // its unstarted calls and lateness are written
	}
	<-s.begun
	stopWatching()
	for _, w := range watches {
		w.Wait()
	}
	if cr, ok := rec.(CutRecorder); ok && s.failure.Load() == nil {
		// (At a Failure the tool cut the calls, not a stall of the
		// server's: they are Aborted, with no lower bound to report.)
		s.reportCuts(cr, workers, slices.MinFunc(exits, time.Time.Compare))
	}
	rec.End(s.end(ctx))
	res.Aborted = s.aborted.Load()
	res.Unstarted = s.unstarted.Load()
	res.PacerLate = s.pacerLate.Load()
	res.PacerLateBy = s.pacerLateBy.result() // the pacer is done: the tickets are closed and every worker exited
	res.HeldAtEnd, res.HeldFor = s.heldAtEnd.Load(), time.Duration(s.heldFor.Load())
	res.AbortedSent, res.AbortedReceived = s.abortedSent.Load(), s.abortedRecv.Load()
	res.AbortedDelivering = s.abortedLive.Load()
	res.Stalled = time.Duration(s.stalled.Load())
	res.Interrupted = ctx.Err() != nil
	if attempts != nil {
		res.Attempts = attempts.Result()
	}
	if r.payloads != nil {
		res.Payloads = r.payloads.Result()
	}
	if err := s.failure.Load(); err != nil {
		return res, &Failure{Err: *err}
	}
	return res, nil
}

// end is when the run ended, as the recorder is told. A rate run whose
// schedule had no more calls due before -z ran for -z, even though its last
// call ended earlier (at 1 call/s for 10s the last is due at 9s): its end is
// the end of -z, so that its duration and rate are over -z. The run does not
// wait for that time to come: no call would start in it.
func (s *run) end(ctx context.Context) time.Time {
	now := time.Now()
	if s.ranOut.Load() && ctx.Err() == nil && s.failure.Load() == nil && s.stalled.Load() == 0 && now.Before(s.measureTo) {
		return s.measureTo
	}
	return now
}

// begin calls rec.Begin when warm-up ends (at once without warm-up; at the
// interrupt when Ctrl-C comes during warm-up, so the report's duration is
// never negative).
func (s *run) begin(ctx context.Context) {
	defer close(s.begun)
	at := s.measureFrom
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			at = time.Now()
		}
	}
	s.rec.Begin(at)
}

// dialPool opens the pool's connections, each its own HTTP/2 connection,
// with their transports tapped for connection events. It returns each
// connection's dialer too, for --reconnect-every to dial it again.
func (r *Runner) dialPool(ctx context.Context, sink *conn.Gate, attempts *conn.AttemptCounter, lastRead []atomic.Int64) ([]*grpc.ClientConn, []*poolDialer, error) {
	creds, err := conn.Credentials(ctx, r.opts.Target)
	if err != nil {
		return nil, nil, err
	}
	conns := make([]*grpc.ClientConn, r.opts.Load.Connections)
	dialers := make([]*poolDialer, len(conns))
	for i := range conns {
		d := &poolDialer{conn: i, creds: creds, sink: sink, lastRead: &lastRead[i], transports: new(atomic.Int64)}
		if attempts != nil {
			d.extra = append(d.extra, grpc.WithStatsHandler(attempts))
		}
		if r.payloads != nil {
			d.extra = append(d.extra, grpc.WithStatsHandler(r.payloads))
		}
		cc, err := r.dialTimed(ctx, d)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			if i > 0 {
				err = fmt.Errorf("connection %d of %d: %w", i+1, len(conns), err)
			}
			return nil, nil, err
		}
		conns[i], dialers[i] = cc, d
	}
	return conns, dialers, nil
}

// claim decides whether a call starting at now is recorded, and whether it
// may start at all (-n reached, -z over).
func (s *run) claim(now time.Time) (record, ok bool) {
	if s.stopped.Load() {
		return false, false
	}
	if now.Before(s.measureFrom) {
		return false, true
	}
	if !s.measureTo.IsZero() && !now.Before(s.measureTo) {
		s.stop()
		return false, false
	}
	if total := s.opts.Load.Total; total > 0 && s.recorded.Add(1) > total {
		s.stop()
		return false, false
	}
	return true, true
}
