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
	counted bool // counted in Conn.woken
}

// completeLocked queues the Completion of s, a call Start made that
// ended. The reader runs those it ended once it is done with the frames
// already read (counted in woken, as the callers it wakes: their next
// requests share a write); the writer runs the others.
func (c *Conn) completeLocked(s *stream) {
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
		buf = append(buf, finished{done: s.async, err: s.outcome(), counted: s.woken})
		s.woken, s.async = false, nil
		c.unwatchLocked(s)
		c.releaseLocked(s)
	}
	clear(c.completed[len(kept):])
	c.completed = kept
	c.mu.Unlock()
	counted := 0
	for i := range buf {
		buf[i].done.Done(buf[i].err)
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
