package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Runner makes one load run of one method. Build it with New, run it once
// with Run; InFlight may be read concurrently while it runs.
type Runner struct {
	opts    Options
	method  protoreflect.MethodDescriptor
	kind    Kind
	path    string
	reqs    *Requests
	workers atomic.Pointer[[]*worker]

	// Dial connects one pool connection; tests may replace it.
	Dial func(ctx context.Context, t Target, opts ...grpc.DialOption) (*grpc.ClientConn, error)
}

// Outcome is what Run reports besides the measurements it recorded.
type Outcome struct {
	// Aborted counts calls cut short because the run was stopped (Ctrl-C, or
	// in-flight calls outlasting the drain limit). They are not recorded.
	Aborted int64
	// Interrupted reports that ctx was cancelled before the run ended.
	Interrupted bool
	// Attempts counts call attempts; nil unless a retry policy was set.
	Attempts *Attempts
}

// New checks opts against method and prepares a run with reqs.
func New(opts Options, method protoreflect.MethodDescriptor, reqs *Requests) (*Runner, error) {
	kind := KindOf(method)
	if err := opts.Load.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Call.ValidateFor(kind); err != nil {
		return nil, err
	}
	if opts.Load.Schedule.Kind == "ramp" && opts.Load.Duration == 0 {
		opts.Load.Duration = opts.Load.Schedule.Over
	}
	return &Runner{opts: opts, method: method, kind: kind, path: FullMethod(method), reqs: reqs, Dial: Dial}, nil
}

// Options returns the options the run uses (defaults filled in).
func (r *Runner) Options() Options { return r.opts }

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
// run has stopped starting calls.
func (r *Runner) drainLimit() time.Duration {
	if t := r.opts.Call.Timeout; t > 0 {
		return t + time.Second
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
	abortCtx    context.Context
}

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
// returned before any call is made.
func (r *Runner) Run(ctx context.Context, rec Recorder) (Outcome, error) {
	md, err := r.opts.Metadata.Call()
	if err != nil {
		return Outcome{}, err
	}
	sink := eventSink(rec)
	attempts := r.attemptCounter()
	conns, err := r.dialPool(ctx, sink, attempts)
	if err != nil {
		return Outcome{}, err
	}
	defer func() {
		sink.active.Store(false) // the run's own closes are not events of the run
		for _, cc := range conns {
			cc.Close()
		}
	}()
	abortCtx, abort := context.WithCancel(ctx)
	defer abort()
	now := time.Now()
	s := &run{Runner: r, rec: rec, measureFrom: now.Add(r.opts.Load.Warmup),
		begun: make(chan struct{}), stopCh: make(chan struct{}), abortCtx: abortCtx}
	if attempts != nil {
		attempts.from = s.measureFrom // before any goroutine can call the handler
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	watches := make([]*stateWatch, len(conns))
	for i, cc := range conns {
		watches[i] = watchState(watchCtx, i, cc, sink.send)
	}
	if d := r.opts.Load.Duration; d > 0 {
		s.measureTo = s.measureFrom.Add(d)
	}
	callCtx := metadata.NewOutgoingContext(abortCtx, md)
	workers := make([]*worker, r.opts.Load.Workers())
	for i := range workers {
		conn := i % len(conns)
		workers[i] = newWorker(s, i, conn, conns[conn], watches[conn], rec.Worker(i, conn))
	}
	r.workers.Store(&workers)
	go s.begin(ctx)

	var wg sync.WaitGroup
	var tickets chan ticket
	if r.opts.Load.OpenLoop() {
		tickets = make(chan ticket)
		go s.pace(ctx, newPacer(&r.opts.Load), tickets)
	}
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tickets != nil {
				w.openLoop(callCtx, tickets)
			} else {
				w.closedLoop(callCtx)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	res := Outcome{}
	select {
	case <-done:
	case <-ctx.Done():
	case <-s.stopCh:
		drain := time.NewTimer(r.drainLimit())
		select {
		case <-done:
		case <-ctx.Done():
		case <-drain.C:
		}
		drain.Stop()
	}
	s.stop()
	abort() // cut short whatever is still in flight
	<-done
	<-s.begun
	stopWatching()
	for _, w := range watches {
		w.Wait()
	}
	rec.End(time.Now())
	res.Aborted = s.aborted.Load()
	res.Interrupted = ctx.Err() != nil
	if attempts != nil {
		res.Attempts = attempts.result()
	}
	return res, nil
}

// sink passes connection events to the recorder while the run is on.
type sink struct {
	rec    ConnRecorder
	active atomic.Bool
}

func eventSink(rec Recorder) *sink {
	s := &sink{}
	s.rec, _ = rec.(ConnRecorder)
	s.active.Store(true)
	return s
}

func (s *sink) send(e ConnEvent) {
	if s.rec != nil && s.active.Load() {
		s.rec.ConnEvent(e)
	}
}

// begin calls rec.Begin when warm-up ends (at once without warm-up).
func (s *run) begin(ctx context.Context) {
	defer close(s.begun)
	if d := time.Until(s.measureFrom); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	s.rec.Begin(s.measureFrom)
}

// dialPool opens the pool's connections, each its own HTTP/2 connection,
// with their transports tapped for connection events.
func (r *Runner) dialPool(ctx context.Context, sink *sink, attempts *attemptCounter) ([]*grpc.ClientConn, error) {
	creds, err := r.opts.Target.credentials()
	if err != nil {
		return nil, err
	}
	conns := make([]*grpc.ClientConn, r.opts.Load.Connections)
	for i := range conns {
		opts := []grpc.DialOption{grpc.WithTransportCredentials(Tap(creds, i, sink.send))}
		if attempts != nil {
			opts = append(opts, grpc.WithStatsHandler(attempts))
		}
		cc, err := r.Dial(ctx, r.opts.Target, opts...)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			if i > 0 {
				err = fmt.Errorf("connection %d of %d: %w", i+1, len(conns), err)
			}
			return nil, err
		}
		conns[i] = cc
	}
	return conns, nil
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

// ticket is one call due in open loop.
type ticket struct {
	intended time.Time
	record   bool
	late     bool
}

// pace sends a ticket to a free worker whenever a call is due: during warm-up
// at the schedule's starting rate, then along the schedule from the end of
// warm-up. A call due while every worker is busy waits for one and is marked
// late; its latency still counts from when it was due (no coordinated
// omission). Due times are absolute, so a late wake-up never lowers the rate.
func (s *run) pace(ctx context.Context, p pacer, tickets chan<- ticket) {
	defer close(tickets)
	defer s.stop()
	warm := constantPacer(s.startRate())
	if err := s.paceFrom(ctx, warm, time.Time{}, s.measureFrom, false, tickets); err != nil {
		return
	}
	_ = s.paceFrom(ctx, p, s.measureFrom, s.measureTo, true, tickets)
}

func (s *run) startRate() float64 {
	switch l := &s.opts.Load; l.Schedule.Kind {
	case "step":
		return l.Schedule.Start
	case "ramp":
		return l.Schedule.From
	default:
		return l.RPS
	}
}

// paceFrom issues the calls of p from `from` (zero: now) until `to` (zero: no
// end) or, when recording, until -n calls. It returns an error when the run
// was stopped.
func (s *run) paceFrom(ctx context.Context, p pacer, from, to time.Time, record bool, tickets chan<- ticket) error {
	if from.IsZero() {
		from = time.Now()
	}
	if !to.IsZero() && !from.Before(to) {
		return nil
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	total := s.opts.Load.Total
	for i := int64(0); !record || total == 0 || i < total; i++ {
		offset, ok := p.due(i)
		if !ok {
			return nil
		}
		due := from.Add(offset)
		if !to.IsZero() && !due.Before(to) {
			return nil
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			case <-s.stopCh:
				return errors.New("stopped")
			}
		}
		// A worker free now takes the call at once. If the timer woke the
		// pacer after the due time (Go's timers can oversleep by up to about
		// a millisecond), that delay is the tool's, not the server's: the
		// call counts from now. A call that finds every worker busy waits,
		// and counts from when it was due: that wait is the server's doing.
		t := ticket{intended: due, record: record}
		if now := time.Now(); now.After(due) {
			t.intended = now
		}
		select {
		case tickets <- t:
			continue
		default:
		}
		t.intended, t.late = due, true
		select {
		case tickets <- t:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stopCh:
			return errors.New("stopped")
		}
	}
	return nil
}
