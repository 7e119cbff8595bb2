package diagnose

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// silenceEnd says in words what ended a silent window.
func silenceEnd(by string) string {
	switch by {
	case report.ClosePingUnanswered:
		return "a keepalive timeout closed the connection"
	case report.CloseTimedOut:
		return "the kernel timed the connection out (TCP_USER_TIMEOUT)"
	case report.ClosePeerReset:
		return "the connection was reset"
	case report.ClosePeerEOF:
		return "the peer closed the connection"
	case report.CloseAfterGoAway:
		return "the server sent GOAWAY and closed the connection"
	case report.CloseClient:
		return "the client closed the connection"
	case report.SilenceRecovered:
		return "calls succeeded again on the same connection"
	}
	return "the connection ended (" + by + ")"
}

// blackholeSurvived: a READY connection went silent (calls missed their
// deadline with nothing back from the server) and the silence ended before
// the run did: by recovery, a reset, or a timeout. blackhole_undetected
// covers silences still going at the end.
func blackholeSurvived(d *diagnosis) []report.Finding {
	var ws []report.SilentWindow
	var conns []int
	var calls int64
	for _, c := range d.s.Connections {
		for _, w := range c.SilentWindows {
			if w.EndedBy != report.SilenceRunEnd {
				ws, conns, calls = append(ws, w), append(conns, c.Index), calls+w.Calls
			}
		}
	}
	if calls < 2 || d.deadlineBelowRoundTrip() {
		return nil
	}
	longest := 0
	for i, w := range ws {
		if w.Silence > ws[longest].Silence {
			longest = i
		}
	}
	w := ws[longest]
	var ev []report.Evidence
	for i, x := range ws {
		if i == 5 {
			ev = append(ev, report.Evidence{Name: "more silences", Value: fmt.Sprint(len(ws) - 5)})
			break
		}
		ev = append(ev, report.Evidence{Name: fmt.Sprintf("connection #%d silent", conns[i]), Value: fmt.Sprintf(
			"%s from %s, %s missed their deadline, ended by %s", report.FormatDuration(x.Silence), report.RelTime(x.From),
			callsText(x.Calls), x.EndedBy)})
	}
	if t := d.s.Options.Call.Timeout; t > 0 {
		ev = append(ev, report.Evidence{Name: "call deadline", Value: report.FormatDuration(t)})
	}
	ev = append(ev, d.keepaliveEvidence()...)
	f := report.Finding{ID: "blackhole_survived", Severity: report.SeverityError, Evidence: ev,
		Title: fmt.Sprintf("Connection #%d went silent for %s while READY (%s missed their deadline with nothing back "+
			"from the server), until %s", conns[longest], report.FormatDuration(w.Silence), callsText(calls), silenceEnd(w.EndedBy)),
		Cause: "Packets stopped flowing on a connection grpc-go still showed READY: a load balancer, NAT or firewall " +
			"dropping the flow for a while, a network partition, or a server process paused (GC, SIGSTOP, CPU " +
			"throttling). Every call on the connection waited for its deadline meanwhile. What came after (a reset or " +
			"a close) was the end of the silence, not a separate crash."}
	var fix []string
	k := d.c.Keepalive
	if !d.keepaliveOn() {
		fix = append(fix, fmt.Sprintf("Turn client keepalive on so that a silent connection is replaced instead of "+
			"holding calls: --keepalive-time and --keepalive-timeout with time + timeout below the silence seen (%s); "+
			"grpc-go pings at most every 10s, and sets TCP_USER_TIMEOUT to the timeout, so unacknowledged writes fail "+
			"within it too.", report.FormatDuration(w.Silence)))
	} else {
		fix = append(fix, fmt.Sprintf("Keepalive is on but takes up to %s (time + timeout) to replace a silent "+
			"connection: lower --keepalive-timeout (grpc-go's TCP_USER_TIMEOUT follows it) and --keepalive-time "+
			"(10s at least) to detect it sooner.", report.FormatDuration(k.Effective+k.Timeout)))
	}
	fix = append(fix, "Give calls a deadline (--timeout) that bounds how long one can hang, and retry idempotent calls on "+
		"DEADLINE_EXCEEDED or UNAVAILABLE. Find what dropped the traffic: an idle timeout or a failover on the path, "+
		"or pauses of the server.")
	f.Fix = strings.Join(fix, " ")
	return []report.Finding{f}
}

// closeEndedSilence reports whether a peer's close (EOF or reset) ended a
// silent window.
func (d *diagnosis) closeEndedSilence() bool {
	for _, c := range d.s.Connections {
		for _, w := range c.SilentWindows {
			if (w.EndedBy == report.ClosePeerEOF || w.EndedBy == report.ClosePeerReset) && w.Calls >= 2 {
				return true
			}
		}
	}
	return false
}
