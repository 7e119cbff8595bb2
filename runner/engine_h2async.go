package runner

import (
	"context"
	"errors"

	"github.com/grpcpulse/grpcpulse/runner/data"
	"github.com/grpcpulse/grpcpulse/runner/h2"
)

// The h2 engine completes unary calls on the connection (h2.Conn.Start),
// which closedLoopAsync builds on: these are its caller's side.

var _ asyncCaller = (*h2Caller)(nil)

func (c *h2Caller) startUnary(ctx context.Context, m callMethod, req *data.Frame, done completion) error {
	live := c.p.cur.Load()
	if live == nil {
		return errNoLive
	}
	hm, extra, err := c.prepare(m)
	if err != nil {
		return err
	}
	// Set before Start: the call may end, and the next start, at once.
	c.live, c.remote = live, live.remote
	return live.c.Start(ctx, hm, req.Wire(), extra, done)
}

func (c *h2Caller) unprocessed(err error) bool {
	if !errors.Is(err, h2.ErrNotProcessed) {
		return false
	}
	c.p.lost(c.live)
	return true
}

func (c *h2Caller) openStream(ctx context.Context, m callMethod, req *data.Frame, h streamHandler) (asyncStream, error) {
	live := c.p.cur.Load()
	if live == nil {
		return nil, errNoLive
	}
	hm, extra, err := c.prepare(m)
	if err != nil {
		return nil, err
	}
	c.live, c.remote = live, live.remote
	var st *h2.Stream
	if req == nil {
		st, err = live.c.Open(ctx, hm, extra, h)
	} else {
		st, err = live.c.OpenRequest(ctx, hm, req.Wire(), extra, h)
	}
	if err != nil {
		return nil, err
	}
	return h2Open{st}, nil
}

// h2Open is a stream of h2.Conn.Open.
type h2Open struct{ st *h2.Stream }

func (s h2Open) send(f *data.Frame) error {
	err := s.st.TrySend(f.Wire())
	if err == h2.ErrWouldWait {
		return errWouldWait
	}
	return err
}
func (s h2Open) sendWait(f *data.Frame) error { return s.st.Send(f.Wire()) }
func (s h2Open) closeSend()                   { s.st.CloseSend() }
func (s h2Open) close()                       { s.st.Close() }
