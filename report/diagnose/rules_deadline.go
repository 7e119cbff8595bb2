package diagnose

import (
	"fmt"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// roundTrip is the shortest round trip to the server the handshakes
// measured (the TCP connect, or the HTTP/2 preface and SETTINGS, each at
// least one), and which; 0 when none was measured.
func (d *diagnosis) roundTrip() (time.Duration, string) {
	h := d.s.Connectivity.Handshake
	if h == nil {
		return 0, ""
	}
	var rt time.Duration
	var what string
	for _, p := range []struct {
		h    *report.Histogram
		what string
	}{{h.Connect, "the TCP connect"}, {h.HTTP2, "the HTTP/2 handshake"}} {
		if p.h != nil && p.h.Count > 0 && p.h.Min > 0 && (rt == 0 || p.h.Min < rt) {
			rt, what = p.h.Min, p.what
		}
	}
	return rt, what
}

// deadlineBelowRoundTrip reports a call deadline shorter than one round
// trip to the server (as the handshakes measured it, an upper bound), with
// no call that met it: nothing could come back in time, so calls that
// missed it with nothing back say nothing of a blackhole.
func (d *diagnosis) deadlineBelowRoundTrip() bool {
	t := d.s.Options.Call.Timeout
	rt, _ := d.roundTrip()
	return t > 0 && rt > 0 && t < rt && d.s.OK == 0
}

// deadlineTooShort: calls missed a deadline shorter than one round trip to
// the server, which no call can meet (the blackhole rules stand aside).
func deadlineTooShort(d *diagnosis) []report.Finding {
	calls := d.failed(event.CauseDeadlineWhileReady)
	if calls == 0 || !d.deadlineBelowRoundTrip() {
		return nil
	}
	t := d.s.Options.Call.Timeout
	rt, what := d.roundTrip()
	return []report.Finding{{ID: "deadline_below_round_trip", Severity: report.SeverityError,
		Title: fmt.Sprintf("The calls' deadline (%s) is shorter than one round trip to the server (%s took %s): "+
			"no answer can arrive in time", report.FormatDuration(t), what, report.FormatDuration(rt)),
		Evidence: []report.Evidence{
			{Name: "calls that missed their deadline with nothing back from the server", Value: fmt.Sprint(calls)},
			{Name: "call deadline", Value: report.FormatDuration(t)},
			{Name: "shortest round trip", Value: report.FormatDuration(rt) + " (" + what + ")"},
		},
		Cause: "A call's answer needs at least one round trip to the server, and the deadline (--timeout, sent as " +
			"grpc-timeout) is shorter than the fastest one measured on these connections: the calls end " +
			"DEADLINE_EXCEEDED before any response can come. The server and the path may be fine.",
		Fix: "Raise --timeout above the server's normal latency (its p99 at a load it handles) plus the round trip; " +
			"to find the latency, run once without --timeout."}}
}
