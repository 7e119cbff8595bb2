package text

import (
	"fmt"

	"github.com/grpcpulse/grpcpulse/report"
)

// handshake writes how long connections took to set up, phase by phase;
// nothing when it was not measured.
func (t *textReport) handshake() {
	var h *report.Handshake
	if c := t.s.Connectivity; c != nil {
		h = c.Handshake
	}
	phases := h.Phases()
	if len(phases) == 0 {
		return
	}
	const nameWidth = 17
	t.line(t.st.Label.Render(fmt.Sprintf("  %-*s%8s%8s%8s%8s%10s", nameWidth, "handshake", "p50", "p90", "p99", "max", "count")))
	for _, p := range phases {
		t.line("  ", pad(p.Name, nameWidth), t.st.Value.Render(fmt.Sprintf("%8s%8s%8s%8s", report.FormatDuration(p.H.P50),
			report.FormatDuration(p.H.P90), report.FormatDuration(p.H.P99), report.FormatDuration(p.H.Max))),
			t.st.Faint.Render(fmt.Sprintf("%10d", p.H.Count)))
	}
}
