package text

import (
	"fmt"
	"io"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// probeRoles names what each probe connection does.
var probeRoles = map[int]string{
	event.ProbeStream: "holds an open stream that carries no data",
	event.ProbeIdle:   "makes one call, then stays idle (reconnected at once when closed)",
	event.ProbeBusy:   "makes a short call every second",
}

// RenderProbe writes p for a person at a terminal.
func RenderProbe(w io.Writer, p *report.Probe, st Styles, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	t := &textReport{s: probeView(p), st: st, width: width}
	t.line(st.Title.Render("grpcpulse diagnose → " + p.Target))
	t.line()
	t.field("Probed", t.st.Value.UnsetBold(), " · ", report.FormatDuration(p.Duration),
		"keepalive "+keepaliveShape(p.Options.Keepalive))
	t.heading("Checks")
	for _, c := range p.Checks {
		style := map[report.CheckResult]func(...string) string{report.CheckPass: st.Good.Render, report.CheckFail: st.Bad.Render,
			report.CheckSeen: st.Warn.Render, report.CheckNotSeen: st.Faint.Render, report.CheckSkipped: st.Faint.Render}[c.Result]
		t.line("  ", style(pad(strings.ToUpper(strings.ReplaceAll(string(c.Result), "_", " ")), 9)), c.Title)
		if c.Detail != "" {
			for _, l := range wrapText(c.Detail, t.width-13, allLines) {
				t.line("           ", st.Faint.Render(l))
			}
		}
	}
	if p.Connectivity != nil { // a recorded probe has it; a hand-made one may not
		t.connections()
		t.line(st.Faint.Render(fmt.Sprintf("  #%d %s · #%d %s · #%d %s", event.ProbeStream, probeRoles[event.ProbeStream],
			event.ProbeIdle, probeRoles[event.ProbeIdle], event.ProbeBusy, probeRoles[event.ProbeBusy])))
		t.diagnosis()
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// probeView is the part of a Summary the shared text sections (connections,
// diagnosis) read, made from p's own fields.
func probeView(p *report.Probe) *report.Summary {
	s := &report.Summary{Connectivity: p.Connectivity, Connections: p.Connections, Findings: p.Findings}
	s.Options.Target = p.Options
	return s
}

func keepaliveShape(k plan.Keepalive) string {
	if k.Time == 0 {
		return "off"
	}
	s := "every " + report.FormatDuration(k.Effective()) + ", timeout " + report.FormatDuration(k.Timeout)
	if k.PermitWithoutStream {
		s += ", also when idle"
	}
	return s
}
