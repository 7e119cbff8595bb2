package diagnose

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The rules about connections the server ends on purpose: by age
// (MaxConnectionAge), by idleness (MaxConnectionIdle), or because it stops
// (GracefulStop).

// serverRestart: the server stopped gracefully (a GOAWAY on every
// connection at one moment, grpc-go's "graceful_stop", or any server's
// two-step GOAWAY 2^31−1 then the real last id), and the client
// reconnected. A warning when calls failed or connections were refused;
// otherwise (the client reconnected at once, or round_robin sent the calls
// elsewhere) information.
func serverRestart(d *diagnosis) []report.Finding {
	shut := d.drainsOf(drainShutdown)
	if len(shut) == 0 {
		return nil
	}
	var n int64
	var reasons []string
	for _, dr := range shut {
		n += dr.n
		reasons = append(reasons, reasonText(dr))
	}
	refused := d.refusedAttempts() + d.failed(event.CauseRefused)
	ev := []report.Evidence{{Name: "GOAWAYs", Value: fmt.Sprintf("%d (%s), all within %s", n, strings.Join(reasons, ", "), report.FormatDuration(moment))}}
	if shut[0].t.Sentinels > 0 {
		ev = append(ev, report.Evidence{Name: "first GOAWAY's last_stream_id", Value: "2147483647 (the graceful-shutdown sentinel, then the real last id)"})
	}
	ev = addCount(ev, "refused connection attempts", d.refusedAttempts())
	ev = addCount(ev, "calls failed: refused", d.failed(event.CauseRefused))
	ev = addCount(ev, "calls failed: draining", d.failed(drainCauses...))
	if d.c.Unavailable > 0 {
		ev = append(ev, report.Evidence{Name: "time unavailable", Value: report.FormatDuration(d.c.Unavailable)})
	}
	ev = append(ev, d.reconnectEvidence()...)
	ev = append(ev, d.backoffEvidence()...)
	ev = append(ev, d.dialEvidence()...)
	who := d.serverName()
	if d.drainByProxy(shut[0]) {
		who = "The intermediary (" + d.peer().Intermediary + ")"
	}
	title := fmt.Sprintf("%s shut down gracefully (%s ×%d)", upperFirst(who), strings.Join(reasons, ", "), n)
	if h := d.c.ReconnectLatency; h != nil && h.Count > 0 {
		title += fmt.Sprintf("; connections were back after %s (longest %s)", report.FormatDuration(h.P50), report.FormatDuration(h.Max))
	}
	stop := "stopped gracefully"
	if st, ok := d.stack(); ok && st.stop != "" {
		stop += " (" + st.stop + ")"
	}
	cause := fmt.Sprintf("%s %s: a deploy, a restart or a scale-in. Every connection got its GOAWAY at the same moment, "+
		"which is a stop, not a timer (an age or idle limit spreads them). Calls in flight could finish.", upperFirst(who), stop)
	if shut[0].debug == "" {
		cause += sentinelNote(shut[0])
	}
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
			"calls went to other backends (round_robin) meanwhile. If this repeats at a steady interval, it is an age limit instead."
		f.Fix = "Nothing to do: the restart cost no call. For rolling deploys, keep taking instances out of rotation " +
			"before stopping them (fail readiness, then a preStop sleep longer than endpoint propagation)."
	}
	return []report.Finding{f}
}

// upperFirst capitalises s's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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

// streamsCutByAge: streams outlived the server's age limit + grace.
func streamsCutByAge(d *diagnosis) []report.Finding {
	failed := d.maxAgeFailures()
	aged := d.drainsOf(drainAge)
	if !d.s.Kind.Streaming() || failed == 0 || len(aged) == 0 {
		return nil
	}
	age := aged[0].t.Age
	ev := []report.Evidence{{Name: "streams cut", Value: fmt.Sprintf("%d of %d (%s)", failed, d.s.Count, report.Percent(failed, d.s.Count))}}
	if age.Count > 0 {
		ev = append(ev, report.Evidence{Name: "connection age at GOAWAY", Value: spreadText(age)})
	}
	if h := d.s.Series[report.SeriesStreamDuration]; h != nil && h.Count > 0 {
		ev = append(ev, report.Evidence{Name: "longest stream", Value: report.FormatDuration(h.Max)})
	}
	if words := d.ageCutWords(); len(words) > 0 {
		ev = append(ev, report.Evidence{Name: "how they ended", Value: strings.Join(words, "; ")})
	}
	f := report.Finding{ID: "streams_cut_by_age", Severity: report.SeverityWarn, Evidence: ev,
		Title: fmt.Sprintf("%d of %d streams were cut when %s retired their connection (age limit + grace)", failed, d.s.Count, d.serverName()),
		Cause: fmt.Sprintf("%s closes a connection at its age limit (about %s here, with ±10%% jitter) plus a grace "+
			"period, and cuts whatever still runs on it then: grpc-go and grpc-js close the connection (UNAVAILABLE "+
			"\"received prior goaway\" or EOF), C-core resets the streams (RST_STREAM NO_ERROR, or UNAVAILABLE with its own "+
			"word such as \"enter idle\"). No stream outlives age + grace.", upperFirst(d.serverName()), report.Approx(typical(age))),
		Fix: fmt.Sprintf("Raise the server's grace (%s) above the longest stream you expect, or have the server end "+
			"streams cleanly before it. Clients of long-lived streams must reopen them on UNAVAILABLE: a retry policy "+
			"does not resume a stream that has already received messages.", d.option("grace after its age limit", func(s stack) string { return s.grace }))}
	if failed*10 >= d.s.Count {
		f.Severity = report.SeverityError
	}
	return []report.Finding{f}
}

// ageCutWords are the messages streams ended with at an age limit's
// grace that do not cite a GOAWAY: a reset NO_ERROR, a server's own word.
var ageCutWords = []string{"RST_STREAM with error code: NO_ERROR", "enter idle", "max_age"}

// ageCutWords lists the distinct stream ends of the run that an age limit's
// grace explains, with counts.
func (d *diagnosis) ageCutWords() []string {
	var out []string
	for _, e := range d.s.ErrorsByMessage {
		if strings.Contains(e.Message, "received prior goaway") || containsAny(e.Message, ageCutWords) {
			out = append(out, fmt.Sprintf("%s ×%d", cut(oneLine(e.Shown()), 100), e.Count))
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// maxAgeFailures counts calls that failed at an age limit: those citing a
// drain when age is the only drain seen (or citing max_age), and streams
// reset NO_ERROR or ended with a server's own word at the grace.
func (d *diagnosis) maxAgeFailures() int64 {
	if len(d.drainsOf(drainAge)) == 0 {
		return d.failed(event.CauseDrainMaxAge)
	}
	n := d.failed(event.CauseDrainMaxAge)
	others := 0
	for _, dr := range d.drains() {
		if dr.kind != drainAge && dr.code == "NO_ERROR" {
			others++
		}
	}
	if others == 0 {
		n += d.failed(event.CauseDrain)
	}
	for _, e := range d.s.ErrorsByMessage {
		if !strings.Contains(e.Message, "received prior goaway") && containsAny(e.Message, ageCutWords) {
			n += e.Count
		}
	}
	return n
}

// maxAgeRecycling: the server (or a proxy) recycles connections by age,
// told by the connections' ages at the GOAWAYs, whatever their code and
// debug data.
func maxAgeRecycling(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, dr := range d.drainsOf(drainAge) {
		out = append(out, d.ageFinding(dr))
	}
	return out
}

func (d *diagnosis) ageFinding(dr drain) report.Finding {
	age := dr.t.Age
	x := typical(age)
	failed := d.maxAgeFailures()
	ev := []report.Evidence{{Name: reasonText(dr), Value: fmt.Sprint(dr.n)}}
	if age.Count > 0 {
		ev = append(ev, report.Evidence{Name: "connection age at GOAWAY", Value: spreadText(age)})
	}
	if dr.t.Sentinels > 0 {
		ev = append(ev, report.Evidence{Name: "first GOAWAY's last_stream_id", Value: "2147483647 (the graceful-shutdown sentinel), then the real last id"})
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
	who, option := d.serverName(), d.option("connection age limit", func(s stack) string { return s.age })
	if d.drainByProxy(dr) {
		who = "the intermediary (" + d.peer().Intermediary + ")"
		option = "its connection age limit"
		if o, ok := proxyOpts(d.peer().Intermediary); ok && o.age != "" {
			option = o.age
		}
	}
	f := report.Finding{ID: "max_age_recycling", Severity: report.SeverityInfo, Evidence: ev,
		Title: fmt.Sprintf("%s recycles connections %s (a connection age limit); no call failed", upperFirst(who), every),
		Cause: fmt.Sprintf("The GOAWAYs came when the connections were about %s old, whatever was happening on them: "+
			"%s, with jitter (±10%% in grpc-go, grpc-js and C-core: ages from %s to %s are one setting). At "+
			"that age %s sends %s, lets calls in flight finish within a grace period, and the client reconnects. "+
			"This is normal: it is what lets clients rebalance onto new backends.",
			report.Approx(x), option, report.Approx(x*9/10), report.Approx(x*11/10), who, reasonText(dr)) + sentinelNote(dr),
		Fix: fmt.Sprintf("Nothing to do. If reconnecting costs too much latency, raise %s.", option)}
	switch {
	case failed > 0 && d.s.Kind.Streaming():
		f.Title = fmt.Sprintf("%s recycles connections %s (a connection age limit)", upperFirst(who), every)
		f.Fix = "See the finding on streams cut by age."
	case failed > 0:
		f.Severity = report.SeverityWarn
		f.Title = fmt.Sprintf("%s recycles connections %s (a connection age limit); %s failed at the hand-over", upperFirst(who), every, callsText(failed))
		f.Cause += fmt.Sprintf(" Still, %s failed: they were in flight when the grace period ran out, or raced the "+
			"GOAWAY where grpc-go could not retry them transparently.", callsText(failed))
		f.Fix = fmt.Sprintf("Give the grace period (%s) more time than the longest call, and retry idempotent methods on "+
			"UNAVAILABLE (--retry-max-attempts 3 --retry-codes UNAVAILABLE, or a retryPolicy in the service config).",
			d.option("grace after its age limit", func(s stack) string { return s.grace }))
	}
	return f
}

// idleClosed: the server closes idle connections, told by the same
// silence before each GOAWAY, whatever its code (NO_ERROR without debug
// data, grpc-go's "max_idle", C-core's INTERNAL_ERROR "enter idle"). An
// HTTP/2 proxy's idle timer is intermediaryIdle's.
func idleClosed(d *diagnosis) []report.Finding {
	var out []report.Finding
	for _, dr := range d.drainsOf(drainIdle) {
		if d.drainByProxy(dr) {
			continue
		}
		out = append(out, d.idleServerFinding(dr))
	}
	return out
}

// idleLimit is the idle limit the silences before idle GOAWAYs tell: their
// typical value, or, from a stack whose timer re-arms (rearmed), the
// shortest: the longer ones are the limit twice.
func (d *diagnosis) idleLimit(silence report.Spread) (limit time.Duration, rearmed bool) {
	if st, ok := d.stack(); ok && st.idleRearm && silence.Count > 1 && !clustered(silence.Min, silence.Max) {
		return silence.Min, true
	}
	return typical(silence), false
}

func (d *diagnosis) idleServerFinding(dr drain) report.Finding {
	idle := dr.quiet()
	x, rearmed := d.idleLimit(idle)
	st, ok := d.stack()
	ev := []report.Evidence{{Name: reasonText(dr), Value: fmt.Sprint(dr.n)}}
	if idle.Count > 0 {
		ev = append(ev, report.Evidence{Name: "silence before GOAWAY", Value: spreadText(idle)})
	}
	ev = append(ev, d.reconnectEvidence()...)
	failed := d.failed(event.CauseDrainMaxIdle)
	ev = addCount(ev, "calls failed by it", failed)
	known := d.peer().Implementation != "unknown" || dr.debug != ""
	who := d.serverName()
	if !known {
		who = "the server (or a proxy in front of it)"
	}
	option := d.option("idle limit", func(s stack) string { return s.idle })
	f := report.Finding{ID: "idle_closed", Severity: report.SeverityInfo, Evidence: ev,
		Title: fmt.Sprintf("%s closes connections idle for ~%s (%s)", upperFirst(who), report.Approx(x), reasonText(dr)),
		Cause: fmt.Sprintf("Each of these GOAWAYs came after the same ~%s without a call on the connection: "+
			"%s. The next call waits for a new connection. Keepalive pings do not count as activity. This is "+
			"benign.", report.Approx(x), option),
		Fix: fmt.Sprintf("Nothing to do, unless the reconnect on the first call after a pause matters: then raise %s, "+
			"or keep a call on each connection more often than every %s.", option, report.Approx(x))}
	if ok && st.idleLate {
		f.Cause += fmt.Sprintf(" %s checks its idle timer periodically and closes between the limit and twice it, "+
			"so the setting is between ~%s and ~%s.", st.name, report.Approx(typical(idle)/2), report.Approx(typical(idle)))
	} else if rearmed {
		f.Cause = strings.Replace(f.Cause, "the same ~"+report.Approx(x), "~"+report.Approx(x)+" or twice it", 1)
		f.Cause += fmt.Sprintf(" %s closes at the limit, or at twice it when its timer fires a moment early and "+
			"re-arms (%s here), so the setting is ~%s, the shortest silence.", st.name, report.Approx(idle.Max), report.Approx(x))
	}
	if dr.code != "NO_ERROR" {
		f.Cause += fmt.Sprintf(" The code %s looks alarming but is harmless here: ", dr.code)
		if dr.code == "INTERNAL_ERROR" && (dr.debug == "enter idle" || dr.debug == "max_idle") {
			f.Cause += "it is how C-core closes an idle connection (its idle filter), and no call was on it."
		} else {
			f.Cause += "the connection had no call when it came."
		}
	}
	if !known {
		f.Cause += " Nothing on the wire names who sent it; an HTTP/2 proxy's idle timer looks the same (nginx " +
			"keepalive_timeout, haproxy timeout http-keep-alive, Envoy idle_timeout)."
	}
	if failed > 0 {
		f.Severity = report.SeverityWarn
	}
	return f
}
