package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner"
)

// ProbeSchema is the version of the diagnose report's JSON.
const ProbeSchema = "grpcpulse.diagnose/v1"

// ProbeMeta is what the diagnose command knows besides the recorder that
// took the probe's connection events.
type ProbeMeta struct {
	Target            string
	Options           runner.Target
	Duration          time.Duration
	Result            runner.ProbeResult
	Tool, GRPCVersion string
}

// Probe is the outcome of `grpcpulse diagnose` as plain data: what each
// check found, the connections' events and the findings.
type Probe struct {
	Schema       string             `json:"schema"`
	Tool         Tool               `json:"tool"`
	Target       string             `json:"target"`
	StartedAt    Timestamp          `json:"started_at"`
	Duration     time.Duration      `json:"duration_ns"`
	Options      runner.Target      `json:"options"`
	Result       runner.ProbeResult `json:"probe"`
	Checks       []Check            `json:"checks"`
	Connectivity *Connectivity      `json:"connectivity"`
	Connections  []Connection       `json:"connections"`
	Findings     []Finding          `json:"findings"`
	summary      *Summary
}

// CheckResult is what a check of the probe found.
type CheckResult string

// The results of a check.
const (
	CheckPass    CheckResult = "pass"     // tested, and fine
	CheckFail    CheckResult = "fail"     // tested, and a problem
	CheckSeen    CheckResult = "seen"     // a behaviour of the server, observed (a limit and its value)
	CheckNotSeen CheckResult = "not_seen" // not observed within the probe's time: not ruled out
	CheckSkipped CheckResult = "skipped"  // could not be tested (Detail says why)
)

// Check is one question the probe answers.
type Check struct {
	ID     string      `json:"id"`
	Result CheckResult `json:"result"`
	Title  string      `json:"title"`
	Detail string      `json:"detail"`
}

// probeRoles names what each probe connection does.
var probeRoles = map[int]string{
	runner.ProbeStream: "holds an open stream that carries no data",
	runner.ProbeIdle:   "stays idle (reconnected at once when closed)",
	runner.ProbeBusy:   "makes a short call every second",
}

// SummarizeProbe turns a finished probe into a Probe. rec is the recorder
// the probe reported its events to (Begin and End called around it).
func SummarizeProbe(rec *Recorder, meta ProbeMeta) *Probe {
	s := Summarize(rec, Meta{Target: meta.Target, Kind: runner.Unary,
		Options: runner.Options{Target: meta.Options}, Notes: meta.Options.Notes(),
		Tool: meta.Tool, GRPCVersion: meta.GRPCVersion})
	p := &Probe{Schema: ProbeSchema, Tool: s.Tool, Target: meta.Target, StartedAt: s.StartedAt,
		Duration: s.Duration, Options: s.Options.Target, Result: meta.Result,
		Connectivity: s.Connectivity, Connections: s.Connections, Findings: s.Findings, summary: s}
	p.Checks = probeChecks(p, meta.Duration)
	return p
}

// probeChecks answers the probe's questions from what it saw. It is a pure
// function of the Probe.
func probeChecks(p *Probe, asked time.Duration) []Check {
	conn := func(i int) Connection {
		for _, c := range p.Connections {
			if c.Index == i {
				return c
			}
		}
		return Connection{Index: i}
	}
	d := FormatDuration(p.Duration)
	if p.Result.Interrupted {
		d += " (interrupted; " + FormatDuration(asked) + " were asked)"
	}
	var checks []Check

	h := p.Result.Handshake
	if p.Result.HandshakeErr != "" {
		checks = append(checks, Check{"connect", CheckSkipped, "Connection set-up could not be timed step by step", p.Result.HandshakeErr})
	} else {
		steps := []string{"TCP " + FormatDuration(h.TCP)}
		if h.TLS > 0 {
			steps = append(steps, "TLS "+FormatDuration(h.TLS))
		}
		steps = append(steps, "HTTP/2 preface "+FormatDuration(h.HTTP2))
		checks = append(checks, Check{"connect", CheckPass, "Connection set-up: " + strings.Join(steps, " · "), ""})
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
	checks = append(checks, keepaliveCheck("keepalive_stream", "on an open stream", conn(runner.ProbeStream), kt, d, 3,
		p.Result.Stream == "", streamWhy))
	if p.Options.Keepalive.PermitWithoutStream {
		checks = append(checks, keepaliveCheck("keepalive_idle", "on an idle connection", conn(runner.ProbeIdle), kt, d, 4, false, idleWhy))
	} else {
		checks = append(checks, Check{"keepalive_idle", CheckSkipped, "Keepalive pings on an idle connection",
			"not tested: add --keepalive-permit-without-stream to ping connections without calls"})
	}

	idle := conn(runner.ProbeIdle)
	switch {
	case idle.GoAways["NO_ERROR max_idle"] > 0:
		checks = append(checks, Check{"idle_close", CheckSeen,
			"The server closes idle connections after ~" + goAwaySpread(p, "NO_ERROR max_idle", true) + " (MaxConnectionIdle, GOAWAY max_idle)", ""})
	case idle.Closes["peer_eof"]+idle.Closes["peer_reset"]+idle.Closes["timed_out"] > 0:
		life := "?"
		if idle.Lifetime != nil {
			life = FormatDuration(idle.Lifetime.Min)
		}
		checks = append(checks, Check{"idle_close", CheckSeen,
			"An idle connection was closed without GOAWAY after ~" + life,
			"a middlebox idle timeout (an L4 load balancer, NAT or firewall) or a server dropping idle connections; keepalive pings below that time keep connections open"})
	case len(otherCloses(idle)) > 0:
		checks = append(checks, Check{"idle_close", CheckNotSeen,
			"The idle connection was closed by something else (" + strings.Join(otherCloses(idle), ", ") + ") within " + d + ", so no idle limit was seen",
			"see the diagnosis below for what closed it; an idle limit cannot be ruled out until the idle connection stays open longer than it"})
	default:
		checks = append(checks, Check{"idle_close", CheckNotSeen, "No idle connection was closed within " + d,
			"a longer idle limit (AWS NLB: 350s, Azure LB: 4m) cannot be ruled out: run again with --duration above it"})
	}

	aged := false
	for _, c := range p.Connections {
		aged = aged || c.GoAways["NO_ERROR max_age"] > 0
	}
	if aged {
		checks = append(checks, Check{"max_age", CheckSeen,
			"The server recycles connections after ~" + goAwaySpread(p, "NO_ERROR max_age", false) + " (MaxConnectionAge, GOAWAY max_age)", ""})
	} else {
		checks = append(checks, Check{"max_age", CheckNotSeen, "No connection was recycled by age within " + d,
			"a MaxConnectionAge longer than the probe cannot be ruled out"})
	}

	checks = append(checks, streamCutCheck(p, conn(runner.ProbeStream), d))

	if rl := p.Connectivity.ReconnectLatency; rl != nil && rl.Count > 0 {
		checks = append(checks, Check{"reconnect", CheckSeen,
			fmt.Sprintf("Reconnects took p50 %s, max %s (%d)", FormatDuration(rl.P50), FormatDuration(rl.Max), rl.Count), ""})
	} else {
		checks = append(checks, Check{"reconnect", CheckNotSeen, "No connection was lost within " + d + ", so no reconnect was timed", ""})
	}

	busy := Check{"busy_calls", CheckPass, fmt.Sprintf("%d calls on the busy connection, none failed for the transport", p.Result.BusyCalls), ""}
	if p.Result.BusyFailures > 0 {
		busy = Check{"busy_calls", CheckFail, fmt.Sprintf("%d of %d calls on the busy connection failed with UNAVAILABLE",
			p.Result.BusyFailures, p.Result.BusyCalls), "see the diagnosis below"}
	}
	return append(checks, busy)
}

// keepaliveCheck says whether the server accepted the keepalive pings of
// one probe connection: it did if need pings were sent and answered, need
// being the ping at which a server that refuses them would have ended the
// connection (why says so, for the hint when fewer were seen; when skip,
// why says why the check was skipped).
func keepaliveCheck(id, where string, c Connection, every time.Duration, d string, need int64, skip bool, why string) Check {
	title := "Keepalive pings " + where
	switch {
	case every == 0:
		return Check{id, CheckSkipped, title, "keepalive is off"}
	case skip:
		return Check{id, CheckSkipped, title, why}
	case c.GoAways["ENHANCE_YOUR_CALM too_many_pings"] > 0:
		return Check{id, CheckFail, fmt.Sprintf("The server rejects keepalive pings every %s %s (GOAWAY too_many_pings)", FormatDuration(every), where),
			"see the diagnosis below for the safe setting"}
	}
	pings, acks := c.EventCounts[runner.EventPing], c.EventCounts[runner.EventPingAck]
	if pings >= need && acks >= need {
		return Check{id, CheckPass, fmt.Sprintf("The server accepts keepalive pings every %s %s (%d pings, %d answered, in %s)",
			FormatDuration(every), where, pings, acks, d), ""}
	}
	return Check{id, CheckNotSeen, fmt.Sprintf("Too few keepalive pings %s to tell (%d sent, %d answered, in %s)", where, pings, acks, d),
		fmt.Sprintf("%s: run with --duration of at least %s", why,
			FormatDuration(every*time.Duration(2*need+1)/2))}
}

// otherCloses names what closed c other than an idle limit: GOAWAYs of
// other reasons, and closes by the client (a keepalive timeout) or the
// kernel. Sorted; empty when nothing did.
func otherCloses(c Connection) []string {
	var out []string
	for reason, n := range c.GoAways {
		if reason != "NO_ERROR max_idle" && n > 0 {
			out = append(out, "GOAWAY "+reason)
		}
	}
	for reason, n := range c.Closes {
		if label, ok := CloseLabels[reason]; ok && n > 0 && reason != ClosePeerEOF && reason != ClosePeerReset && reason != CloseTimedOut {
			out = append(out, label)
		}
	}
	slices.Sort(out)
	return out
}

// streamCutCheck says whether the server cut the held stream at
// MaxConnectionAge + grace: a stream end citing max_age, or a GOAWAY
// max_age on the stream connection with the stream ending.
func streamCutCheck(p *Probe, c Connection, d string) Check {
	cited := ""
	for _, e := range p.Result.StreamEnds {
		if strings.Contains(e, "max_age") {
			cited = e
			break
		}
	}
	if cited == "" && (c.GoAways["NO_ERROR max_age"] == 0 || len(p.Result.StreamEnds) == 0) {
		return Check{"stream_cut", CheckNotSeen, "No stream was cut within " + d,
			"a MaxConnectionAge + grace longer than the probe cannot be ruled out"}
	}
	detail := "the held stream ended"
	if cited != "" {
		detail += ": " + cited
	}
	if life, ok := agedTransportLife(c); ok {
		return Check{"stream_cut", CheckSeen, "The server cuts streams after ~" + FormatDuration(life) + " (MaxConnectionAge + grace)", detail}
	}
	return Check{"stream_cut", CheckSeen, "The server cuts streams after ~" + goAwaySpread(p, "NO_ERROR max_age", false) +
		" (MaxConnectionAge) plus its grace", detail + "; the GOAWAY came at that age, and the stream was cut when the grace that follows ran out"}
}

// agedTransportLife is how long the first transport of c that got GOAWAY
// max_age lived, open to close: the held stream's lifetime, as the stream
// is opened as soon as the transport is. ok is false when its open or its
// close is not among the kept events.
func agedTransportLife(c Connection) (time.Duration, bool) {
	opened := map[int]time.Duration{}
	aged := map[int]bool{}
	for _, e := range c.Events {
		switch {
		case e.Kind == runner.EventOpen:
			opened[e.Transport] = e.At
		case e.Kind == runner.EventGoAway && e.Code == "NO_ERROR" && e.Debug == "max_age":
			aged[e.Transport] = true
		case e.Kind == runner.EventClose && aged[e.Transport]:
			if at, ok := opened[e.Transport]; ok {
				return e.At - at, true
			}
		}
	}
	return 0, false
}

// goAwaySpread is the typical age (or idle time) at GOAWAYs of a reason.
func goAwaySpread(p *Probe, reason string, idle bool) string {
	t, ok := p.Connectivity.GoAwayTiming[reason]
	if !ok {
		return "?"
	}
	s := t.Age
	if idle {
		s = t.Idle
	}
	if s.P50 > 0 {
		return FormatDuration(s.P50)
	}
	return FormatDuration(s.Mean)
}

// WriteProbeJSON writes p as indented JSON.
func WriteProbeJSON(w io.Writer, p *Probe) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// RenderProbeText writes p for a person at a terminal.
func RenderProbeText(w io.Writer, p *Probe, st Styles, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	t := &textReport{s: p.summary, st: st, width: width}
	t.line(st.Title.Render("grpcpulse diagnose → " + p.Target))
	t.line()
	t.field("Probed", t.st.Value.UnsetBold(), " · ", FormatDuration(p.Duration),
		"keepalive "+keepaliveShape(p.Options.Keepalive))
	t.heading("Checks")
	for _, c := range p.Checks {
		style := map[CheckResult]func(...string) string{CheckPass: st.Good.Render, CheckFail: st.Bad.Render,
			CheckSeen: st.Warn.Render, CheckNotSeen: st.Faint.Render, CheckSkipped: st.Faint.Render}[c.Result]
		t.line("  ", style(pad(strings.ToUpper(strings.ReplaceAll(string(c.Result), "_", " ")), 9)), c.Title)
		if c.Detail != "" {
			for _, l := range wrapText(c.Detail, t.width-13, allLines) {
				t.line("           ", st.Faint.Render(l))
			}
		}
	}
	if p.summary != nil {
		t.connections()
		t.line(st.Faint.Render(fmt.Sprintf("  #%d %s · #%d %s · #%d %s", runner.ProbeStream, probeRoles[runner.ProbeStream],
			runner.ProbeIdle, probeRoles[runner.ProbeIdle], runner.ProbeBusy, probeRoles[runner.ProbeBusy])))
		t.diagnosis()
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

func keepaliveShape(k runner.Keepalive) string {
	if k.Time == 0 {
		return "off"
	}
	s := "every " + FormatDuration(k.Effective()) + ", timeout " + FormatDuration(k.Timeout)
	if k.PermitWithoutStream {
		s += ", also when idle"
	}
	return s
}
