package text

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

// findMax writes the breaking-point search: the verdict, the knee and a
// table of the steps; nothing for a run without one.
func (m *mdReport) findMax() {
	f := m.s.FindMax
	if f == nil {
		return
	}
	badge := "✅"
	if f.MaxRate == 0 {
		badge = "❌"
	}
	m.heading("Breaking point")
	slo := make([]string, len(f.SLO))
	for i, e := range f.SLO {
		slo[i] = mdCode(e)
	}
	lines := []string{
		fmt.Sprintf("%s **%s**\\", badge, mdEscape(report.FindMaxVerdict(f))),
		"SLO: " + strings.Join(slo, " · ") + "\\",
	}
	if pass, fail := f.Knee(); fail != nil {
		knee := fmt.Sprintf("Knee: at %s/s, %s", report.FormatRate(fail.Rate), fail.Reason)
		if pass != nil {
			knee = fmt.Sprintf("Knee: between %s/s and %s/s, %s", report.FormatRate(pass.Rate), report.FormatRate(fail.Rate), fail.Reason)
		}
		lines = append(lines, mdEscape(knee)+"\\")
	}
	lines = append(lines, mdEscape("Search: "+report.FindMaxShape(f)+"."))
	m.para(lines...)
	rows := make([][]string, 0, len(f.Steps))
	for _, st := range f.Steps {
		verdict := "✅ pass"
		if !st.Pass {
			verdict = "❌ **fail**"
		}
		rows = append(rows, []string{report.FormatRate(st.Rate) + "/s", report.FormatRate(st.RPS) + "/s",
			report.FormatDuration(st.P50), report.FormatDuration(st.P99), fmt.Sprint(st.Errors), verdict, mdEscape(report.StepFigures(st))})
	}
	m.table("rrrrrll", []string{"Rate", "Achieved", "p50", "p99", "Errors", "SLO", "Figures"}, rows)
}

// handshake writes how long connections took to set up, by phase.
func (m *mdReport) handshake() {
	var h *report.Handshake
	if c := m.s.Connectivity; c != nil {
		h = c.Handshake
	}
	phases := h.Phases()
	if len(phases) == 0 {
		return
	}
	rows := make([][]string, 0, len(phases))
	for _, p := range phases {
		rows = append(rows, []string{p.Name, report.FormatDuration(p.H.P50), report.FormatDuration(p.H.P90),
			report.FormatDuration(p.H.P99), report.FormatDuration(p.H.Max), fmt.Sprint(p.H.Count)})
	}
	m.table("lrrrrr", []string{"Handshake", "p50", "p90", "p99", "max", "Count"}, rows)
}
