package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
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
	// A server counts a strike for each ping sooner than it allows and ends
	// the connection at its third strike: grpc-java and C-core (whose first
	// ping may strike) at the third ping, grpc-go (whose first ping never
	// strikes) at the fourth. So 4 answered pings are needed to tell, on the
	// open stream and on an idle connection alike.
	streamWhy, idleWhy := "a server that refuses early pings ends the connection by the fourth ping (grpc-java and C-core at the third, grpc-go at the fourth)",
		"a server that refuses pings without calls ends an idle connection by its fourth ping (grpc-go at the fourth: the first never strikes)"
	if p.Result.Stream == "" {
		streamWhy = p.Result.StreamErr
	}
	checks = append(checks, keepaliveCheck("keepalive_stream", "on an open stream", probeConn(event.ProbeStream), kt, d, 4,
		p.Result.Stream == "", streamWhy))
	if p.Options.Keepalive.PermitWithoutStream {
		checks = append(checks, keepaliveCheck("keepalive_idle", "on an idle connection", probeConn(event.ProbeIdle), kt, d, 4, false, idleWhy))
	} else {
		checks = append(checks, report.Check{ID: "keepalive_idle", Result: report.CheckSkipped, Title: "Keepalive pings on an idle connection",
			Detail: "not tested: add --keepalive-permit-without-stream to ping connections without calls"})
	}

	pd := probeDiagnosis(p)
	idle := probeConn(event.ProbeIdle)
	silences, _ := idleCloseSilences(idle)
	idleDrains := pd.drainsOf(drainIdle)
	switch {
	case len(idleDrains) > 0:
		checks = append(checks, pd.idleCheck(idleDrains[0]))
	case len(silences) > 0 && !hasGoAway(idle):
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckSeen,
			Title:  "An idle connection was closed without GOAWAY after ~" + silenceText(silences) + " of silence",
			Detail: bareIdleDetail(silences)})
	case len(otherCloses(idle)) > 0:
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckNotSeen,
			Title:  "The idle connection was closed by something else (" + strings.Join(otherCloses(idle), ", ") + ") within " + d + ", so no idle limit was seen",
			Detail: "see the diagnosis below for what closed it; an idle limit cannot be ruled out until the idle connection stays open longer than it"})
	default:
		checks = append(checks, report.Check{ID: "idle_close", Result: report.CheckNotSeen, Title: "No idle connection was closed within " + d,
			Detail: "a longer idle limit (AWS NLB: 350s, Azure LB: 4m) cannot be ruled out: run again with --duration above it"})
	}

	if aged := pd.drainsOf(drainAge); len(aged) > 0 {
		dr := aged[0]
		who := upperFirst(pd.serverName())
		if pd.drainByProxy(dr) {
			who = "The intermediary (" + pd.peer().Intermediary + ")"
		}
		checks = append(checks, report.Check{ID: "max_age", Result: report.CheckSeen,
			Title: fmt.Sprintf("%s recycles connections after ~%s (a connection age limit, %s)", who, goAwaySpread(p, dr.reason, false), reasonText(dr)),
			Detail: "the GOAWAYs came at the same connection age on busy and idle connections alike: " +
				pd.option("connection age limit", func(s stack) string { return s.age })})
	} else {
		checks = append(checks, report.Check{ID: "max_age", Result: report.CheckNotSeen, Title: "No connection was recycled by age within " + d,
			Detail: "a connection age limit longer than the probe cannot be ruled out"})
	}

	checks = append(checks, streamCutCheck(p, pd, probeConn(event.ProbeStream), d))
	if c, ok := peerCheck(pd); ok {
		checks = append([]report.Check{c}, checks...)
	}

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
	pings, acks := c.EventCounts[event.EventPing], c.EventCounts[event.EventPingAck]
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
		if reason != "NO_ERROR max_idle" && reason != goAwayNoDebug && n > 0 {
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

// streamCutCheck says whether the server cut the held stream at its age
// limit + grace: a stream end citing a GOAWAY or a server's word for it
// (max_age, enter idle, a reset NO_ERROR), on a probe that saw age
// recycling.
func streamCutCheck(p *report.Probe, pd *diagnosis, c report.Connection, d string) report.Check {
	aged := pd.drainsOf(drainAge)
	cited := ""
	if len(aged) > 0 {
		for _, e := range p.Result.StreamEnds {
			if strings.Contains(e, "received prior goaway") || strings.Contains(e, "connection is draining") || containsAny(e, ageCutWords) {
				cited = e
				break
			}
		}
	}
	if cited == "" {
		if ends := streamEndKinds(p.Result.StreamEnds); len(ends) > 0 {
			return report.Check{ID: "stream_cut", Result: report.CheckSeen,
				Title:  fmt.Sprintf("The held stream was ended %s by the other side: %s", report.Plural(len(p.Result.StreamEnds), "time"), strings.Join(ends, "; ")),
				Detail: "a stream that carries no data for a while was ended; see the diagnosis below (a proxy's read timeout, a connection closed under it)"}
		}
		return report.Check{ID: "stream_cut", Result: report.CheckNotSeen, Title: "No stream was cut within " + d,
			Detail: "an age limit + grace longer than the probe cannot be ruled out"}
	}
	detail := "the held stream ended: " + cited
	reasons := map[string]bool{}
	for _, dr := range aged {
		reasons[dr.reason] = true
	}
	who := upperFirst(pd.serverName())
	if life, ok := agedTransportLife(c, reasons); ok {
		return report.Check{ID: "stream_cut", Result: report.CheckSeen, Title: who + " cuts streams after ~" + report.FormatDuration(life) + " (age limit + grace)", Detail: detail}
	}
	return report.Check{ID: "stream_cut", Result: report.CheckSeen, Title: who + " cuts streams after ~" + goAwaySpread(p, aged[0].reason, false) +
		" (age limit) plus its grace", Detail: detail + "; the GOAWAY came at that age, and the stream was cut when the grace that follows ran out"}
}

// agedTransportLife is how long the first transport of c that got a GOAWAY
// of an age limit (reasons) lived, open to close: the held stream's
// lifetime, as the stream is opened as soon as the transport is. ok is
// false when its open or its close is not among the kept events.
func agedTransportLife(c report.Connection, reasons map[string]bool) (time.Duration, bool) {
	opened := map[int]time.Duration{}
	aged := map[int]bool{}
	for _, e := range c.Events {
		switch {
		case e.Kind == event.EventOpen:
			opened[e.Transport] = e.At
		case e.Kind == event.EventGoAway && reasons[strings.TrimSpace(e.Code+" "+e.Debug)]:
			aged[e.Transport] = true
		case e.Kind == event.EventClose && aged[e.Transport]:
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

// idleCloseSilences are the silences before the idle connection's closes
// that an idle limit made: GOAWAYs without debug data or max_idle, and
// closes by the peer without GOAWAY. Closes by our own end (the probe
// ending, a keepalive timeout) and transports still open are left out: they
// say nothing of the limit. l7 reports a GOAWAY without debug data (an
// HTTP/2 proxy).
func idleCloseSilences(c report.Connection) (out []time.Duration, l7 bool) {
	goaway := map[int]bool{}
	for _, e := range c.Events {
		switch {
		case e.Kind == event.EventGoAway && e.Code == "NO_ERROR" && (e.Debug == "" || e.Debug == "max_idle"):
			if !goaway[e.Transport] {
				out = append(out, e.Silence)
				l7 = l7 || e.Debug == ""
			}
			goaway[e.Transport] = true
		case e.Kind == event.EventGoAway:
			goaway[e.Transport] = true
		case e.Kind == event.EventClose && !goaway[e.Transport] && e.Err != event.ClosedByClient:
			out = append(out, e.Silence)
		}
	}
	return out, l7
}

// silenceText writes silences as "1s" or "1s (980ms to 1.02s)".
func silenceText(ds []time.Duration) string {
	lo, hi := slices.Min(ds), slices.Max(ds)
	mid := report.Approx((lo + hi) / 2)
	if len(ds) == 1 || report.FormatDuration(lo) == report.FormatDuration(hi) {
		return mid
	}
	return fmt.Sprintf("%s (%s to %s over %d closes)", mid, report.FormatDuration(lo), report.FormatDuration(hi), len(ds))
}

// bareIdleDetail says what a bare close after a silence means, and whether
// keepalive can beat it.
func bareIdleDetail(ds []time.Duration) string {
	x := slices.Min(ds)
	out := "an idle timer in a TCP proxy or load balancer (haproxy mode tcp timeout client/server/tunnel, AWS NLB 350s, " +
		"Azure LB 4m) or a server dropping idle connections; "
	if x <= keepaliveFloor+keepaliveFloor/5 {
		return out + "keepalive cannot beat it (grpc-go pings at most every 10s): raise the timer"
	}
	return out + "keepalive pings more often than that (--keepalive-time, --keepalive-permit-without-stream) keep connections open"
}

// probeDiagnosis is the diagnosis over a probe's recording, for the
// checks that read the same behaviour as the rules.
func probeDiagnosis(p *report.Probe) *diagnosis {
	s := &report.Summary{Connectivity: p.Connectivity, Connections: p.Connections, Peer: p.Peer}
	if s.Connectivity == nil {
		s.Connectivity = &report.Connectivity{}
	}
	return &diagnosis{s: s, c: s.Connectivity, id: p.Peer}
}

// idleCheck says who closes idle connections and after how long, from an
// idle drain.
func (d *diagnosis) idleCheck(dr drain) report.Check {
	limit, _ := d.idleLimit(dr.quiet())
	after := report.Approx(limit)
	if d.drainByProxy(dr) {
		proxy := d.peer().Intermediary
		opt := "its idle timeout"
		if o, ok := proxyOpts(proxy); ok && o.idle != "" {
			opt = o.idle
		}
		return report.Check{ID: "idle_close", Result: report.CheckSeen,
			Title: "The proxy (" + proxy + ") closes idle connections after ~" + after + " of silence (" + reasonText(dr) + ")",
			Detail: "an HTTP/2 proxy's idle timer (" + opt + "); it counts requests, not keepalive pings: raise it, " +
				"or accept the reconnect after a pause"}
	}
	who := upperFirst(d.serverName())
	detail := d.option("idle limit", func(s stack) string { return s.idle })
	if d.peer().Implementation == "unknown" && dr.debug == "" {
		who = "The server (or a proxy in front of it)"
		detail += "; or an HTTP/2 proxy's idle timer (nginx keepalive_timeout, haproxy timeout http-keep-alive, Envoy idle_timeout)"
	}
	if st, ok := d.stack(); ok && st.idleLate {
		detail += fmt.Sprintf("; it checks its idle timer periodically, so the setting is between ~%s and ~%s",
			report.Approx(limit/2), after)
	}
	if dr.code != "NO_ERROR" {
		detail += "; the code " + dr.code + " is harmless here: no call was on the connection"
	}
	return report.Check{ID: "idle_close", Result: report.CheckSeen,
		Title: who + " closes idle connections after ~" + after + " of silence (" + reasonText(dr) + ")", Detail: detail}
}

// hasGoAway reports whether any transport of c got a GOAWAY.
func hasGoAway(c report.Connection) bool {
	for _, n := range c.GoAways {
		if n > 0 {
			return true
		}
	}
	return false
}

// peerCheck says who answered: a proxy (then the checks saw the proxy, not
// the backend), or the server's implementation, with what told it.
func peerCheck(d *diagnosis) (report.Check, bool) {
	p := d.peer()
	if len(p.Evidence) == 0 && p.Intermediary == "" {
		return report.Check{}, false
	}
	why := strings.Join(p.Evidence, "; ")
	switch {
	case p.Intermediary != "":
		return report.Check{ID: "peer", Result: report.CheckSeen, Title: "The peer answering is a proxy (" + p.Intermediary + "), not the gRPC server",
			Detail: why + ". The checks below saw the proxy: it answers keepalive pings itself and applies its own idle " +
				"and request limits; the backend's settings are not tested (probe it directly to see them)."}, true
	case p.Implementation != "unknown":
		st := stacks[p.Implementation]
		return report.Check{ID: "peer", Result: report.CheckSeen, Title: "The server is " + st.name, Detail: why}, true
	}
	title := "The server's implementation could not be told"
	if len(p.Likely) > 0 {
		title += " (likely " + strings.Join(p.Likely, " or ") + ")"
	}
	return report.Check{ID: "peer", Result: report.CheckNotSeen, Title: title, Detail: why}, true
}

// streamEndKinds names the distinct ways the held stream ended (RST_STREAM,
// EOF, GOAWAY, too_many_pings, a proxy's status), with how often, in the
// order first seen; a stream the server ended with OK does not count.
func streamEndKinds(ends []string) []string {
	var kinds []string
	counts := map[string]int{}
	for _, e := range ends {
		if strings.Contains(e, "the server ended the stream") {
			continue
		}
		k := streamEndKind(e)
		if counts[k] == 0 {
			kinds = append(kinds, k)
		}
		counts[k]++
	}
	for i, k := range kinds {
		if counts[k] > 1 {
			kinds[i] = fmt.Sprintf("%s ×%d", k, counts[k])
		}
	}
	return kinds
}

// streamEndKind is a short name for one stream end's status text.
func streamEndKind(e string) string {
	for _, k := range []struct{ text, name string }{
		{"too_many_pings", "GOAWAY too_many_pings"},
		{"RST_STREAM with error code: ", ""},
		{"received prior goaway", "GOAWAY"},
		{"the connection is draining", "GOAWAY"},
		{"without sending trailers", "ended without trailers"},
		{"unexpected HTTP status code received from server: ", ""},
		{"EOF", "connection closed (EOF)"},
		{"connection reset", "connection reset"},
	} {
		i := strings.Index(e, k.text)
		switch {
		case i < 0:
			continue
		case k.name != "":
			return k.name
		case strings.HasPrefix(k.text, "RST"):
			code, _, _ := strings.Cut(e[i+len(k.text):], " ")
			return "RST_STREAM " + code
		default:
			status, _, _ := strings.Cut(e[i+len(k.text):], ")")
			return "HTTP " + status + ")"
		}
	}
	return report.Printable(e, true)
}
