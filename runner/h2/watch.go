package h2

import "context"

// ctxWatch cancels the unary calls of one context when it ends. A waiting
// unary call then parks on its own wake channel alone, instead of
// selecting on the context's Done channel as well: every worker of a run
// shares that channel, and a select takes its lock at each wait and wake.
type ctxWatch struct {
	stop func() bool
	refs int // calls of the context waiting now
}

// maxWatches bounds the contexts watched at once: past it, the watches no
// call uses are dropped (per-call deadlines make a context per call).
const maxWatches = 64

// watchLocked makes the end of ctx cancel s (mu held). A context that is
// never done needs no watch.
func (c *Conn) watchLocked(s *stream, ctx context.Context) {
	done := ctx.Done()
	if done == nil {
		return
	}
	s.watched = ctx
	w := c.watches[done]
	if w == nil {
		if len(c.watches) >= maxWatches {
			c.pruneWatchesLocked()
		}
		if c.watches == nil {
			c.watches = make(map[<-chan struct{}]*ctxWatch)
		}
		w = &ctxWatch{}
		w.stop = context.AfterFunc(ctx, func() { c.cancelWatched(ctx) })
		c.watches[done] = w
	}
	w.refs++
}

// unwatchLocked ends s's watch (mu held). The watch of a context with a
// deadline (a per-call timeout's, which the caller cancels next) is
// dropped once no call uses it; a long-lived one is kept for the calls to
// come.
func (c *Conn) unwatchLocked(s *stream) {
	if s.watched == nil {
		return
	}
	done := s.watched.Done()
	if w := c.watches[done]; w != nil {
		if w.refs--; w.refs <= 0 {
			if _, ok := s.watched.Deadline(); ok {
				w.stop()
				delete(c.watches, done)
			}
		}
	}
	s.watched = nil
}

func (c *Conn) pruneWatchesLocked() {
	for done, w := range c.watches {
		if w.refs <= 0 {
			w.stop()
			delete(c.watches, done)
		}
	}
}

// cancelWatched cancels the calls watching ctx, which ended.
func (c *Conn) cancelWatched(ctx context.Context) {
	done := ctx.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.watches, done)
	// The queued calls first: ending a started call gives its slot to a
	// queued one, which would move into streams while they are ranged over.
	for i := 0; i < len(c.waiters); {
		if s := c.waiters[i]; s.watched != nil && s.watched.Done() == done {
			c.cancelLocked(s, ctx.Err()) // takes it out of waiters
			continue
		}
		i++
	}
	for _, s := range c.streams {
		if s.watched != nil && s.watched.Done() == done {
			c.cancelLocked(s, ctx.Err())
		}
	}
}

// stopWatchesLocked drops every watch of a closed connection.
func (c *Conn) stopWatchesLocked() {
	for done, w := range c.watches {
		w.stop()
		delete(c.watches, done)
	}
}
