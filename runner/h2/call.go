package h2

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
)

// Response is the outcome of a unary call. Payload, Header and Trailer
// point into the call's pooled buffers: they are valid until Release.
type Response struct {
	// Code is the call's status; Message its percent-decoded grpc-message.
	Code    codes.Code
	Message string
	// Payload is the response message, without its 5-byte gRPC prefix
	// (nil unless Code is OK).
	Payload []byte
	// Header and Trailer are the response metadata (pseudo-headers and
	// the grpc-status, grpc-message, content-type and grpc-encoding fields
	// left out).
	Header, Trailer []HeaderField
	s               *stream
}

// Release gives the call's buffers back for reuse by later calls, once:
// neither the Response nor a copy of it may be used or released after it. Release of a zero Response does
// nothing; a Response never released is left to the garbage collector.
func (r *Response) Release() {
	if s := r.s; s != nil {
		r.s = nil
		s.c.release(s)
	}
}

func (c *Conn) release(s *stream) {
	c.mu.Lock()
	c.releaseLocked(s)
	c.mu.Unlock()
}

func (c *Conn) releaseLocked(s *stream) {
	if !s.started && !s.waiting {
		s.done = true // it never went out
	}
	s.released = true
	c.maybeFreeLocked(s)
}

// ctxError is the status of a call whose context ended, as grpc-go gives it.
func ctxError(err error) *StatusError {
	code := codes.Canceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = codes.DeadlineExceeded
	}
	return &StatusError{Code: code, Message: err.Error(), Cause: err}
}

// cancelLocked ends s because its context ended: RST_STREAM(CANCEL) tells
// the server.
func (c *Conn) cancelLocked(s *stream, err error) {
	se := ctxError(err)
	c.endLocked(s, se.Code, se.Message, err, true, http2.ErrCodeCancel)
}

// outcome is s's status as an error (nil for OK).
func (s *stream) outcome() error {
	if s.code == codes.OK {
		return nil
	}
	return &StatusError{Code: s.code, Message: s.msg, Cause: s.cause}
}

// Unary makes one unary call of m with the request req, one gRPC
// length-prefixed message (5-byte prefix included), and the per-call
// metadata extra (not validated, unlike a Method's constant metadata:
// names must be lowercase, "-bin" values base64). A deadline of ctx goes to
// the server as grpc-timeout. req is only read, until Unary returns. The error is nil when the call
// ended with OK, else a *StatusError whose Code is also in the Response.
// Call Release on the Response when done with it, error or not.
func (c *Conn) Unary(ctx context.Context, m *Method, req []byte, extra []HeaderField) (Response, error) {
	return c.unary(ctx, m, req, extra, true)
}

// Invoke is Unary for a caller that does not read the response: it
// returns the call's status alone, and the call's buffers are reused at
// once (one lock section fewer than Unary and Release).
func (c *Conn) Invoke(ctx context.Context, m *Method, req []byte, extra []HeaderField) error {
	_, err := c.unary(ctx, m, req, extra, false)
	return err
}

func (c *Conn) unary(ctx context.Context, m *Method, req []byte, extra []HeaderField, keep bool) (Response, error) {
	if err := ctx.Err(); err != nil {
		se := ctxError(err)
		return Response{Code: se.Code, Message: se.Message}, se
	}
	s, err := c.openUnary(ctx, m, req, extra, nil)
	if err != nil {
		c.mu.Unlock()
		return errResponse(err), err
	}
	for !s.done {
		s.recvWaiting = true
		c.mu.Unlock()
		<-s.recvWake
		c.mu.Lock()
		c.backLocked(s)
	}
	c.unwatchLocked(s)
	c.waitWriterLocked(s)
	c.inflateUnaryLocked(s)
	err = s.outcome()
	var r Response
	if keep {
		r = Response{Code: s.code, Message: s.msg, Header: s.header, Trailer: s.trailer, s: s}
		if s.code == codes.OK {
			r.Payload = s.rbuf[5:s.scan]
		}
	} else {
		c.releaseLocked(s)
	}
	c.mu.Unlock()
	return r, err
}

// openUnary opens a unary call of m with req (told to done when it ends,
// if not nil) and returns with mu held: the call watched by ctx, whose end
// cancels it, or the error (the stream given back).
func (c *Conn) openUnary(ctx context.Context, m *Method, req []byte, extra []HeaderField, done Completion) (*stream, error) {
	s := c.getStream()
	s.unary, s.async = true, done
	size, err := s.encodeHeaders(ctx, m, extra)
	c.mu.Lock()
	if err == nil {
		err = c.openLocked(s, size, req, true)
	}
	if err != nil {
		s.async = nil
		c.releaseLocked(s)
		return nil, err
	}
	c.watchLocked(s, ctx)
	return s, nil
}

func errResponse(err error) Response {
	var se *StatusError
	if errors.As(err, &se) {
		return Response{Code: se.Code, Message: se.Message}
	}
	return Response{Code: codes.Internal, Message: err.Error()}
}

// waitWriterLocked waits, with mu held, until the writer no longer copies
// from s.out, so the caller may reuse its bytes.
func (c *Conn) waitWriterLocked(s *stream) {
	for s.writing {
		s.sendWaiting = true
		c.mu.Unlock()
		<-s.sendWake
		c.mu.Lock()
	}
}

// Stream is one streaming call (client-, server- or bidi-streaming). Send
// and CloseSend may be called from one goroutine while Recv is called from
// another. Close must be called once the call is over; the Stream must not
// be used after it.
type Stream stream

// NewStream starts a streaming call of m with the per-call metadata extra.
// It waits for a stream slot when the server's MAX_CONCURRENT_STREAMS are
// all in use. ctx bounds the whole call; its deadline goes to the server as
// grpc-timeout.
func (c *Conn) NewStream(ctx context.Context, m *Method, extra []HeaderField) (*Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	s := c.getStream()
	s.ctx = ctx
	size, err := s.encodeHeaders(ctx, m, extra)
	if err == nil {
		c.mu.Lock()
		err = c.openLocked(s, size, nil, false)
		c.mu.Unlock()
	}
	if err != nil {
		c.release(s)
		return nil, err
	}
	done := ctx.Done()
	c.mu.Lock()
	for !s.started && !s.done {
		s.sendWaiting = true
		c.mu.Unlock()
		select {
		case <-s.sendWake:
			c.mu.Lock()
		case <-done:
			c.mu.Lock()
			c.cancelLocked(s, ctx.Err())
		}
	}
	if !s.started {
		err := s.outcome()
		s.released = true
		c.maybeFreeLocked(s)
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()
	return (*Stream)(s), nil
}

// sendCopyLimit is the most request bytes Send copies and leaves queued
// for the writer on one stream.
const sendCopyLimit = 64 << 10

// Send sends frame, one or more gRPC length-prefixed messages; frame may
// be reused when Send returns. A frame up to 64 KiB is copied and queued,
// and Send returns at once unless 64 KiB already wait unsent on the stream
// (then it waits: a sender is paced by the writer and flow control). A
// longer frame is written from the caller's memory and Send returns once it
// is in the connection's buffer. After the call ended Send returns io.EOF;
// Recv gives its status.
func (st *Stream) Send(frame []byte) error { return st.send(frame, true) }

// ErrWouldWait is TrySend's error when Send would wait.
var ErrWouldWait = errors.New("h2: Send would wait for the writer")

// TrySend is Send that never waits: ErrWouldWait (nothing sent) when Send
// would wait for the writer (64 KiB unsent on the stream, the writer
// copying from it, or a frame over 64 KiB). A Handler sends with it.
func (st *Stream) TrySend(frame []byte) error { return st.send(frame, false) }

func (st *Stream) send(frame []byte, wait bool) error {
	s := (*stream)(st)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.done {
		return io.EOF
	}
	if s.outEnd || s.halfClosed {
		return errors.New("h2: Send after CloseSend")
	}
	if len(frame) == 0 {
		return nil
	}
	copied := len(frame) <= sendCopyLimit
	for !s.done && (s.writing || (copied && len(s.out)+len(frame) > sendCopyLimit) || (!copied && len(s.out) > 0)) {
		if !wait {
			return ErrWouldWait
		}
		c.waitSendLocked(s)
	}
	if !copied && !wait {
		return ErrWouldWait
	}
	if s.done {
		c.waitWriterLocked(s)
		return io.EOF
	}
	pending := len(s.out)
	if copied {
		// out is empty or the unsent tail of sbuf, which the writer is not
		// copying from: move it to the front and append.
		copy(s.sbuf[:pending], s.out)
		s.sbuf = append(s.sbuf[:pending], frame...)
		s.out = s.sbuf
		if pending == 0 {
			c.queueDataLocked(s)
		}
		return nil
	}
	s.out = frame
	c.queueDataLocked(s)
	for (len(s.out) > 0 || s.writing) && !s.done {
		c.waitSendLocked(s)
	}
	if s.done {
		c.waitWriterLocked(s)
		return io.EOF
	}
	return nil
}

// waitSendLocked waits (mu held) for the writer or the end of the call,
// cancelling the call if its context ends.
func (c *Conn) waitSendLocked(s *stream) {
	s.sendWaiting = true
	c.mu.Unlock()
	select {
	case <-s.sendWake:
		c.mu.Lock()
	case <-s.ctx.Done():
		c.mu.Lock()
		c.cancelLocked(s, s.ctx.Err())
	}
}

// CloseSend ends the request side (END_STREAM); it does not wait.
func (st *Stream) CloseSend() error {
	s := (*stream)(st)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.done || s.outEnd || s.halfClosed {
		return nil
	}
	s.outEnd = true
	c.queueDataLocked(s)
	return nil
}

// Recv returns the next response message, without its 5-byte prefix. The
// bytes are valid until the next Recv or Close. At the end of the call it
// returns io.EOF when the status is OK, else a *StatusError.
func (st *Stream) Recv() ([]byte, error) {
	s := (*stream)(st)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	// The message returned last is no longer the caller's.
	if s.rd == len(s.rbuf) {
		s.rbuf, s.rd, s.scan = s.rbuf[:0], 0, 0
	} else if s.rd > cap(s.rbuf)/2 {
		n := copy(s.rbuf, s.rbuf[s.rd:])
		s.rbuf, s.scan, s.rd = s.rbuf[:n], s.scan-s.rd, 0
	}
	done := s.ctx.Done()
	for {
		if s.rd < s.scan {
			compressed, n, _ := s.msgAt(s.rd)
			msg := s.rbuf[s.rd+5 : s.rd+5+n]
			s.rd += 5 + n
			s.wire = n
			c.creditLocked(s)
			if compressed {
				return c.inflateRecvLocked(s, msg)
			}
			return msg, nil
		}
		if s.done {
			if s.code == codes.OK {
				return nil, io.EOF
			}
			return nil, s.outcome()
		}
		s.recvWaiting = true
		c.mu.Unlock()
		select {
		case <-s.recvWake:
			c.mu.Lock()
		case <-done:
			c.mu.Lock()
			c.cancelLocked(s, s.ctx.Err())
		}
		c.backLocked(s)
	}
}

// Status returns the call's status once Recv returned io.EOF or an error.
func (st *Stream) Status() (codes.Code, string) {
	s := (*stream)(st)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.code, s.msg
}

// Header returns the response headers (metadata), once received.
func (st *Stream) Header() []HeaderField {
	s := (*stream)(st)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.header
}

// Trailer returns the response trailers, once the call ended.
func (st *Stream) Trailer() []HeaderField {
	s := (*stream)(st)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.trailer
}

// Close cancels the call if it is still open (RST_STREAM CANCEL) and gives
// its buffers back for reuse.
func (st *Stream) Close() {
	s := (*stream)(st)
	c := s.c
	c.mu.Lock()
	s.async, s.handler = nil, nil // a Handler is not told of a Close
	if s.queued {
		c.completed = slices.DeleteFunc(c.completed, func(q *stream) bool { return q == s })
		s.queued = false
		c.backLocked(s) // the reader counted it in woken: no longer
	}
	if !s.done {
		c.cancelLocked(s, context.Canceled)
	}
	c.waitWriterLocked(s)
	s.released = true
	c.maybeFreeLocked(s)
	c.mu.Unlock()
}

func timeUntil(t time.Time) time.Duration { return time.Until(t) }

// unsafeString views b as a string without copying; only for values the
// hpack encoder copies at once.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
