package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/conn"
)

// ProbeChecks answers the probe's questions from what it saw. It is a pure
// function of the Probe.
func ProbeChecks(p *report.Probe, asked time.Duration) []report.Check {
	probeConn := func(i int) report.Connection {
		for _, c := range p.Connections {
			if c.Index == i {
				return c
			}
		}
		return report.Connection{Index: i}
	}
	d := report.FormatDuration(p.Duration)
	if p.Result.Interrupted {
		d += " (interrupted; " + report.FormatDuration(asked) + " were asked)"
	}
	var checks []report.Check

	h := p.Result.Handshake
	if p.Result.HandshakeErr != "" {
		checks = append(checks, report.Check{ID: "connect", Result: report.CheckSkipped, Title: "Connection set-up could not be timed step by step", Detail: p.Result.HandshakeErr})
	} else {
		steps := []string{"TCP " + report.FormatDuration(h.TCP)}
		if h.TLS > 0 {
			steps = append(steps, "TLS "+report.FormatDuration(h.TLS))
		}
		steps = append(steps, "HTTP/2 preface "+report.FormatDuration(h.HTTP2))
		checks = append(checks, report.Check{ID: "connect", Result: report.CheckPass, Title: "Connection set-up: " + strings.Join(steps, " · "), Detail: ""})
	}

	kt := p.Options.Keepalive.Effective()
	// A grpc-go server counts a strike for each ping sooner than it allows
	// (the first ping never strikes) and ends the connection at the third.
	// On an idle connection (no stream, and no PermitWithoutStream on the
	// server: a 2h minimum) that is the 4th ping; on the open stream, 3
	// answered pings are taken as enough.
	streamWhy, idleWhy := "a server that refuses early pings ends the connection only at the third",
		"a grpc-go server without PermitWithoutStream ends an idle connection at its 4th ping (the first never strikes)"
	if p.Result.Stream == "" {
		streamWhy = p.Result.StreamErr
	}
	checks = append(checks, keepaliveCheck("keepalive_stream", "on an open stream", probeConn(conn.ProbeStream), kt, d, 3,
		p.Result.Stream == "", streamWhy))
	if p.Options.Keepalive.PermitWithoutStream {
		checks = append(checks, keepaliveCheck("keepalive_idle", "on an idle connection", probeConn(conn.ProbeIdle), kt, d, 4, false, idleWhy))
	} else {
		checks = append(checks, report.Check{ID: "keepalive_idle", Result: report.CheckSkipped, Title: "Keepalive pings on an idle connection",
			Detail: "not tested: add --keepalive-permit-without-stream to ping connections without calls"})
	}

	idle := probeConn(conn.ProbeIdle)
	switch {
	case idle.GoAways["NO_ERROR max_idle"] > 0:
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckSeen,
			Title: "The server closes idle connections after ~" + goAwaySpread(p, "NO_ERROR max_idle", true) + " (MaxConnectionIdle, GOAWAY max_idle)", Detail: ""})
	case idle.Closes["peer_eof"]+idle.Closes["peer_reset"]+idle.Closes["timed_out"] > 0:
		life := "?"
		if idle.Lifetime != nil {
			life = report.FormatDuration(idle.Lifetime.Min)
		}
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckSeen,
			Title:  "An idle connection was closed without GOAWAY after ~" + life,
			Detail: "a middlebox idle timeout (an L4 load balancer, NAT or firewall) or a server dropping idle connections; keepalive pings below that time keep connections open"})
	case len(otherCloses(idle)) > 0:
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckNotSeen,
			Title:  "The idle connection was closed by something else (" + strings.Join(otherCloses(idle), ", ") + ") within " + d + ", so no idle limit was seen",
			Detail: "see the diagnosis below for what closed it; an idle limit cannot be ruled out until the idle connection stays open longer than it"})
	default:
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckNotSeen, Title: "No idle connection was closed within " + d,
			Detail: "a longer idle limit (AWS NLB: 350s, Azure LB: 4m) cannot be ruled out: run again with --duration above it"})
	}

	aged := false
	for _, c := range p.Connections {
		aged = aged || c.GoAways["NO_ERROR max_age"] > 0
	}
	if aged {
		checks = append(checks, report.Check{ID: "max_age", Result: report.CheckSeen,
			Title: "The server recycles connections after ~" + goAwaySpread(p, "NO_ERROR max_age", false) + " (MaxConnectionAge, GOAWAY max_age)", Detail: ""})
	} else {
		checks = append(checks, report.Check{ID: "max_age", Result: report.CheckNotSeen, Title: "No connection was recycled by age within " + d,
			Detail: "a MaxConnectionAge longer than the probe cannot be ruled out"})
	}

	checks = append(checks, streamCutCheck(p, probeConn(conn.ProbeStream), d))

	if rl := p.Connectivity.ReconnectLatency; rl != nil && rl.Count > 0 {
		checks = append(checks, report.Check{ID: "reconnect", Result: report.CheckSeen,
			Title: fmt.Sprintf("Reconnects took p50 %s, max %s (%d)", report.FormatDuration(rl.P50), report.FormatDuration(rl.Max), rl.Count), Detail: ""})
	} else {
		checks = append(checks, report.Check{ID: "reconnect", Result: report.CheckNotSeen, Title: "No connection was lost within " + d + ", so no reconnect was timed", Detail: ""})
	}

	busy := report.Check{ID: "busy_calls", Result: report.CheckPass, Title: fmt.Sprintf("%d calls on the busy connection, none failed for the transport", p.Result.BusyCalls), Detail: ""}
	if p.Result.BusyFailures > 0 {
		busy = report.Check{ID: "busy_calls", Result: report.CheckFail, Title: fmt.Sprintf("%d of %d calls on the busy connection failed with UNAVAILABLE",
			p.Result.BusyFailures, p.Result.BusyCalls), Detail: "see the diagnosis below"}
	}
	return append(checks, busy)
}

// keepaliveCheck says whether the server accepted the keepalive pings of
// one probe connection: it did if need pings were sent and answered, need
// being the ping at which a server that refuses them would have ended the
// connection (why says so, for the hint when fewer were seen; when skip,
// why says why the check was skipped).
func keepaliveCheck(id, where string, c report.Connection, every time.Duration, d string, need int64, skip bool, why string) report.Check {
	title := "Keepalive pings " + where
	switch {
	case every == 0:
		return report.Check{ID: id, Result: report.CheckSkipped, Title: title, Detail: "keepalive is off"}
	case skip:
		return report.Check{ID: id, Result: report.CheckSkipped, Title: title, Detail: why}
	case c.GoAways["ENHANCE_YOUR_CALM too_many_pings"] > 0:
		return report.Check{ID: id, Result: report.CheckFail, Title: fmt.Sprintf("The server rejects keepalive pings every %s %s (GOAWAY too_many_pings)", report.FormatDuration(every), where),
			Detail: "see the diagnosis below for the safe setting"}
	}
	pings, acks := c.EventCounts[conn.EventPing], c.EventCounts[conn.EventPingAck]
	if pings >= need && acks >= need {
		return report.Check{ID: id, Result: report.CheckPass, Title: fmt.Sprintf("The server accepts keepalive pings every %s %s (%d pings, %d answered, in %s)",
			report.FormatDuration(every), where, pings, acks, d), Detail: ""}
	}
	return report.Check{ID: id, Result: report.CheckNotSeen, Title: fmt.Sprintf("Too few keepalive pings %s to tell (%d sent, %d answered, in %s)", where, pings, acks, d),
		Detail: fmt.Sprintf("%s: run with --duration of at least %s", why,
			report.FormatDuration(every*time.Duration(2*need+1)/2))}
}

// otherCloses names what closed c other than an idle limit: GOAWAYs of
// other reasons, and closes by the client (a keepalive timeout) or the
// kernel. Sorted; empty when nothing did.
func otherCloses(c report.Connection) []string {
	var out []string
	for reason, n := range c.GoAways {
		if reason != "NO_ERROR max_idle" && n > 0 {
			out = append(out, "GOAWAY "+reason)
		}
	}
	for reason, n := range c.Closes {
		if label := report.CloseLabel(reason); label != "" && n > 0 && reason != report.ClosePeerEOF && reason != report.ClosePeerReset && reason != report.CloseTimedOut {
			out = append(out, label)
		}
	}
	slices.Sort(out)
	return out
}

// streamCutCheck says whether the server cut the held stream at
// MaxConnectionAge + grace: a stream end citing max_age, or a GOAWAY
// max_age on the stream connection with the stream ending.
func streamCutCheck(p *report.Probe, c report.Connection, d string) report.Check {
	cited := ""
	for _, e := range p.Result.StreamEnds {
		if strings.Contains(e, "max_age") {
			cited = e
			break
		}
	}
	if cited == "" && (c.GoAways["NO_ERROR max_age"] == 0 || len(p.Result.StreamEnds) == 0) {
		return report.Check{ID: "stream_cut", Result: report.CheckNotSeen, Title: "No stream was cut within " + d,
			Detail: "a MaxConnectionAge + grace longer than the probe cannot be ruled out"}
	}
	detail := "the held stream ended"
	if cited != "" {
		detail += ": " + cited
	}
	if life, ok := agedTransportLife(c); ok {
		return report.Check{ID: "stream_cut", Result: report.CheckSeen, Title: "The server cuts streams after ~" + report.FormatDuration(life) + " (MaxConnectionAge + grace)", Detail: detail}
	}
	return report.Check{ID: "stream_cut", Result: report.CheckSeen, Title: "The server cuts streams after ~" + goAwaySpread(p, "NO_ERROR max_age", false) +
		" (MaxConnectionAge) plus its grace", Detail: detail + "; the GOAWAY came at that age, and the stream was cut when the grace that follows ran out"}
}

// agedTransportLife is how long the first transport of c that got GOAWAY
// max_age lived, open to close: the held stream's lifetime, as the stream
// is opened as soon as the transport is. ok is false when its open or its
// close is not among the kept events.
func agedTransportLife(c report.Connection) (time.Duration, bool) {
	opened := map[int]time.Duration{}
	aged := map[int]bool{}
	for _, e := range c.Events {
		switch {
		case e.Kind == conn.EventOpen:
			opened[e.Transport] = e.At
		case e.Kind == conn.EventGoAway && e.Code == "NO_ERROR" && e.Debug == "max_age":
			aged[e.Transport] = true
		case e.Kind == conn.EventClose && aged[e.Transport]:
			if at, ok := opened[e.Transport]; ok {
				return e.At - at, true
			}
		}
	}
	return 0, false
}

// goAwaySpread is the typical age (or idle time) at GOAWAYs of a reason.
func goAwaySpread(p *report.Probe, reason string, idle bool) string {
	t, ok := p.Connectivity.GoAwayTiming[reason]
	if !ok {
		return "?"
	}
	s := t.Age
	if idle {
		s = t.Idle
	}
	if s.P50 > 0 {
		return report.FormatDuration(s.P50)
	}
	return report.FormatDuration(s.Mean)
}
