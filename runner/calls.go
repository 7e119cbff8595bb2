package runner

import (
	"context"
	"errors"
	"io"
	"time"

	"google.golang.org/grpc"
)

var (
	serverStreamDesc = &grpc.StreamDesc{ServerStreams: true}
	clientStreamDesc = &grpc.StreamDesc{ClientStreams: true}
	bidiDesc         = &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
)

// message records a per-message measurement; rec is nil for warm-up calls.
func message(rec WorkerRecorder, series Series, d time.Duration) {
	if rec != nil {
		rec.Message(series, d)
	}
}

// receive reads responses until the stream ends, recording the time to the
// first and the gaps between the rest; each arrival is passed to onMsg.
func receive(stream grpc.ClientStream, rec WorkerRecorder, s *CallStats, onMsg func(time.Time)) error {
	last := s.Start
	for {
		if err := stream.RecvMsg(&discard{}); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		now := time.Now()
		if s.Received == 0 {
			message(rec, SeriesFirstMessage, now.Sub(s.Start))
		} else {
			message(rec, SeriesMsgGap, now.Sub(last))
		}
		last = now
		s.Received++
		if onMsg != nil {
			onMsg(now)
		}
	}
}

func (w *worker) serverStream(ctx context.Context, req *frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.cc.NewStream(ctx, serverStreamDesc, w.path, w.callOpts...)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	s.Sent = 1
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return receive(stream, rec, s, nil)
}

// pause waits d between the sends of a stream, or until ctx ends.
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
		return ctx.Err()
	}
}

func (w *worker) clientStream(ctx context.Context, frames []*frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.cc.NewStream(ctx, clientStreamDesc, w.path, w.callOpts...)
	if err != nil {
		return err
	}
	for k := range w.opts.Call.Messages {
		if k > 0 {
			if err := pause(ctx, w.opts.Call.StreamInterval); err != nil {
				return err
			}
		}
		t0 := time.Now()
		if err := stream.SendMsg(frames[k%len(frames)]); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the call; RecvMsg has its status
			}
			return err
		}
		message(rec, SeriesSendTime, time.Since(t0))
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

// sent is one message a bidi sender put on the wire: when it started and how
// long SendMsg took.
type sent struct {
	at   time.Time
	took time.Duration
}

// bidi sends from a goroutine of its own while this one receives, matching
// each response to the oldest unmatched send for its round trip. All
// recording happens here: the sender only passes its times along.
func (w *worker) bidi(ctx context.Context, frames []*frame, rec WorkerRecorder, s *CallStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.cc.NewStream(ctx, bidiDesc, w.path, w.callOpts...)
	if err != nil {
		return err
	}
	n := w.opts.Call.Messages
	sends := make(chan sent, n) // never blocks the sender
	sendErr := make(chan error, 1)
	go func() {
		defer close(sends)
		sendErr <- w.sendAll(ctx, stream, frames, n, sends)
	}()
	err = receive(stream, rec, s, func(now time.Time) {
		if m, ok := <-sends; ok { // the matching send was pushed as soon as SendMsg returned
			if rtt := now.Sub(m.at); rtt >= 0 { // a server that answers unasked breaks the pairing
				message(rec, SeriesMsgRTT, rtt)
			}
			message(rec, SeriesSendTime, m.took)
			s.Sent++
		}
	})
	if err != nil {
		cancel() // unblock the sender
	}
	for m := range sends { // sends no response matched
		message(rec, SeriesSendTime, m.took)
		s.Sent++
	}
	if serr := <-sendErr; err == nil {
		err = serr
	}
	return err
}

func (w *worker) sendAll(ctx context.Context, stream grpc.ClientStream, frames []*frame, n int, sends chan<- sent) error {
	for k := range n {
		if k > 0 {
			if err := pause(ctx, w.opts.Call.StreamInterval); err != nil {
				return nil // the call is over; its status comes from the receiving side
			}
		}
		t0 := time.Now()
		if err := stream.SendMsg(frames[k%len(frames)]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the server ended the call; RecvMsg has its status
			}
			return err
		}
		sends <- sent{at: t0, took: time.Since(t0)}
	}
	return stream.CloseSend()
}
