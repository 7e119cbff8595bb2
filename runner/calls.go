package runner

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

var (
	serverStreamDesc = &grpc.StreamDesc{ServerStreams: true}
	clientStreamDesc = &grpc.StreamDesc{ClientStreams: true}
	bidiDesc         = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
)

// message records a per-message measurement; rec is nil for warm-up calls.
func message(rec WorkerRecorder, series event.Series, d time.Duration) {
	if rec != nil {
		rec.Message(series, d)
	}
}

// receive reads responses until the stream ends, recording the time to the
// first and the gaps between the rest (last is when the response before
// came, if any did); each arrival is noted in progress and passed to onMsg.
func receive(stream clientStream, rec WorkerRecorder, s *CallStats, progress *atomic.Uint64, last time.Time, onMsg func(time.Time)) error {
	for {
		if err := stream.RecvMsg(&discard{}); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		now := time.Now()
		progressed(progress)
		received(rec, s, last, now)
		last = now
		if onMsg != nil {
			onMsg(now)
		}
	}
}

// received records a response that came at now, the one before at last.
func received(rec WorkerRecorder, s *CallStats, last, now time.Time) {
	if s.Received == 0 {
		message(rec, event.SeriesFirstMessage, now.Sub(s.Start))
	} else {
		message(rec, event.SeriesMsgGap, now.Sub(last))
	}
	s.Received++
	s.LastReceived = now
}

// sendMore reports whether a client or bidi stream sends message k: within
// --messages (0: no count limit) and before until (zero: no time limit,
// else the stream's start plus --stream-duration).
func (w *worker) sendMore(k int, until time.Time) bool {
	if n := w.opts.Call.Messages; n > 0 && k >= n {
		return false
	}
	return until.IsZero() || time.Now().Before(until)
}

// sendUntil is when a stream that started at start stops sending, by
// --stream-duration; zero without one.
func (w *worker) sendUntil(start time.Time) time.Time {
	if d := w.opts.Call.StreamDuration; d > 0 {
		return start.Add(d)
	}
	return time.Time{}
}

func (w *worker) serverStream(ctx context.Context, req *data.Frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.calls.stream(ctx, serverStreamDesc, w.method())
	if err != nil {
		return err
	}
	defer stream.release()
	if err := stream.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	s.Sent = 1
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return receive(stream, rec, s, &w.progress, s.Start, nil)
}

// pause waits d between the sends of a stream, or until ctx ends: then
// the call's status, as grpc-go gives it (a --timeout that passes during
// the wait is DEADLINE_EXCEEDED, not UNKNOWN).
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (w *worker) clientStream(ctx context.Context, frames []*data.Frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.calls.stream(ctx, clientStreamDesc, w.method())
	if err != nil {
		return err
	}
	defer stream.release()
	until := w.sendUntil(s.Start)
	for k := 0; w.sendMore(k, until); k++ {
		if k > 0 {
			if err := pause(ctx, w.opts.Call.StreamInterval); err != nil {
				return err
			}
		}
		f, err := w.reqs.Message(frames, k)
		if err != nil {
			w.fail(err) // the tool's fault: the run stops at once
			return err
		}
		t0 := time.Now()
		if err := stream.SendMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the call; RecvMsg has its status
			}
			return err
		}
		message(rec, event.SeriesSendTime, time.Since(t0))
		progressed(&w.progress)
		s.Sent++
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if err := stream.RecvMsg(&discard{}); err != nil {
		return err
	}
	s.Received = 1
	return nil
}

// sendQueue holds the send times of a bidi stream's messages that no
// response has matched yet, oldest first. The sender pushes and the receiver
// pops; neither ever waits for the other (a server may answer twice per
// request, or not at all, and the receiver must keep reading for HTTP/2 flow
// control to let the sender go on). A worker reuses its queue for every
// stream, so it stops allocating once grown.
type sendQueue struct {
	mu   sync.Mutex
	at   []time.Time
	head int
}

func (q *sendQueue) reset() {
	q.mu.Lock()
	q.at, q.head = q.at[:0], 0
	q.mu.Unlock()
}

func (q *sendQueue) push(t time.Time) {
	q.mu.Lock()
	if q.head > 0 && len(q.at) == cap(q.at) { // reuse the popped front before growing
		n := copy(q.at, q.at[q.head:])
		q.at, q.head = q.at[:n], 0
	}
	q.at = append(q.at, t)
	q.mu.Unlock()
}

// popBy pops the oldest unmatched send if it was made by now, when a
// response came: a response cannot answer a send made after it arrived.
// (The sender may push between the receiver's reading the clock and its
// pop; taking that send would lose its round trip.)
func (q *sendQueue) popBy(now time.Time) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.at) || now.Before(q.at[q.head]) {
		return time.Time{}, false
	}
	t := q.at[q.head]
	q.head++
	return t, true
}

// bidi sends from a goroutine of its own while this one receives, matching
// each response to the oldest unmatched send for its round trip. A response
// with no unmatched send has no round trip. All recording happens here:
// the sender only keeps its send times and durations.
func (w *worker) bidi(ctx context.Context, frames []*data.Frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.calls.stream(ctx, bidiDesc, w.method())
	if err != nil {
		return err
	}
	defer stream.release()
	if w.opts.Call.StreamPacing == plan.PacingPingPong {
		return w.pingPong(ctx, stream, frames, rec, s)
	}
	w.fifo.reset()
	w.sendTook = w.sendTook[:0]
	sendErr := make(chan error, 1)
	until := w.sendUntil(s.Start)
	go func() { sendErr <- w.sendAll(ctx, stream, frames, until) }()
	err = receive(stream, rec, s, &w.progress, s.Start, func(now time.Time) {
		if at, ok := w.fifo.popBy(now); ok {
			message(rec, event.SeriesMsgRTT, now.Sub(at))
		}
	})
	if err != nil {
		cancel() // unblock the sender
	}
	if serr := <-sendErr; err == nil {
		err = serr
	}
	for _, took := range w.sendTook { // the sender is done: its durations are ours now
		message(rec, event.SeriesSendTime, took)
	}
	s.Sent = int64(len(w.sendTook))
	return err
}

// sendAll sends the stream's messages and closes the send side. It runs on
// its own goroutine and touches only w.fifo (locked) and w.sendTook (read by
// the worker once sendAll has returned).
func (w *worker) sendAll(ctx context.Context, stream clientStream, frames []*data.Frame, until time.Time) error {
	for k := 0; w.sendMore(k, until); k++ {
		if k > 0 {
			if err := pause(ctx, w.opts.Call.StreamInterval); err != nil {
				return nil // the call is over; its status comes from the receiving side
			}
		}
		f, err := w.reqs.Message(frames, k) // rendered before its send time is taken
		if err != nil {
			w.fail(err) // the tool's fault: the run stops at once
			return err
		}
		t0 := time.Now()
		w.fifo.push(t0) // before SendMsg: on loopback the response can beat its return
		if err := stream.SendMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the server ended the call; RecvMsg has its status
			}
			return err
		}
		w.sendTook = append(w.sendTook, time.Since(t0))
		progressed(&w.progress)
	}
	return stream.CloseSend()
}

// pingPong sends each message of a bidi stream once the answer to the one
// before has come, on this one goroutine, so each round trip is timed
// without queueing behind the others. Answers beyond the first to a
// message (a server may send several) are read once the send side is
// closed, as gaps.
func (w *worker) pingPong(ctx context.Context, stream clientStream, frames []*data.Frame, rec WorkerRecorder, s *CallStats) error {
	until := w.sendUntil(s.Start)
	last := s.Start
	for k := 0; w.sendMore(k, until); k++ {
		if k > 0 {
			if err := pause(ctx, w.opts.Call.StreamInterval); err != nil {
				return err
			}
		}
		f, err := w.reqs.Message(frames, k) // rendered before its send time is taken
		if err != nil {
			w.fail(err) // the tool's fault: the run stops at once
			return err
		}
		t0 := time.Now()
		if err := stream.SendMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the call; RecvMsg has its status
			}
			return err
		}
		message(rec, event.SeriesSendTime, time.Since(t0))
		progressed(&w.progress)
		s.Sent++
		if err := stream.RecvMsg(&discard{}); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the server ended the call without answering, and OK
			}
			return err
		}
		now := time.Now()
		progressed(&w.progress)
		received(rec, s, last, now)
		message(rec, event.SeriesMsgRTT, now.Sub(t0))
		last = now
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return receive(stream, rec, s, &w.progress, last, nil)
}
