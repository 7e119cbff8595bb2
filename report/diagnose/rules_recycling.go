package diagnose

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The rules about connections the server ends on purpose: by age
// (MaxConnectionAge), by idleness (MaxConnectionIdle), or because it stops
// (GracefulStop).

// serverRestart: the server stopped gracefully, and the client reconnected.
// A warning when calls failed or connections were refused; otherwise (the
// client reconnected at once, or round_robin sent the calls elsewhere)
// information.
func serverRestart(d *diagnosis) []report.Finding {
	n := d.c.GoAways[event.CauseDrainGracefulStop.GoAway()]
	if n == 0 {
		return nil
	}
	refused := d.c.ConnectFailures[event.CauseRefused] + d.failed(event.CauseRefused)
	ev := []report.Evidence{{Name: "GOAWAYs graceful_stop", Value: fmt.Sprint(n)}}
	ev = addCount(ev, "refused connection attempts", d.c.ConnectFailures[event.CauseRefused])
	ev = addCount(ev, "calls failed: refused", d.failed(event.CauseRefused))
	ev = addCount(ev, "calls failed: draining", d.failed(event.CauseDrainGracefulStop))
	if d.c.Unavailable > 0 {
		ev = append(ev, report.Evidence{Name: "time unavailable", Value: report.FormatDuration(d.c.Unavailable)})
	}
	ev = append(ev, d.reconnectEvidence()...)
	ev = append(ev, d.backoffEvidence()...)
	ev = append(ev, d.dialEvidence()...)
	title := fmt.Sprintf("The server shut down gracefully (GOAWAY graceful_stop ×%d)", n)
	if h := d.c.ReconnectLatency; h != nil && h.Count > 0 {
		title += fmt.Sprintf("; connections were back after %s (longest %s)", report.FormatDuration(h.P50), report.FormatDuration(h.Max))
	}
	cause := "The server called GracefulStop: a deploy, a restart or a scale-in. Calls in flight could finish."
	if refused > 0 {
		cause += " New connections were refused until a server listened again."
	}
	if d.c.Backoff.Count > 0 {
		cause += " While no connection could be made, the channel stayed in TRANSIENT_FAILURE and grpc-go retried " +
			"with its connect backoff, so reconnecting takes the outage plus up to one backoff wait."
	}
	f := report.Finding{ID: "server_restart", Severity: report.SeverityWarn, Title: title, Evidence: ev, Cause: cause,
		Fix: "For rolling deploys, take the instance out of rotation before stopping it (fail readiness, then a preStop " +
			"sleep longer than endpoint propagation) and keep it serving until drained. On the client, let calls ride " +
			"over the gap: a retry policy on UNAVAILABLE for idempotent methods, or --wait-for-ready. If reconnecting " +
			"quickly matters, lower --backoff-max (or call ResetConnectBackoff when you know the server is back)."}
	if refused == 0 && d.s.Errors == 0 {
		f.Severity = report.SeverityInfo
		f.Title += "; no call failed"
		f.Cause += " No call failed and no connection attempt was refused: the client reconnected at once, or its " +
			"calls went to other backends (round_robin) meanwhile."
		f.Fix = "Nothing to do: the restart cost no call. For rolling deploys, keep taking instances out of rotation " +
			"before stopping them (fail readiness, then a preStop sleep longer than endpoint propagation)."
	}
	return []report.Finding{f}
}

// backoffEvidence is the time pool connections spent in TRANSIENT_FAILURE
// and the connect backoff configured, side by side but not compared: grpc-go's
// pick_first stays in TRANSIENT_FAILURE for a whole outage (sticky TF), so
// one stay is an outage, not one backoff wait.
func (d *diagnosis) backoffEvidence() []report.Evidence {
	if d.c.Backoff.Count == 0 {
		return nil
	}
	b := d.s.Options.Target.Backoff
	def := plan.DefaultBackoff
	if b == (plan.ConnectBackoff{}) {
		b.Jitter = def.Jitter // not configured (a Target built in code): grpc-go's defaults throughout
	}
	base, mult := cmp.Or(b.Base, def.Base), cmp.Or(b.Multiplier, def.Multiplier)
	maxDelay, jitter := cmp.Or(b.Max, max(def.Max, base)), b.Jitter
	return []report.Evidence{
		{Name: "time in TRANSIENT_FAILURE", Value: spreadText(d.c.Backoff)},
		{Name: "outages (connection failures seen)", Value: fmt.Sprint(d.c.Backoff.Count)},
		{Name: "backoff configured", Value: fmt.Sprintf("%s first, ×%g each, at most %s, ±%g%%",
			report.FormatDuration(base), mult, report.FormatDuration(maxDelay), jitter*100)},
	}
}

// streamsCutByAge: streams outlived the server's MaxConnectionAge + grace.
func streamsCutByAge(d *diagnosis) []report.Finding {
	failed := d.maxAgeFailures()
	if !d.s.Kind.Streaming() || failed == 0 {
		return nil
	}
	ev := []report.Evidence{{Name: "streams cut", Value: fmt.Sprintf("%d of %d (%s)", failed, d.s.Count, report.Percent(failed, d.s.Count))}}
	_, age, _ := d.firstGoAway(event.CauseDrainMaxAge.GoAway())
	if age.Count > 0 {
		ev = append(ev, report.Evidence{Name: "connection age at GOAWAY", Value: spreadText(age)})
	}
	if h := d.s.Series[report.SeriesStreamDuration]; h != nil && h.Count > 0 {
		ev = append(ev, report.Evidence{Name: "longest stream", Value: report.FormatDuration(h.Max)})
	}
	f := report.Finding{ID: "streams_cut_by_age", Severity: report.SeverityWarn, Evidence: ev,
		Title: fmt.Sprintf("%d of %d streams were cut when the server retired their connection (MaxConnectionAge + grace)", failed, d.s.Count),
		Cause: fmt.Sprintf("A grpc-go server closes a connection MaxConnectionAge (about %s here, ±10%%) plus "+
			"MaxConnectionAgeGrace after it opened, and up to a second later, whatever still runs on it. Streams open "+
			"then end with UNAVAILABLE \"received prior goaway: code: NO_ERROR, debug data: \\\"max_age\\\"\": no stream "+
			"outlives age + grace.", report.Approx(typical(age))),
		Fix: "Raise the server's MaxConnectionAgeGrace above the longest stream you expect, or have the server end " +
			"streams cleanly before it. Clients of long-lived streams must reopen them on UNAVAILABLE: a retry policy " +
			"does not resume a stream that has already received messages."}
	if failed*10 >= d.s.Count {
		f.Severity = report.SeverityError
	}
	return []report.Finding{f}
}

// maxAgeFailures counts calls that failed at a max_age drain: those citing
// it, and those citing a drain without reason when max_age is the only
// drain reason seen.
func (d *diagnosis) maxAgeFailures() int64 {
	n := d.failed(event.CauseDrainMaxAge)
	drains := 0
	for reason := range d.c.GoAways {
		if strings.HasPrefix(reason, "NO_ERROR") {
			drains++
		}
	}
	if drains == 1 && d.c.GoAways[event.CauseDrainMaxAge.GoAway()] > 0 {
		n += d.failed(event.CauseDrain)
	}
	return n
}

// maxAgeRecycling: the server recycles connections (MaxConnectionAge).
func maxAgeRecycling(d *diagnosis) []report.Finding {
	n := d.c.GoAways[event.CauseDrainMaxAge.GoAway()]
	if n == 0 {
		return nil
	}
	_, age, _ := d.firstGoAway(event.CauseDrainMaxAge.GoAway())
	x := typical(age)
	failed := d.maxAgeFailures()
	ev := []report.Evidence{{Name: "GOAWAYs max_age", Value: fmt.Sprint(n)}}
	if age.Count > 0 {
		ev = append(ev, report.Evidence{Name: "connection age at GOAWAY", Value: spreadText(age)})
	}
	ev = addCount(ev, "reconnects", d.c.Reconnects)
	ev = append(ev, d.reconnectEvidence()...)
	if r := d.c.Retries; r != nil {
		ev = append(ev, report.Evidence{Name: "transparent retries", Value: fmt.Sprint(r.Transparent)})
	}
	ev = append(ev, report.Evidence{Name: "calls failed by it", Value: fmt.Sprint(failed)})
	every := "regularly"
	if x > 0 {
		every = "every ~" + report.Approx(x)
	}
	f := report.Finding{ID: "max_age_recycling", Severity: report.SeverityInfo, Evidence: ev,
		Title: fmt.Sprintf("The server recycles connections %s (MaxConnectionAge); no call failed", every),
		Cause: fmt.Sprintf("The server's keepalive.ServerParameters.MaxConnectionAge is about %s (grpc-go adds ±10%% "+
			"jitter, so ages from %s to %s are one setting): at that age it sends GOAWAY NO_ERROR \"max_age\", lets calls "+
			"in flight finish within MaxConnectionAgeGrace, and the client reconnects. This is normal: it is what lets "+
			"clients rebalance onto new backends.", report.Approx(x), report.Approx(x*9/10), report.Approx(x*11/10)),
		Fix: "Nothing to do. If reconnecting costs too much latency, raise the server's MaxConnectionAge."}
	switch {
	case failed > 0 && d.s.Kind.Streaming():
		f.Title = fmt.Sprintf("The server recycles connections %s (MaxConnectionAge)", every)
		f.Fix = "See the finding on streams cut by age."
	case failed > 0:
		f.Severity = report.SeverityWarn
		f.Title = fmt.Sprintf("The server recycles connections %s (MaxConnectionAge); %s failed at the hand-over", every, callsText(failed))
		f.Cause += fmt.Sprintf(" Still, %s failed: they were in flight when the grace period ran out, or raced the "+
			"GOAWAY where grpc-go could not retry them transparently.", callsText(failed))
		f.Fix = "Give MaxConnectionAgeGrace more time than the longest call, and retry idempotent methods on UNAVAILABLE " +
			"(--retry-max-attempts 3 --retry-codes UNAVAILABLE, or a retryPolicy in the service config)."
	}
	return []report.Finding{f}
}

// idleClosed: the server closes idle connections (MaxConnectionIdle).
func idleClosed(d *diagnosis) []report.Finding {
	n := d.c.GoAways[event.CauseDrainMaxIdle.GoAway()]
	if n == 0 {
		return nil
	}
	idle := d.c.GoAwayTiming[event.CauseDrainMaxIdle.GoAway()].Idle
	x := typical(idle)
	ev := []report.Evidence{{Name: "GOAWAYs max_idle", Value: fmt.Sprint(n)}}
	if idle.Count > 0 {
		ev = append(ev, report.Evidence{Name: "idle before GOAWAY", Value: spreadText(idle)})
	}
	ev = append(ev, d.reconnectEvidence()...)
	ev = addCount(ev, "calls failed by it", d.failed(event.CauseDrainMaxIdle))
	return []report.Finding{{ID: "idle_closed", Severity: report.SeverityInfo, Evidence: ev,
		Title: fmt.Sprintf("The server closes idle connections after ~%s (MaxConnectionIdle)", report.Approx(x)),
		Cause: fmt.Sprintf("The server's keepalive.ServerParameters.MaxConnectionIdle is about %s: a connection with no "+
			"call for that long gets GOAWAY NO_ERROR \"max_idle\" and is closed, and the next call waits for a new "+
			"connection. Keepalive pings do not count as activity. This is benign.", report.Approx(x)),
		Fix: fmt.Sprintf("Nothing to do, unless the reconnect on the first call after a pause matters: then raise the "+
			"server's MaxConnectionIdle, or keep a call on each connection more often than every %s.", report.Approx(x))}}
}
