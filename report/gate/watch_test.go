package gate

import (
	"context"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// TestWatchWaitsForMeasurement: no check is made before measurement
// begins, however long that takes (dialling a slow target), so the run's
// first second is judged a second into measurement, not into dialling.
func TestWatchWaitsForMeasurement(t *testing.T) {
	as, err := ParseAssertions([]string{"p(99)<1ms"})
	if err != nil {
		t.Fatal(err)
	}
	begun := make(chan struct{})
	snapshots := make(chan struct{}, 100)
	failing := gateSummaryOf(event.Unary, []gateCall{{latency: 50 * time.Millisecond}}, 3*time.Second)
	aborted := make(chan struct{})
	w := Watch(context.Background(), begun, func() *report.Summary {
		snapshots <- struct{}{}
		return failing
	}, as, 0, func() { close(aborted) })
	select {
	case <-snapshots:
		t.Fatal("the watcher read the run before measurement began")
	default:
	}
	close(begun)
	select {
	case <-aborted:
	case <-time.After(10 * time.Second):
		t.Fatal("the failing assertion did not abort the run")
	}
	w.Stop()
	if w.Expr() != "p(99)<1ms" || w.At() != 3*time.Second {
		t.Errorf("stopped by %q at %v, want p(99)<1ms at 3s", w.Expr(), w.At())
	}
}

// TestWatchStopBeforeMeasurement: Stop ends a watcher still waiting for
// measurement, which then reads nothing and aborts nothing.
func TestWatchStopBeforeMeasurement(t *testing.T) {
	as, err := ParseAssertions([]string{"status=UNAVAILABLE count==0"})
	if err != nil {
		t.Fatal(err)
	}
	w := Watch(context.Background(), make(chan struct{}), func() *report.Summary {
		t.Error("snapshot taken")
		return gateSummaryOf(event.Unary, []gateCall{{code: event.CodeUnavailable}}, time.Second)
	}, as, 0, func() { t.Error("aborted") })
	w.Stop()
	if w.Expr() != "" {
		t.Errorf("Expr = %q", w.Expr())
	}
}
