package run

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/grpcpulse/grpcpulse/cmd/cli"
)

// startAtGrace is how far in the past --start-at may be and still start the
// load (at once): a pod scheduled a moment late joins its peers rather than
// failing. Further back is an error: the other pods are long under way.
const startAtGrace = 5 * time.Second

// timeValue is a pflag.Value of an RFC 3339 time; the zero time is unset.
type timeValue struct{ t *time.Time }

func (v timeValue) String() string {
	if v.t == nil || v.t.IsZero() {
		return ""
	}
	return v.t.Format(time.RFC3339Nano)
}

func (v timeValue) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2026-05-01T12:00:00Z")
	}
	if t.IsZero() { // would read as unset: the load would start now
		return fmt.Errorf("%s is the zero time, long past: give a time in the future", s)
	}
	*v.t = t
	return nil
}

func (timeValue) Type() string { return "time" }

// checkStartAt refuses a --start-at more than startAtGrace before now.
func checkStartAt(at, now time.Time) error {
	if at.IsZero() {
		return nil
	}
	if late := now.Sub(at); late > startAtGrace {
		return cli.UsageErrorf("--start-at %s was %s ago: give a time in the future (or at most %s past)",
			at.Format(time.RFC3339), late.Round(time.Second), startAtGrace)
	}
	return nil
}

// waitUntil is the runner's Connected hook of --start-at: once the pool is
// connected it waits until at, so that the load starts at the given
// wall-clock moment. Cancelling ctx during the wait returns ctx's error
// (the runner then closes the pool), so Ctrl-C stops cleanly before any
// call.
func waitUntil(at time.Time, now func() time.Time, errOut io.Writer) func(context.Context) error {
	return func(ctx context.Context) error {
		wait := at.Sub(now())
		if wait <= 0 {
			fmt.Fprintf(errOut, "--start-at %s passed %s ago: starting now\n", at.Format(time.RFC3339), (-wait).Round(time.Millisecond))
			return nil
		}
		fmt.Fprintf(errOut, "connected; the load starts at %s (in %s)\n", at.Format(time.RFC3339), wait.Round(time.Millisecond))
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
