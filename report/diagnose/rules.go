package diagnose

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// rules are Findings' rules, in the order their findings are listed within
// a severity. Each reads the diagnosis and returns its findings (usually
// none or one).
var rules = []func(*diagnosis) []report.Finding{
	tooManyPings,
	keepaliveDeadPeer,
	blackholeUndetected,
	blackholeSurvived,
	deadlineTooShort,
	tlsOrProtocolMismatch,
	silentPeerAtConnect,
	connectionRefused,
	serverRestart,
	streamsCutByAge,
	proxyAnswered,
	intermediaryIdle,
	requestCap,
	peerClosedWithoutGoAway,
	maxAgeRecycling,
	idleClosed,
	pinnedBackend,
	retryAmplification,
	settingsChanged,
}

// tooManyPings: the server rejected the client's pings.
func tooManyPings(d *diagnosis) []report.Finding {
	n, failed := d.goaways(event.H2EnhanceYourCalm), d.failed(event.CauseTooManyPings)
	if n == 0 && failed == 0 {
		return nil
	}
	k := d.c.Keepalive
	ev := addCount(nil, "GOAWAYs too_many_pings", n)
	if first, age, ok := d.firstGoAway(event.H2EnhanceYourCalm); ok {
		ev = append(ev, report.Evidence{Name: "first at", Value: report.RelTime(first)})
		if age.Count > 0 {
			ev = append(ev, report.Evidence{Name: "connection age at GOAWAY", Value: spreadText(age)})
		}
	}
	ev = addCount(ev, "calls failed by it", failed)
	ev = append(ev, d.keepaliveEvidence()...)
	ev = addCount(ev, "keepalive pings sent", k.Pings)
	f := report.Finding{ID: "too_many_pings", Severity: report.SeverityError, Evidence: ev,
		Title: fmt.Sprintf("The server rejected our keepalive pings: GOAWAY too_many_pings ×%d", n)}
	if n == 0 {
		f.Title = fmt.Sprintf("The server rejected our keepalive pings; %s failed with too_many_pings", callsText(failed))
	}
	ev = addCount(ev, "keepalive pings a connection had sent when struck out (fewest)", k.PingsBeforeCalm)
	f.Evidence = ev
	strikes := d.strikesText()
	if d.keepaliveOn() {
		used := max(k.Time, 10*time.Second)
		f.Cause = fmt.Sprintf("A server allows pings only so often (%s, and usually far less often on connections "+
			"without calls); each ping sooner is a strike. %s The client pinged every %s, "+
			"more often than this server permits. grpc-go then doubles the connection's keepalive time, silently and for good "+
			"(%s at the end), so connections keep being killed, less and less often, and calls in flight on them fail.",
			d.option("ping policy", func(s stack) string { return s.pingMin }), strikes,
			report.FormatDuration(used), report.FormatDuration(k.Effective))
		if k.PermitWithoutStream {
			f.Cause += fmt.Sprintf(" With --keepalive-permit-without-stream the client also pings idle connections, which "+
				"a server holds to a much longer minimum (2h in grpc-go) unless it allows it (%s).",
				d.option("permission for pings without calls", func(s stack) string { return s.pingIdle }))
		}
		f.Fix = fmt.Sprintf("Make the two sides agree. Either set --keepalive-time at or above the server's minimum with a "+
			"margin (against default settings, 6m or more: grpc-go, grpc-java and C-core servers all default to 5m), or "+
			"lower the server's minimum below the client's interval (for pings every %s, %s: %s). Keep pings on idle "+
			"connections consistent: a client that pings them needs the server to allow it (%s).",
			report.FormatDuration(used), report.FormatDuration(used/2),
			d.option("ping policy", func(s stack) string { return s.pingMin }),
			d.option("permission for pings without calls", func(s stack) string { return s.pingIdle }))
	} else {
		f.Cause = "The client has keepalive off, so the pings the server counted were others: grpc-go's BDP " +
			"(bandwidth-probe) pings after it receives data, which Java and C++ servers may count as strikes, or an " +
			"intermediary's. " + strikes
		f.Fix = "Relax the server's ping policy (" + d.option("ping policy", func(s stack) string { return s.pingMin }) +
			"; for C-core servers grpc.http2.max_ping_strikes=0 turns the limit off), or turn BDP pings off on the " +
			"client with a static flow control window (grpc.WithInitialWindowSize and WithInitialConnWindowSize)."
	}
	return []report.Finding{f}
}

// strikesText says when the server struck the connection out: as seen
// (the pings a connection had sent), and as the identified implementation
// counts; never a count the run did not show for an unknown server.
func (d *diagnosis) strikesText() string {
	seen := ""
	if n := d.c.Keepalive.PingsBeforeCalm; n > 0 {
		seen = fmt.Sprintf("Here it sent GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\" and closed the connection at "+
			"the client's keepalive ping number %d on a connection.", n)
	} else {
		seen = "It then sends GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\" and closes the connection."
	}
	if st, ok := d.stack(); ok && st.strikes != "" {
		return seen + " (" + st.strikes + ".)"
	}
	return seen + " (How many strikes a server allows depends on it: grpc-go and grpc-java give up at the third, " +
		"C-core when they pass grpc.http2.max_ping_strikes, 2 by default.)"
}

// keepaliveDeadPeer: keepalive (or the kernel) found a peer that stopped
// answering.
func keepaliveDeadPeer(d *diagnosis) []report.Finding {
	k := d.c.Keepalive
	pingTimeouts := k.UnansweredCloses > 0 && report.PingTimedOut(k.UnansweredMax, k.Timeout)
	fk, ft := d.failed(event.CauseKeepaliveTimeout), d.failed(event.CauseTCPUserTimeout)
	timedOut := d.c.Closes[report.CloseTimedOut]
	if !pingTimeouts && fk == 0 && ft == 0 && timedOut == 0 {
		return nil
	}
	var ev []report.Evidence
	if pingTimeouts {
		ev = append(ev, report.Evidence{Name: "closed after an unanswered ping", Value: fmt.Sprintf("%d (longest wait %s)",
			k.UnansweredCloses, report.FormatDuration(k.UnansweredMax))})
	}
	ev = addCount(ev, "transports timed out by the kernel", timedOut)
	ev = addCount(ev, "calls failed: keepalive timeout", fk)
	ev = addCount(ev, "calls failed: TCP user timeout", ft)
	ev = append(ev, d.detectionEvidence()...)
	ev = append(ev, d.keepaliveEvidence()...)
	ev = append(ev, d.reconnectEvidence()...)
	f := report.Finding{ID: "keepalive_dead_peer", Severity: report.SeverityError, Evidence: ev}
	if d.keepaliveOn() {
		detect := k.Effective + k.Timeout
		f.Title = fmt.Sprintf("The peer stopped responding; keepalive detected it within ~%s", report.FormatDuration(detect))
		f.Cause = fmt.Sprintf("No PING ACK came back within the keepalive timeout (%s), or, with data in flight, the kernel's "+
			"TCP_USER_TIMEOUT (grpc-go sets it to the same timeout) fired: packets stopped flowing. Either the path dropped "+
			"the connection without a reset (a load balancer, NAT or firewall that lost its state) or the server stopped "+
			"answering (a paused process, a long GC pause, CPU starvation). Keepalive did its job: the connection was "+
			"replaced at most %s (time + timeout) after it went silent, instead of holding calls until their deadline.",
			report.FormatDuration(k.Timeout), report.FormatDuration(detect))
		if k.Timeout < time.Second {
			f.Cause += fmt.Sprintf(" With a timeout of %s, a GC pause or a busy CPU on either side is enough to look "+
				"dead: this may be a false alarm.", report.FormatDuration(k.Timeout))
		}
	} else {
		f.Title = "The peer stopped responding; the kernel timed the connection out"
		f.Cause = "Data went unacknowledged until the kernel gave up on the connection (connection timed out): the " +
			"path dropped it without a reset, or the server stopped answering. Without keepalive that takes the kernel's " +
			"retransmission limit, about 15 minutes by default, and an idle connection is never checked at all."
	}
	f.Fix = "Find what went silent at those times: server pauses or CPU throttling, or an idle timeout on the path " +
		"(AWS NLB 350s, Azure LB 4m, GCP conntrack 10m). Keep keepalive on (--keepalive-time, with --keepalive-timeout " +
		"of a few seconds or more so that a pause is not taken for a dead peer), and retry idempotent calls on UNAVAILABLE."
	return []report.Finding{f}
}

// blackholeUndetected: calls timed out on READY connections on which
// nothing at all came back from the server since they started (the runner
// sets CallStats.Ready only then), and nothing noticed. It takes at least
// two such calls.
func blackholeUndetected(d *diagnosis) []report.Finding {
	var stalled []string
	first := time.Duration(-1)
	firstConn := 0
	for _, c := range d.s.Connections {
		if c.StalledAt == nil {
			continue
		}
		if len(stalled) < 5 {
			stalled = append(stalled, fmt.Sprintf("#%d from %s", c.Index, report.RelTime(*c.StalledAt)))
		}
		if first < 0 || *c.StalledAt < first {
			first, firstConn = *c.StalledAt, c.Index
		}
	}
	calls := d.failed(event.CauseDeadlineWhileReady)
	if len(stalled) == 0 || calls < 2 || d.deadlineBelowRoundTrip() {
		return nil
	}
	k := d.c.Keepalive
	ev := addCount(nil, "calls that missed their deadline on a READY connection with nothing back from the server", calls)
	ev = append(ev, report.Evidence{Name: "connections that went silent", Value: strings.Join(stalled, ", ")})
	if t := d.s.Options.Call.Timeout; t > 0 {
		ev = append(ev, report.Evidence{Name: "call deadline", Value: report.FormatDuration(t)})
	}
	ev = append(ev, d.keepaliveEvidence()...)
	f := report.Finding{ID: "blackhole_undetected", Severity: report.SeverityError, Evidence: ev,
		Title: "RPCs missed their deadline on a READY connection on which nothing came back from the server: a silent " +
			"blackhole, or a server that is alive but stuck; client keepalive would tell the two apart",
		Cause: fmt.Sprintf("From %s on, calls on connection #%d missed their deadline while grpc-go still showed the "+
			"connection READY, and nothing at all (no frame for any call) came back from the server on it while they "+
			"waited; none succeeded afterwards and no transport closed. Either packets stopped flowing with no FIN or "+
			"RST, as when a load balancer, NAT or firewall silently drops the flow (GCP VPC conntrack after 10m idle, "+
			"Cloud NAT 20m, Azure LB 4m), or the server is up but stuck and answers nothing. A keepalive ping tells "+
			"them apart: a stuck server's HTTP/2 layer still answers it, a blackhole does not.", report.RelTime(first), firstConn)}
	if !d.keepaliveOn() {
		f.Cause += " Without keepalive grpc-go notices only when the kernel gives up: about 15 minutes with " +
			"unacknowledged data, never on an idle connection."
		f.Fix = "Turn keepalive on: --keepalive-time below the shortest idle timeout on the path (30s to 1m is a safe " +
			"start), --keepalive-timeout of 5 to 20s, --keepalive-permit-without-stream if idle connections must stay " +
			"usable, and let the server accept it (EnforcementPolicy.MinTime below the client's time, PermitWithoutStream " +
			"to match)."
	} else {
		f.Cause += fmt.Sprintf(" Keepalive is on, but it takes up to %s (time + timeout) to detect a dead peer, "+
			"longer than the calls waited, or the run ended first.", report.FormatDuration(k.Effective+k.Timeout))
		f.Fix = "Lower --keepalive-time (keeping --keepalive-timeout at 5 to 20s) so that time + timeout is shorter than " +
			"the calls' deadline, and check that the server accepts pings that often (EnforcementPolicy.MinTime)."
	}
	return []report.Finding{f}
}

// tlsOrProtocolMismatch: the client and the peer did not agree on TLS or
// on HTTP/2.
func tlsOrProtocolMismatch(d *diagnosis) []report.Finding {
	tlsConnects := d.c.HandshakeFailures + d.c.ConnectFailures[event.CauseTLSHandshake]
	tlsCalls := d.failed(event.CauseTLSHandshake)
	h2Connects, h2Calls := d.c.ConnectFailures[event.CauseNotHTTP2], d.failed(event.CauseNotHTTP2)
	tls, h2 := tlsConnects+tlsCalls > 0, h2Connects+h2Calls > 0
	if !tls && !h2 {
		return nil
	}
	ev := addCount(nil, "TLS handshakes failed", d.c.HandshakeFailures)
	ev = addCount(ev, "connection attempts failed: TLS", d.c.ConnectFailures[event.CauseTLSHandshake])
	ev = addCount(ev, "connection attempts failed: not HTTP/2", h2Connects)
	ev = addCount(ev, "calls failed: TLS", tlsCalls)
	ev = addCount(ev, "calls failed: not HTTP/2", h2Calls)
	t := d.s.Options.Target
	mode := "TLS"
	switch {
	case t.Plaintext:
		mode = "plaintext"
	case t.Insecure:
		mode = "TLS without verification"
	}
	ev = append(ev, report.Evidence{Name: "client", Value: mode})
	f := report.Finding{ID: "tls_or_protocol_mismatch", Severity: report.SeverityError, Evidence: ev}
	var causes []string
	switch {
	case tls && h2:
		f.Title = "TLS handshakes failed and the peer did not speak HTTP/2"
	case tls:
		f.Title = "TLS handshakes with the server failed"
	default:
		f.Title = "The peer did not answer in HTTP/2"
	}
	if tls {
		causes = append(causes, "The TLS handshake failed: TLS against a plaintext server, a certificate the client does "+
			"not trust or issued for another name, or a server that wants a client certificate.")
	}
	if h2 {
		c := "The peer answered, but not in HTTP/2: an HTTP/1.1 server or proxy on that port, or TLS on one side and " +
			"plaintext on the other."
		if t.Plaintext {
			c += " The client spoke plaintext; if the server wants TLS, drop --plaintext."
		}
		causes = append(causes, c)
	}
	f.Cause = strings.Join(causes, " ")
	f.Fix = "Check --plaintext against how the server listens, --cacert or --insecure for its certificate, --authority " +
		"for its name, and --cert/--key when it wants mutual TLS. With a load balancer or proxy in front, make it speak " +
		"HTTP/2 on its listener and to the backends."
	return []report.Finding{f}
}

// silentPeerAtConnect: TCP connected, but no HTTP/2 server answered: a
// listener with no server behind it, or a reconnect into a frozen process
// whose listen backlog accepts connections it never serves.
func silentPeerAtConnect(d *diagnosis) []report.Finding {
	connects, calls := d.c.ConnectFailures[event.CauseSilentPeerAtConnect], d.failed(event.CauseSilentPeerAtConnect)
	stuck := d.failed(event.CauseDeadlineWhileReady, event.CauseConnectTimeout, event.CauseSilentPeerAtConnect)
	if frozen := d.c.SilentOpens; frozen > 0 && stuck > 0 && connects == 0 {
		return []report.Finding{d.frozenAtConnect(frozen, stuck)}
	}
	if connects+calls == 0 || connects > 0 && d.crashEchoes(connects) {
		return nil // the server went down: connection_refused and the closes tell it
	}
	ev := addCount(nil, "connection attempts without a server preface", connects)
	ev = addCount(ev, "TCP connections accepted with no HTTP/2 SETTINGS back", d.c.SilentOpens)
	ev = addCount(ev, "calls failed by it", calls)
	return []report.Finding{{ID: "silent_peer_at_connect", Severity: report.SeverityError, Evidence: ev,
		Title: "TCP connections were accepted, but no HTTP/2 server answered",
		Cause: "Something accepted the TCP connection and then sent nothing, or closed it, instead of the HTTP/2 server " +
			"preface: a load balancer with no healthy backend, another service's listener, or a server too stuck to " +
			"answer within the connect timeout (--min-connect-timeout, 20s by default).",
		Fix: "Check what listens on the target port and that the load balancer has healthy gRPC backends; check that " +
			"the server is not stalled at startup."}}
}

// frozenAtConnect: connections were accepted by TCP but no SETTINGS came,
// and calls waited: a reconnect into a frozen process, not a replaced
// connection.
func (d *diagnosis) frozenAtConnect(frozen, stuck int64) report.Finding {
	ev := []report.Evidence{{Name: "TCP connections accepted with no HTTP/2 SETTINGS back", Value: fmt.Sprint(frozen)},
		{Name: "calls stuck (deadline, or no answer at connect)", Value: fmt.Sprint(stuck)}}
	ev = append(ev, d.dialEvidence()...)
	return report.Finding{ID: "silent_peer_at_connect", Severity: report.SeverityError, Evidence: ev,
		Title: fmt.Sprintf("Reconnects reached a process that accepted TCP but never answered in HTTP/2 (%s); %s stuck",
			report.Plural(int(frozen), "connection"), callsText(stuck)),
		Cause: "The TCP connection was accepted, but the server never sent its HTTP/2 SETTINGS: the kernel's listen " +
			"backlog accepts connections for a process that is frozen (SIGSTOP, a long GC or swap, a deadlock in its " +
			"accept loop) or too overloaded to serve them. It is not a replaced connection: nothing answered on it, and " +
			"calls waited on it until their deadline.",
		Fix: "Find what froze the server (its CPU, GC and thread dumps at that time). Give calls a deadline (--timeout) " +
			"and keep client keepalive on, so that a silent connection is given up; a health check that makes a real " +
			"call (not a TCP check) takes such an instance out of rotation."}
}

// refusedAttempts counts refused connection attempts: as the dialer counted
// them when it watched every attempt (the same count the attempts evidence
// gives), else the channel's TRANSIENT_FAILURE states (one per outage).
func (d *diagnosis) refusedAttempts() int64 {
	if ds := d.c.Dials; ds != nil && ds.Attempts > 0 {
		return ds.Failed[event.CauseRefused]
	}
	return d.c.ConnectFailures[event.CauseRefused]
}

// connectionRefused: nothing listened on the target.
func connectionRefused(d *diagnosis) []report.Finding {
	refused, failed := d.refusedAttempts(), d.failed(event.CauseRefused)
	if refused+failed == 0 {
		return nil
	}
	ev := addCount(nil, "refused connection attempts", refused)
	ev = addCount(ev, "calls failed: refused", failed)
	if d.c.Unavailable > 0 {
		ev = append(ev, report.Evidence{Name: "time unavailable", Value: report.FormatDuration(d.c.Unavailable)})
	}
	ev = append(ev, d.reconnectEvidence()...)
	ev = append(ev, d.backoffEvidence()...)
	ev = append(ev, d.dialEvidence()...)
	f := report.Finding{ID: "connection_refused", Severity: report.SeverityWarn, Evidence: ev,
		Title: fmt.Sprintf("Connections were refused (%s), no call failed", report.Plural(int(refused), "attempt")),
		Cause: "Nothing accepted connections on the target address: the server was down or restarting, or the address " +
			"or port is wrong. While a connection is in TRANSIENT_FAILURE grpc-go fails calls at once with UNAVAILABLE " +
			"(unless they wait for ready) and retries the connection with exponential backoff.",
		Fix: "Check that the server listens on the target address. If it was restarting, keep an instance serving while " +
			"another starts, and let clients ride over the gap (a retry policy on UNAVAILABLE, or --wait-for-ready). A " +
			"lower --backoff-max shortens the wait for a server that is back."}
	if failed > 0 {
		f.Severity = report.SeverityError
		f.Title = fmt.Sprintf("Connections were refused; %s failed", callsText(failed))
	}
	return []report.Finding{f}
}

// peerClosedWithoutGoAway: connections ended by EOF or RST, not by a drain.
func peerClosedWithoutGoAway(d *diagnosis) []report.Finding {
	eof, rst := d.c.Closes[report.ClosePeerEOF], d.c.Closes[report.ClosePeerReset]
	fp, fr := d.failed(event.CausePeerClosed), d.failed(event.CauseConnectionReset)
	if eof+rst+fp+fr == 0 || d.explainsBareCloses() {
		return nil
	}
	ev := addCount(nil, "closed by the peer (EOF)", eof)
	ev = addCount(ev, "reset", rst)
	ev = addCount(ev, "calls failed: peer closed", fp)
	ev = addCount(ev, "calls failed: connection reset", fr)
	ev = append(ev, d.reconnectEvidence()...)
	ev = append(ev, d.dialEvidence()...)
	title := fmt.Sprintf("The peer closed connections without a GOAWAY (%s)", report.Plural(int(eof+rst), "time"))
	if eof+rst == 0 {
		title = "Calls failed on connections the peer closed without a GOAWAY"
	}
	if fp+fr > 0 {
		title += fmt.Sprintf("; %s failed", callsText(fp+fr))
	}
	if o, ok := d.restart(); ok {
		title += fmt.Sprintf("; the server was down and back: %s", OutageStory(o))
	}
	cause := ""
	if d.closeEndedSilence() {
		cause = "Here a close came at the end of a silence on the connection (see blackhole_survived): the " +
			"path or the server dropped traffic first, and the close is how it ended, not a separate crash. "
	}
	return []report.Finding{{ID: "peer_closed_without_goaway", Severity: report.SeverityWarn, Title: title, Evidence: ev,
		Cause: cause + "A connection ended without the GOAWAY a gRPC server sends when it stops gracefully: the server crashed or " +
			"was stopped hard (Stop(), SIGKILL, an OOM kill), or something in between did it: a proxy restarting, or a " +
			"middlebox resetting a flow it thought idle (AWS NLB after 350s, Azure LB with TCP reset). Calls in flight " +
			"fail with UNAVAILABLE, and grpc-go does not retry them by itself, as the server may have seen them.",
		Fix: "Make the server stop with GracefulStop on SIGTERM (after a preStop delay in Kubernetes). If the resets " +
			"follow idle periods, keep connections warm with keepalive below the middlebox's idle timeout " +
			"(--keepalive-time, --keepalive-permit-without-stream) or set the server's MaxConnectionIdle below it. " +
			"Retry idempotent methods on UNAVAILABLE."}}
}

// pinnedBackend: several addresses, but the calls went to one.
func pinnedBackend(d *diagnosis) []report.Finding {
	t := d.s.Options.Target
	addrs := len(t.Addresses())
	var total int64
	seen := 0
	for _, b := range d.s.Backends {
		total += b.Calls
		if b.Remote != report.OtherReason {
			seen++
		}
	}
	if total == 0 || (addrs < 2 && seen < 2) {
		return nil
	}
	top := d.s.Backends[0]
	pinned := top.Calls*10 >= total*9
	lb := cmp.Or(t.LBPolicy, "pick_first")
	if !pinned && !(addrs > 1 && lb == "pick_first") {
		return nil
	}
	ev := []report.Evidence{}
	if addrs > 0 {
		ev = append(ev, report.Evidence{Name: "addresses configured", Value: fmt.Sprint(addrs)})
	}
	ev = append(ev, report.Evidence{Name: "backends that got calls", Value: fmt.Sprint(seen)},
		report.Evidence{Name: "calls to " + top.Remote, Value: fmt.Sprintf("%d of %d (%s)", top.Calls, total, report.Percent(top.Calls, total))},
		report.Evidence{Name: "load-balancing policy", Value: lb})
	of := max(addrs, seen)
	f := report.Finding{ID: "pinned_backend", Severity: report.SeverityWarn, Evidence: ev,
		Title: fmt.Sprintf("%s of the calls went to one backend (%s) of %d", report.Percent(top.Calls, total), top.Remote, of),
		Fix: "Use --lb-policy round_robin (or loadBalancingConfig in a service config) to spread calls over the " +
			"addresses. Behind an L4 load balancer, more --connections and a server MaxConnectionAge let connections " +
			"rebalance."}
	if !pinned {
		f.Title = fmt.Sprintf("pick_first sends each connection's calls to one of the %d addresses", addrs)
	}
	if lb == "pick_first" {
		f.Cause = "pick_first, grpc-go's default, sends every call of a connection to the first address that works; " +
			"the pool's connections all pick the same one, so the other backends idle while one takes the load."
	} else {
		f.Cause = fmt.Sprintf("%s should spread calls, so the other backends were unreachable or unhealthy for most of "+
			"the run (see the other findings), or the resolver returned a single address.", lb)
	}
	return []report.Finding{f}
}

// retryAmplification: retries multiplied the load.
func retryAmplification(d *diagnosis) []report.Finding {
	r, exhausted := d.c.Retries, d.failed(event.CauseRetriesExhausted)
	amplified := r != nil && r.Calls > 0 && float64(r.Attempts) > 1.2*float64(r.Calls)
	if !amplified && exhausted == 0 {
		return nil
	}
	var ev []report.Evidence
	f := report.Finding{ID: "retry_amplification", Severity: report.SeverityWarn,
		Title: fmt.Sprintf("%s failed after exhausting their retries", callsText(exhausted)),
		Cause: "Every retry is another request for the server. When calls fail because the server is overloaded or " +
			"down, retries multiply the load at the worst moment, up to maxAttempts times.",
		Fix: "Retry only idempotent methods and only on UNAVAILABLE; add retryThrottling to the service config " +
			"({\"maxTokens\": 10, \"tokenRatio\": 0.1}) so that clients stop retrying when most calls fail; and fix " +
			"what makes the first attempts fail (see the other findings)."}
	if r != nil && r.Calls > 0 {
		ratio := float64(r.Attempts) / float64(r.Calls)
		ev = append(ev, report.Evidence{Name: "calls", Value: fmt.Sprint(r.Calls)},
			report.Evidence{Name: "attempts", Value: fmt.Sprintf("%d (%.2f per call)", r.Attempts, ratio)},
			report.Evidence{Name: "retries", Value: fmt.Sprint(r.Retries)},
			report.Evidence{Name: "transparent retries", Value: fmt.Sprint(r.Transparent)})
		if amplified {
			f.Title = fmt.Sprintf("Retries multiplied the load by %.2f (%d retries for %d calls)", ratio, r.Retries+r.Transparent, r.Calls)
		}
	}
	ev = addCount(ev, "calls failed after their last attempt", exhausted)
	f.Evidence = ev
	if exhausted > 0 {
		f.Cause += fmt.Sprintf(" %s still failed after all their attempts: the retries did not hide the fault.", callsText(exhausted))
	}
	return []report.Finding{f}
}

// settingsChanged: one finding per setting grpc-go changed or that looks
// like a mistake.
func settingsChanged(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, note := range d.c.Notes {
		out = append(out, report.Finding{ID: "setting_changed", Severity: report.SeverityInfo, Title: note, Evidence: []report.Evidence{},
			Cause: "grpc-go changes some settings without an error (it raises the keepalive time to 10s and caps " +
				"retries at 5 attempts), and some legal values are risky; the run used what grpc-go applied.",
			Fix: "Set the value grpc-go really uses, or a safer one, so that the configuration says what happens."})
	}
	return out
}
