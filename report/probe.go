package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/conn"
)

// ProbeSchema is the version of the diagnose report's JSON.
const ProbeSchema = "grpcpulse.diagnose/v1"

// Probe is the outcome of `grpcpulse diagnose` as plain data: what each
// check found, the connections' events and the findings. Everything it
// renders from is in its exported fields, so a Probe read back with
// ReadProbeJSON renders as the original did.
type Probe struct {
	Schema       string           `json:"schema"`
	Tool         Tool             `json:"tool"`
	Target       string           `json:"target"`
	StartedAt    Timestamp        `json:"started_at"`
	Duration     time.Duration    `json:"duration_ns"`
	Options      conn.Target      `json:"options"`
	Result       conn.ProbeResult `json:"probe"`
	Checks       []Check          `json:"checks"`
	Connectivity *Connectivity    `json:"connectivity"`
	Connections  []Connection     `json:"connections"`
	Findings     []Finding        `json:"findings"`
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
	conn.ProbeStream: "holds an open stream that carries no data",
	conn.ProbeIdle:   "makes one call, then stays idle (reconnected at once when closed)",
	conn.ProbeBusy:   "makes a short call every second",
}

// NewProbe makes the Probe of a finished probe from the Summary of its
// recording (with its findings) and what the probe itself saw. Checks are
// left for the caller (diagnose.ProbeChecks).
func NewProbe(s *Summary, res conn.ProbeResult) *Probe {
	return &Probe{Schema: ProbeSchema, Tool: s.Tool, Target: s.Target, StartedAt: s.StartedAt,
		Duration: s.Duration, Options: s.Options.Target, Result: res,
		Connectivity: s.Connectivity, Connections: s.Connections, Findings: s.Findings}
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
	t := &textReport{s: p.view(), st: st, width: width}
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
	if p.Connectivity != nil { // a recorded probe has it; a hand-made one may not
		t.connections()
		t.line(st.Faint.Render(fmt.Sprintf("  #%d %s · #%d %s · #%d %s", conn.ProbeStream, probeRoles[conn.ProbeStream],
			conn.ProbeIdle, probeRoles[conn.ProbeIdle], conn.ProbeBusy, probeRoles[conn.ProbeBusy])))
		t.diagnosis()
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// view is the part of a Summary the shared text sections (connections,
// diagnosis) read, made from p's own fields.
func (p *Probe) view() *Summary {
	s := &Summary{Connectivity: p.Connectivity, Connections: p.Connections, Findings: p.Findings}
	s.Options.Target = p.Options
	return s
}

func keepaliveShape(k conn.Keepalive) string {
	if k.Time == 0 {
		return "off"
	}
	s := "every " + FormatDuration(k.Effective()) + ", timeout " + FormatDuration(k.Timeout)
	if k.PermitWithoutStream {
		s += ", also when idle"
	}
	return s
}
