package diagnose

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// The rules about an intermediary (nginx, haproxy, Envoy, a load balancer)
// between the client and the server: what it does to connections and calls
// that a grpc-go server would not (docs/intermediaries.md).

// goAwayNoDebug is the GOAWAY reason of a NO_ERROR GOAWAY without debug
// data: a grpc-go server always says why it drains, a proxy does not.
const goAwayNoDebug = "NO_ERROR"

// idleFloor is the least silence before a close that can be an idle timer:
// under load a transport is never this quiet, and a GOAWAY of a request
// cap comes right after the request that reached the cap.
const idleFloor = 100 * time.Millisecond

// keepaliveFloor is grpc-go's smallest keepalive interval: no client ping
// comes more often, so no idle timer below it can be beaten by keepalive.
const keepaliveFloor = 10 * time.Second

// clustered reports whether durations from lo to hi are one timer seen
// several times: within 150ms (scheduling on a busy client) or 12.5% of
// each other.
func clustered(lo, hi time.Duration) bool {
	return hi-lo <= max(150*time.Millisecond, lo/8)
}

// proxyName names the intermediary that answered, from the HTTP/2
// SETTINGS the client received (the fingerprints of docs/intermediaries.md)
// and texts it wrote (an error page's "nginx/1.22.1"); "" when nothing
// tells.
func (d *diagnosis) proxyName(texts ...string) string {
	for _, t := range texts {
		if m := nginxVersion.FindString(t); m != "" {
			return m
		}
		for _, p := range proxyTexts {
			if strings.Contains(t, p.text) {
				return p.proxy
			}
		}
		if strings.Contains(t, "envoy") {
			return "Envoy"
		}
	}
	for fp := range d.c.PeerSettings {
		if name := settingsProxy(fp); name != "" {
			return name
		}
	}
	return ""
}

var nginxVersion = regexp.MustCompile(`nginx(/[0-9.]*[0-9])?`)

// settingsProxy names the HTTP/2 implementation of a SETTINGS fingerprint;
// "" for grpc-go or an unknown one.
func settingsProxy(fp string) string {
	switch {
	case strings.Contains(fp, "MAX_FRAME_SIZE=16777215") && strings.Contains(fp, "MAX_CONCURRENT_STREAMS=128"):
		return "nginx"
	case strings.Contains(fp, "0x9=1") && strings.Contains(fp, "ENABLE_CONNECT_PROTOCOL=1"):
		return "nghttpx" // NO_RFC7540_PRIORITIES (0x9) before ENABLE_CONNECT_PROTOCOL
	case strings.HasPrefix(fp, "ENABLE_CONNECT_PROTOCOL=1") && strings.Contains(fp, "MAX_CONCURRENT_STREAMS=100"):
		return "haproxy (mode http)"
	}
	return ""
}

// byFailures sets a finding's severity from the calls it failed: info for
// none, error for a tenth of the calls or more, warn between.
func (d *diagnosis) byFailures(f *report.Finding, failed int64) {
	switch {
	case failed == 0:
		f.Severity = report.SeverityInfo
	case failed*10 >= d.s.Count:
		f.Severity = report.SeverityError
	default:
		f.Severity = report.SeverityWarn
	}
}

// requestCap: a peer ends each connection after a fixed number of
// requests: GOAWAYs (no sentinel first) with the same real last_stream_id
// 2N−1, right after a request. 2^31−1 is never a count.
func requestCap(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, dr := range d.drainsOf(drainCap) {
		out = append(out, d.capFinding(dr))
	}
	return out
}

func (d *diagnosis) capFinding(dr drain) report.Finding {
	g, n := dr.t, dr.n
	reqs := (int64(g.LastStreamMax) + 1) / 2
	failed := d.failed(event.CauseDrain)
	proxy := d.peer().Intermediary
	ev := []report.Evidence{
		{Name: reasonText(dr), Value: fmt.Sprint(n)},
		{Name: "last_stream_id in each", Value: fmt.Sprintf("%d (= 2×%d−1: the %dth request)", g.LastStreamMax, reqs, reqs)},
	}
	if proxy != "" {
		ev = append(ev, report.Evidence{Name: "intermediary", Value: proxy})
	}
	ev = addCount(ev, "reconnects", d.c.Reconnects)
	ev = append(ev, report.Evidence{Name: "calls failed by it", Value: fmt.Sprint(failed)})
	who := "The peer (an intermediary or the server)"
	switch {
	case proxy != "":
		who = "The intermediary (" + proxy + ")"
	case d.peer().Implementation != "unknown":
		who = upperFirst(d.serverName())
	}
	f := report.Finding{ID: "request_cap", Evidence: ev,
		Title: fmt.Sprintf("%s closes every connection after %d requests (%s, last_stream_id %d each time)", who, reqs, reasonText(dr), g.LastStreamMax),
		Cause: fmt.Sprintf("A per-connection request limit: after the %dth request on a connection the peer sends %s "+
			"with that request's stream id as the last one, at once and without the graceful two-step (no 2^31−1 "+
			"GOAWAY first), and closes it; the client reconnects. nginx does this with keepalive_requests (default "+
			"1000), Envoy with max_requests_per_connection, other proxies and load balancers with similar settings; "+
			"gRPC servers have no such limit by default.", reqs, reasonText(dr)),
		Fix: "Raise the limit (nginx: keepalive_requests 100000; in the server block; Envoy: " +
			"common_http_protocol_options.max_requests_per_connection; haproxy 2.8+: tune.h2.fe.max-total-streams; a " +
			"load balancer: its per-connection request limit), or accept a reconnect every " + fmt.Sprint(reqs) + " calls."}
	if o, ok := proxyOpts(proxy); ok && o.requests != "" {
		f.Fix = fmt.Sprintf("Raise %s's %s, or accept a reconnect every %d calls.", proxy, o.requests, reqs)
	}
	d.byFailures(&f, failed)
	if failed == 0 {
		f.Title += "; no call failed"
		f.Fix += " No call failed, so this only costs the reconnects."
	} else {
		f.Title += fmt.Sprintf("; %s failed", callsText(failed))
		f.Fix += " Calls that race the GOAWAY fail with UNAVAILABLE: retry idempotent methods on UNAVAILABLE " +
			"(--retry-max-attempts 3 --retry-codes UNAVAILABLE)."
	}
	return f
}

// idleTimer is an idle timer seen on the path: GOAWAYs without debug data
// (an HTTP/2 proxy) or bare closes (a TCP proxy or middlebox) after a
// constant silence.
type idleTimer struct {
	silence report.Spread
	closes  int64
	l7      bool     // GOAWAY: an HTTP/2 proxy's timer
	reasons []string // the close reasons it explains (bare closes)
}

// idleTimers finds the idle timers: a GOAWAY without debug data after a
// silence, and bare peer closes (two or more) after a constant one.
func (d *diagnosis) idleTimers() []idleTimer {
	var out []idleTimer
	for _, dr := range d.drainsOf(drainIdle) {
		if d.drainByProxy(dr) && dr.t.Silence != nil {
			out = append(out, idleTimer{silence: *dr.t.Silence, closes: dr.n, l7: true})
		}
	}
	var bare report.Spread
	var reasons []string
	for _, reason := range sortedKeys(d.c.CloseSilence) {
		if reason != report.ClosePeerEOF && reason != report.ClosePeerReset {
			continue
		}
		bare = mergeSpreads(bare, d.c.CloseSilence[reason])
		reasons = append(reasons, reason)
	}
	if bare.Count >= 2 && bare.Min >= idleFloor && clustered(bare.Min, bare.Max) {
		out = append(out, idleTimer{silence: bare, closes: bare.Count, reasons: reasons})
	}
	return out
}

func mergeSpreads(a, b report.Spread) report.Spread {
	if a.Count == 0 {
		return b
	}
	n := a.Count + b.Count
	return report.Spread{Count: n, Min: min(a.Min, b.Min), Max: max(a.Max, b.Max),
		Mean: (a.Mean*time.Duration(a.Count) + b.Mean*time.Duration(b.Count)) / time.Duration(n)}
}

// intermediaryIdle: something on the path closes connections after a
// constant idle time.
func intermediaryIdle(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, t := range d.idleTimers() {
		out = append(out, d.idleFinding(t))
	}
	return out
}

func (d *diagnosis) idleFinding(t idleTimer) report.Finding {
	x := typical(t.silence)
	proxy := d.peer().Intermediary
	ev := []report.Evidence{{Name: "silence before the close", Value: spreadText(t.silence)}}
	var failed int64
	f := report.Finding{ID: "intermediary_idle_timeout"}
	if t.l7 {
		failed = d.failed(event.CauseDrain)
		ev = append([]report.Evidence{{Name: "GOAWAYs NO_ERROR without debug data", Value: fmt.Sprint(t.closes)}}, ev...)
		who := "The proxy (" + proxy + ")"
		ev = append(ev, report.Evidence{Name: "intermediary", Value: proxy})
		f.Title = fmt.Sprintf("%s closes connections idle for ~%s (GOAWAY without debug data)", who, report.Approx(x))
		f.Cause = fmt.Sprintf("After ~%s without a request on a connection, the peer sends GOAWAY NO_ERROR without debug data "+
			"(a grpc-go server would say max_idle) and closes it; the next call waits for a new connection. HTTP/2 proxies "+
			"answer PINGs themselves and count only requests, so client keepalive does not keep the connection open. "+
			"nginx: keepalive_timeout (default 75s); haproxy mode http: timeout http-keep-alive (or timeout client); "+
			"Envoy: common_http_protocol_options.idle_timeout (1h).", report.Approx(x))
		f.Fix = fmt.Sprintf("Raise the proxy's idle timeout above the longest pause between calls (nginx keepalive_timeout, "+
			"haproxy timeout http-keep-alive, Envoy idle_timeout), or keep a call on each connection more often than "+
			"every %s (a health check); keepalive pings do not help. Otherwise the reconnect after a pause is harmless.", report.Approx(x))
		if o, ok := proxyOpts(proxy); ok && o.idle != "" {
			name, _, _ := strings.Cut(proxy, "/")
			f.Cause = fmt.Sprintf("After ~%s without a request on a connection, %s sends GOAWAY NO_ERROR without debug data "+
				"and closes it; the next call waits for a new connection. It answers PINGs itself and counts only requests, "+
				"so client keepalive does not keep the connection open. Its timer: %s.", report.Approx(x), name, o.idle)
			f.Fix = fmt.Sprintf("Raise %s's %s above the longest pause between calls, or keep a call on each connection "+
				"more often than every %s (a health check); keepalive pings do not help. Otherwise the reconnect after a "+
				"pause is harmless.", name, o.idle, report.Approx(x))
		}
	} else {
		fp, fr := d.failed(event.CausePeerClosed), d.failed(event.CauseConnectionReset)
		failed = fp + fr
		ev = append([]report.Evidence{{Name: "closes without GOAWAY (" + strings.Join(t.reasons, ", ") + ")", Value: fmt.Sprint(t.closes)}}, ev...)
		f.Title = fmt.Sprintf("Something on the path closes connections silent for ~%s, without a GOAWAY", report.Approx(x))
		f.Cause = fmt.Sprintf("Each of these connections was closed (EOF or reset, no GOAWAY) after the same ~%s without a "+
			"frame in either direction: an idle timer in a TCP proxy or load balancer (haproxy mode tcp: timeout client / "+
			"timeout server / timeout tunnel; AWS NLB 350s; Azure LB 4m), not the server, which would close with a GOAWAY.",
			report.Approx(x))
		if failed > 0 {
			f.Cause += fmt.Sprintf(" %s failed: they waited longer than that for the server's answer, and the silence "+
				"counted as idle.", callsText(failed))
		}
		f.Fix = d.bareIdleFix(x)
	}
	if failed > 0 {
		ev = append(ev, report.Evidence{Name: "calls failed by it", Value: fmt.Sprint(failed)})
	}
	ev = append(ev, d.keepaliveEvidence()...)
	f.Evidence = ev
	d.byFailures(&f, failed)
	return f
}

// bareIdleFix is the fix for a TCP-level idle timer of about x: keepalive
// beats it only above grpc-go's 10s floor.
func (d *diagnosis) bareIdleFix(x time.Duration) string {
	raise := "Raise the timer above the longest silence a connection must survive (haproxy mode tcp: timeout tunnel, or " +
		"timeout client and timeout server; a load balancer's idle timeout)"
	if x <= keepaliveFloor+keepaliveFloor/5 {
		return raise + fmt.Sprintf(". Client keepalive cannot beat a %s timer: grpc-go pings at most every 10s. For long "+
			"calls or quiet streams, have the server send heartbeat messages more often than every %s.",
			report.Approx(x), report.Approx(x))
	}
	ka := max(keepaliveFloor, x/2)
	return raise + fmt.Sprintf(", or keep connections busy with client keepalive below it: --keepalive-time %s "+
		"--keepalive-permit-without-stream, with the server allowing it (EnforcementPolicy.MinTime below %s, "+
		"PermitWithoutStream true). A TCP proxy passes the pings on, so they reset its timer.",
		report.FormatDuration(ka.Truncate(time.Second)), report.FormatDuration(ka.Truncate(time.Second)))
}

// explainsBareCloses reports whether an idle timer explains the peer's
// closes without GOAWAY.
func (d *diagnosis) explainsBareCloses() bool {
	for _, t := range d.idleTimers() {
		if !t.l7 {
			return true
		}
	}
	return false
}
