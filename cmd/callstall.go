package cmd

import (
	"context"
	"errors"
	"time"
)

// errCallStalled is the cause of a call's context cancelled by its stall
// watchdog.
var errCallStalled = errors.New("call stalled")

// callStall is the stall watchdog of `call`: a timer that cancels the call's
// context when it runs out, pushed back each time a message arrives.
type callStall struct {
	limit time.Duration
	timer *time.Timer
}

// watchCallStall returns ctx with the watchdog attached; limit 0 attaches
// none.
func watchCallStall(ctx context.Context, limit time.Duration) (context.Context, *callStall) {
	w := &callStall{limit: limit}
	if limit <= 0 {
		return ctx, w
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w.timer = time.AfterFunc(limit, func() { cancel(errCallStalled) })
	return ctx, w
}

// progressed pushes the watchdog back by its whole limit.
func (w *callStall) progressed() {
	if w.timer != nil {
		w.timer.Reset(w.limit)
	}
}

// stop ends the watchdog.
func (w *callStall) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// fired reports whether the watchdog cancelled ctx.
func (w *callStall) fired(ctx context.Context) bool {
	return w.timer != nil && errors.Is(context.Cause(ctx), errCallStalled)
}
