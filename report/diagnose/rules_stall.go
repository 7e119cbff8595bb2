package diagnose

import (
	"fmt"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// The rules about stalls: calls that stopped ending, whether the run
// outlasted them or not.

// The stall rules are registered here rather than in rules.go's list, after
// the connection rules (findings are sorted by severity anyway).
func init() { rules = append(rules, runStalled, stallPastEnd, closedLoopStall) }

// runStalled: the stall watchdog (--stall-timeout) ended the run.
func runStalled(d *diagnosis) []report.Finding {
	if d.s.Stalled <= 0 || pingPongStarved(d.s) {
		return nil
	}
	ev := []report.Evidence{{Name: "nothing moved for", Value: report.FormatDuration(d.s.Stalled)}}
	ev = addCount(ev, "calls in flight cut", d.s.Aborted)
	if t := d.s.Options.Load.StallTimeout; t > 0 {
		ev = append(ev, report.Evidence{Name: "--stall-timeout", Value: report.FormatDuration(t)})
	}
	return []report.Finding{{ID: "run_stalled", Severity: report.SeverityError,
		Title:    "The run stalled: nothing moved for " + report.FormatDuration(d.s.Stalled) + ", and the stall watchdog ended it",
		Evidence: ev,
		Cause: "Calls were in flight, yet no call ended, none started and no stream message moved for --stall-timeout: " +
			"the server (or something between) stopped answering without failing the calls or the connection. " +
			"The figures cover the run until then.",
		Fix: "Find what froze the server: a deadlock, a full thread pool, a GC pause, a dependency it waits for. " +
			"Give calls a deadline (--timeout) so that a silent server fails them, and client keepalive so that a " +
			"dead peer is detected."}}
}

// stallPastEnd: calls were cut at the end of the run (in flight past the
// drain limit, or due and never started), so the stall lasted past the end;
// Latency holds them at a lower bound.
func stallPastEnd(d *diagnosis) []report.Finding {
	s := d.s
	if s.Cut <= 0 || cutByInterrupt(s) || pingPongStarved(s) { // the streams waited for answers the method never sends
		return nil
	}
	if s.CutDelivering > 0 && s.CutDelivering >= s.Aborted && s.Unstarted == 0 {
		return []report.Finding{streamsOutlasted(s)}
	}
	ev := []report.Evidence{{Name: "calls cut", Value: fmt.Sprintf("%d (%d in flight, %d never started)", s.Cut, s.Aborted, s.Unstarted)},
		{Name: "longest wait at the end", Value: report.FormatDuration(s.CutFor)}}
	ev = addCount(ev, "streams still delivering when cut (not stalled)", s.CutDelivering)
	if s.Latency != nil && s.Latency.Count > 0 {
		ev = append(ev, report.Evidence{Name: "latency p99 (lower bound)", Value: report.FormatDuration(s.Latency.P99)})
	}
	if s.Aborted == 0 && s.CutFor < time.Second {
		if heldByServer(s) {
			return []report.Finding{slowAtEnd(s, ev)}
		}
		return []report.Finding{behindAtEnd(s, ev)}
	}
	return []report.Finding{{ID: "stall_past_end", Severity: report.SeverityError,
		Title: fmt.Sprintf("%s cut by a stall that lasted past the end of the run, at least %s",
			callsText(s.Cut), report.FormatDuration(s.CutFor)),
		Evidence: ev,
		Cause: "When the run ended, calls were still waiting for the server, and calls that were due could not " +
			"start because every worker was held. Their latency is at least the end of the run minus when they " +
			"were due: the latency figures count them at that lower bound (the true values are larger).",
		Fix: "Find what froze the server. To measure the whole stall, run longer than it lasts, or raise the " +
			"drain limit; give calls a deadline (--timeout) so that a stuck server fails them."}}
}

// streamsOutlasted is stallPastEnd's finding when every call cut was a
// stream still receiving messages: the streams are longer than the run, and
// nothing stalled.
func streamsOutlasted(s *report.Summary) report.Finding {
	ev := []report.Evidence{{Name: "streams cut", Value: fmt.Sprint(s.CutDelivering)},
		{Name: "messages received", Value: fmt.Sprint(s.Messages.Received)},
		{Name: "longest open at the end", Value: report.FormatDuration(s.CutFor)}}
	return report.Finding{ID: "streams_outlasted_run", Severity: report.SeverityInfo,
		Title: fmt.Sprintf("%s still delivering messages when the run ended were cut",
			report.Plural(int(s.CutDelivering), "stream")),
		Evidence: ev,
		Cause: "The streams were longer than the run: they were still receiving messages when it ended, so they " +
			"were cut (nothing stalled). Their messages are counted; their latency is counted at a lower bound, " +
			"the end of the run minus when each was due.",
		Fix: "To measure whole streams, run longer than a stream lasts, or ask for fewer messages per stream; " +
			"to measure message rates only, this is expected."}
}

// cutByInterrupt reports that the calls s cut were cut by the user's own
// stop (Ctrl-C), not by a stall: none had waited as long as --stall-timeout
// (the run's own definition of a stall), or the watchdog was off.
func cutByInterrupt(s *report.Summary) bool {
	t := s.Options.Load.StallTimeout
	return s.Interrupted && s.Stalled == 0 && (t <= 0 || s.CutFor < t)
}

// heldByServer reports whether, when -z came, every worker was in a call
// that had been waiting on the server far longer than calls took: the
// calls due then could not start because the server had slowed or frozen,
// not because the client fell behind. Far longer is 10 times the median
// service time, and at least 100ms.
func heldByServer(s *report.Summary) bool {
	workers := s.Options.Load.Workers()
	if workers <= 0 || s.HeldAtEnd < int64(workers) {
		return false
	}
	typical := time.Duration(0)
	if s.ServiceTime != nil {
		typical = s.ServiceTime.P50
	}
	return s.HeldFor >= max(10*typical, 100*time.Millisecond)
}

// slowAtEnd is stallPastEnd's finding when the calls cut were due while
// every worker was held by a call waiting on the server: the time went to
// the server, which slowed or froze near the end.
func slowAtEnd(s *report.Summary, ev []report.Evidence) report.Finding {
	ev = append(ev, report.Evidence{Name: "calls in flight at -z", Value: fmt.Sprintf("%d (every worker), the longest for %s",
		s.HeldAtEnd, report.FormatDuration(s.HeldFor))})
	if s.ServiceTime != nil && s.ServiceTime.Count > 0 {
		ev = append(ev, report.Evidence{Name: "service time p50", Value: report.FormatDuration(s.ServiceTime.P50)})
	}
	return report.Finding{ID: "stall_past_end", Severity: report.SeverityWarn,
		Title: fmt.Sprintf("%s due before the end never started: every worker was held by a call waiting on the server, the longest for %s",
			callsText(s.Cut), report.FormatDuration(s.HeldFor)),
		Evidence: ev,
		Cause: "When -z came, every worker was in a call that had been waiting on the server far longer than calls " +
			"usually take: the server slowed down or froze near the end of the run, so the calls due then could not " +
			"start. Their latency is counted at its lower bound, the end of the run minus when they were due.",
		Fix: "Find what slowed the server at the end (a GC pause, a lock, a dependency); run longer than the " +
			"slowdown lasts to measure all of it."}
}

// behindAtEnd is stallPastEnd's finding when no call was held through the
// drain limit and the oldest cut call had waited under a second: the calls
// cut were due but not started because the client fell behind (busy
// workers, an overloaded pacer), not because the server stalled.
func behindAtEnd(s *report.Summary, ev []report.Evidence) report.Finding {
	ev = addCount(ev, "late starts", s.LateStarts)
	ev = addCount(ev, "pacer late", s.PacerLate)
	return report.Finding{ID: "stall_past_end", Severity: report.SeverityWarn,
		Title: fmt.Sprintf("%s due before the end never started: the run was %s behind its schedule when it ended",
			callsText(s.Cut), report.FormatDuration(s.CutFor)),
		Evidence: ev,
		Cause: "When -z came, calls that were due had not been handed to a worker yet: every worker was busy, " +
			"or the client machine could not keep the rate (see late starts and pacer late). Their latency is " +
			"counted at its lower bound, the end of the run minus when they were due.",
		Fix: "Give the run more workers (-c) if they were all busy, or a less loaded client machine (or a lower " +
			"rate) if the pacer was late."}
}

// closedLoopStall: in a closed-loop run, throughput fell to zero for a
// second or more while calls were in flight (every worker always has one),
// and recovered or the run ended with calls cut.
func closedLoopStall(d *diagnosis) []report.Finding {
	s := d.s
	if s.Options.Load.OpenLoop() {
		return nil
	}
	from, n := longestZeroRun(s)
	if n == 0 {
		return nil
	}
	// Calls that take seconds each leave seconds with nothing ending: that
	// is their latency, not a stall (through a proxy timing out after 2s,
	// 2 workers end calls every other second).
	if s.Latency != nil && s.Latency.Count > 0 && time.Duration(n)*time.Second <= 2*s.Latency.P50 {
		return nil
	}
	ev := []report.Evidence{{Name: "seconds with no call ending", Value: fmt.Sprintf("%d, from second %d", n, from)},
		{Name: "concurrency", Value: fmt.Sprint(s.Options.Load.Concurrency)}}
	ev = addCount(ev, "calls in flight cut at the end", s.Aborted)
	if s.Latency != nil && s.Latency.Count > 0 {
		ev = append(ev, report.Evidence{Name: "latency p99, max", Value: report.FormatDuration(s.Latency.P99) + ", " + report.FormatDuration(s.Latency.Max)})
	}
	return []report.Finding{{ID: "closed_loop_stall", Severity: report.SeverityWarn,
		Title: fmt.Sprintf("Throughput fell to zero for at least %s from second %d with calls in flight: a stall",
			report.FormatDuration(time.Duration(n)*time.Second), from),
		Evidence: ev,
		Cause: "No call ended for whole seconds while every worker had a call in flight: the server (or something " +
			"between) stopped answering. In closed loop each worker waits for its call before the next, so a stall " +
			"delays only the calls in flight: the percentiles hide it by nature, the timeline shows it.",
		Fix: "Find what froze the server (a GC pause, a lock, CPU throttling, a dependency). To see what a stall " +
			"costs callers arriving at a steady rate, run in open loop (--rps), where calls due during it count " +
			"from when they were due."}}
}

// longestZeroRun finds the longest run of full timeline seconds in which no
// call ended, that calls ending came before and that calls ending (or calls
// cut at the end) came after: where it starts and how many seconds.
func longestZeroRun(s *report.Summary) (from, n int) {
	seen := false
	start := -1
	for i, p := range s.Timeline {
		full := p.Width == 0 || p.Width >= time.Second
		switch {
		case p.Count == 0 && full && seen:
			if start < 0 {
				start = i
			}
		case p.Count > 0:
			if start >= 0 && i-start > n {
				from, n = s.Timeline[start].Second, i-start
			}
			start, seen = -1, true
		}
	}
	if start >= 0 && s.Aborted > 0 && len(s.Timeline)-start > n {
		from, n = s.Timeline[start].Second, len(s.Timeline)-start
	}
	return from, n
}
