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

// errNoLive: the pool connection has no live connection now (it redials):
// the call waits for one, with unaryFrom.
var errNoLive = errors.New("no live connection")

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
