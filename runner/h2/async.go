package h2

import (
	"context"
	"errors"
)

// Completion is told the outcome of a call Start made.
type Completion interface {
	// Done is called once per call, when it ended, with nil (OK) or a
	// *StatusError. It runs on one of the connection's goroutines (the
	// reader's, for the calls a response ended; the writer's for the
	// others: a context's end, a Close), never with the connection's lock
	// held, and may start another call. It must not block (the
	// connection's frames wait for it) nor Close the connection.
	Done(err error)
}

// Start makes a unary call like Invoke, but returns once the call is
// queued: done.Done gets its outcome. With Start a closed loop costs no
// goroutine wake per call: the reader that ends a call runs done, which
// starts the next. An error means the call did not start (done is not
// called): a connection that failed or drains (ErrNotProcessed), a header
// list the server refuses, a context already over. req is only read, and
// possibly after done ran (the writer may still be copying it): it must
// not change while calls that use it may be in flight. A Conn with
// Config.Compression does not Start calls (Invoke decompresses).
func (c *Conn) Start(ctx context.Context, m *Method, req []byte, extra []HeaderField, done Completion) error {
	if c.cfg.Compression != "" {
		return errStartCompressed
	}
	if err := ctx.Err(); err != nil {
		return ctxError(err)
	}
	_, err := c.openUnary(ctx, m, req, extra, done)
	c.mu.Unlock()
	return err
}

var errStartCompressed = errors.New("h2: Start does not decompress responses: use Invoke with Config.Compression")

// finished is the outcome of a call Start made, for its Completion.
type finished struct {
	done    Completion
	err     error
	counted bool    // counted in Conn.woken
	s       *stream // a stream of Open whose messages to hand over (deliver)
}

// completeLocked queues s, a call of Start that ended or a stream of Open
// with messages or its end to tell. The reader runs those it queued once
// it is done with the frames already read (counted in woken, as the
// callers it wakes: their next requests share a write); the writer runs
// the others. A stream already queued, or whose messages the reader hands
// over now, needs nothing more: its end is told after them.
func (c *Conn) completeLocked(s *stream) {
	if s.queued || s.delivering {
		return
	}
	s.queued = true
	if c.r.deferWakes {
		s.woken = true
		c.woken++
		c.r.completions++
	} else {
		c.toWriter++
		c.signalLocked()
	}
	c.completed = append(c.completed, s)
}

// complete runs the Completions of the calls that ended, without the
// lock; buf is the caller's scratch, returned for its next use. Once they
// ran (and queued their next calls), the reader writes those itself
// (writeInlineLocked); the writer is signalled if it waits for them.
func (c *Conn) complete(buf []finished, reader bool) []finished {
	c.mu.Lock()
	if len(c.completed) == 0 {
		c.mu.Unlock()
		return buf
	}
	buf = buf[:0]
	// The reader runs the calls it ended (counted in woken), the writer
	// the others: those a failure ended are then told before Close
	// returns, as the writer runs them before it closes Done.
	kept := c.completed[:0]
	for _, s := range c.completed {
		if s.woken != reader {
			kept = append(kept, s)
			continue
		}
		s.queued = false
		if s.handler != nil && reader {
			// Its messages first, then its end (deliver).
			s.delivering = true
			buf = append(buf, finished{s: s, counted: true})
			s.woken = false
			continue
		}
		buf = append(buf, finished{done: s.async, err: s.outcome(), counted: s.woken})
		s.woken, s.async = false, nil
		c.unwatchLocked(s)
		if s.handler == nil {
			c.releaseLocked(s) // a stream of Open is released by its Close
		}
	}
	clear(c.completed[len(kept):])
	c.completed = kept
	c.mu.Unlock()
	counted := 0
	for i := range buf {
		if s := buf[i].s; s != nil {
			c.deliver(s)
		} else {
			buf[i].done.Done(buf[i].err)
		}
		if buf[i].counted {
			counted++
		}
		buf[i] = finished{}
	}
	if counted > 0 {
		c.mu.Lock()
		c.woken -= counted
		var err error
		if c.woken == 0 && (len(c.queue) > 0 || c.held) {
			if reader {
				err = c.writeInlineLocked()
			} else {
				c.signalLocked()
			}
		}
		c.mu.Unlock()
		if err != nil {
			c.fail(writeErr(err), 0, false)
		}
	}
	return buf
}

// Handler is told what arrives on a stream Open started.
type Handler interface {
	// Done is told the stream's end, after its last message, as a
	// Completion: the handler then Closes the stream.
	Completion
	// Message is given each response message, without its 5-byte prefix;
	// its bytes are valid until Message returns. It runs on the reader,
	// never with the connection's lock held, and may TrySend and
	// CloseSend; it must not block (Send may: it waits for the writer,
	// and the writer for window the reader brings).
	Message(msg []byte)
}

// ErrNoSlot is Open's error when every stream the server allows is in
// use: Open does not wait for a slot (NewStream does).
var ErrNoSlot = errors.New("h2: no stream slot free")

// Open starts a streaming call like NewStream, but its messages and end
// are handed to h by the connection's goroutines (no Recv), and it never
// waits: ErrNoSlot when the server's MAX_CONCURRENT_STREAMS are all in
// use. ctx bounds the call (its deadline goes as grpc-timeout). Close the
// Stream once h was told Done.
func (c *Conn) Open(ctx context.Context, m *Method, extra []HeaderField, h Handler) (*Stream, error) {
	return c.open(ctx, m, nil, extra, h)
}

// OpenRequest is Open for a server-streaming call: req, one gRPC
// length-prefixed message (5-byte prefix included), goes with the HEADERS
// and ends the request side, as Start's request does, so the call needs
// no Send or CloseSend. req is only read, until the Stream's Close.
func (c *Conn) OpenRequest(ctx context.Context, m *Method, req []byte, extra []HeaderField, h Handler) (*Stream, error) {
	return c.open(ctx, m, req, extra, h)
}

func (c *Conn) open(ctx context.Context, m *Method, req []byte, extra []HeaderField, h Handler) (*Stream, error) {
	if c.cfg.Compression != "" {
		return nil, errStartCompressed
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(err)
	}
	s := c.getStream()
	s.ctx, s.async, s.handler = ctx, h, h
	size, err := s.encodeHeaders(ctx, m, extra)
	c.mu.Lock()
	if err == nil {
		if uint32(c.active) >= c.maxStreams || len(c.waiters) > 0 {
			err = ErrNoSlot
		} else {
			err = c.openLocked(s, size, req, req != nil)
		}
	}
	if err != nil {
		s.async, s.handler = nil, nil
		c.releaseLocked(s)
		c.mu.Unlock()
		return nil, err
	}
	c.watchLocked(s, ctx)
	c.mu.Unlock()
	return (*Stream)(s), nil
}

// deliver hands s's complete messages to its handler, then its end if it
// ended and was not told; on the reader, without the lock (the reader is
// the only one that appends to rbuf).
func (c *Conn) deliver(s *stream) {
	c.mu.Lock()
	if s.rd == len(s.rbuf) {
		s.rbuf, s.rd, s.scan = s.rbuf[:0], 0, 0
	} else if s.rd > cap(s.rbuf)/2 {
		n := copy(s.rbuf, s.rbuf[s.rd:])
		s.rbuf, s.scan, s.rd = s.rbuf[:n], s.scan-s.rd, 0
	}
	for s.rd < s.scan && s.handler != nil {
		_, n, _ := s.msgAt(s.rd)
		msg := s.rbuf[s.rd+5 : s.rd+5+n]
		s.rd += 5 + n
		s.wire = n
		c.creditLocked(s)
		h := s.handler
		c.mu.Unlock()
		h.Message(msg)
		c.mu.Lock()
	}
	s.delivering = false
	var done Completion
	var err error
	if s.done && s.async != nil {
		done, err = s.async, s.outcome()
		s.async = nil
		c.unwatchLocked(s)
	}
	c.maybeFreeLocked(s) // closed meanwhile by another goroutine
	c.mu.Unlock()
	if done != nil {
		done.Done(err)
	}
}
