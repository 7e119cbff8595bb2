package runner

import (
	"net"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Recorder receives what a run measures. Run calls Begin once when
// measurement starts (after any warm-up), Worker once per worker before its
// first call, and End once after the last recorded call has finished. Calls
// made during warm-up are not recorded. End's time is when the run ended: for
// a rate run that was not interrupted and had no more calls due before -z,
// that is Begin's time plus -z (which may be later than the moment End is
// called), so that the run's duration and rate are over -z.
type Recorder interface {
	Begin(start time.Time)
	// Worker returns the recorder of worker id (0-based), which sends its
	// calls over pool connection conn (0-based).
	Worker(id, conn int) WorkerRecorder
	End(end time.Time)
}

// WorkerRecorder records the calls of one worker. Its methods are called
// from one goroutine at a time, on the per-call path: the worker's, or, when
// the engine completes the worker's calls itself (closedLoopAsync), the
// connection's that ended the call. They must not allocate when a call
// succeeds, nor block.
type WorkerRecorder interface {
	// Message records one per-message measurement of the stream in progress.
	Message(s event.Series, d time.Duration)
	// Call records a finished call. c is reused by the caller once Call returns.
	Call(c *CallStats)
}

// CallStats describes one finished call (for streaming kinds, one stream).
type CallStats struct {
	// Intended is when the call was due: in open loop its time on the
	// schedule when it had to wait for a free worker, else when the pacer
	// handed it out (the pacer's own timer slack is not the server's
	// doing); Start in closed loop. Latency is End - Intended, so time spent
	// waiting for a free worker is counted (no coordinated omission).
	Intended time.Time
	// Start is when the call actually started; End - Start is its service time.
	Start time.Time
	End   time.Time
	// Code is the call's status code; Err its error (nil when Code is OK).
	Code codes.Code
	Err  error
	// Cause is the transport cause of a failed call (conn.Classify), set by
	// the worker; "" when the call succeeded.
	Cause event.Cause
	// Sent and Received count stream messages (1 and 1 for unary).
	Sent, Received int64
	// LastReceived is when a stream's latest response message came; zero
	// before the first (and for unary calls).
	LastReceived time.Time
	// Late reports, in open loop, that the call started late because
	// workers were busy: the pacer reached it on time and found none free,
	// or it was due while the pacer waited for a free worker. Its latency
	// counts from when it was due. Calls the pacer itself reached late (a
	// stalled client, and the catch-up burst after it) are not late starts
	// but pacer-late (Outcome.PacerLate).
	Late bool
	// Peer is the remote address the call went to, when known.
	Peer net.Addr
	// Conn is the pool connection the call used.
	Conn int
	// Method is the index of the call's method in the mix (NewMix); 0
	// for a run of one method.
	Method int
	// Ready reports, for a failed call, that its pool connection was READY
	// when the call ended and nothing at all had come back from the server
	// on it since the call started: a deadline missed that way is what a
	// silent blackhole (or a stuck server) looks like. A slow server that
	// still answers other calls does not count.
	Ready bool
}

// CutRecorder is a Recorder that also takes the recorded calls a run cut
// before they finished, so that their latency is not lost (a stall that
// outlasts the run would otherwise vanish from the figures). It is
// optional: Run checks for it with a type assertion.
//
// Run calls Cut from its own goroutine, after the last recorded call and
// before End, for two kinds of call: calls in flight that were cut short
// (at the drain limit, by the stall watchdog, or by Ctrl-C: Outcome.Aborted),
// one Cut each; and, in open loop, calls that were due but never handed to a
// worker (Outcome.Unstarted, only those due by the time the run stopped
// starting calls), in batches of evenly spaced due times. The calls of all
// Cuts together number at most Aborted plus Unstarted.
type CutRecorder interface {
	// Cut records n calls, the k-th (from 0) due at first + k×every, none of
	// which had finished (or, unstarted, been able to start) at end: the
	// latency of each was at least end minus its due time (none when that
	// is negative). The due times given are never earlier than the true
	// ones, so these are true lower bounds: exact for a constant rate (to
	// the nanosecond), and for a step or ramp schedule or stages at most
	// 1/1024 of the cut calls' span later.
	Cut(first time.Time, every time.Duration, n int64, end time.Time)
}
