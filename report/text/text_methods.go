package text

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/grpcpulse/grpcpulse/report"
)

// methods writes the per-method table of a mix (nothing for one method).
func (t *textReport) methods() {
	rows := report.MethodRows(t.s)
	if rows == nil {
		return
	}
	t.heading("Methods")
	// Kind and Weight are left out: the weight shows in Share; the last
	// column (per-message series) goes on a line of its own.
	cols := []int{0, 3, 4, 6, 7, 8, 9, 10}
	widths := make([]int, len(report.MethodTableHead))
	for _, r := range append([][]string{report.MethodTableHead}, rows...) {
		for _, c := range cols {
			widths[c] = max(widths[c], ansi.StringWidth(r[c]))
		}
	}
	widths[0] = min(widths[0], max(t.width-56, 20))
	line := func(r []string, style func(...string) string) {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range cols {
			if i == 0 {
				b.WriteString(pad(ansi.Truncate(r[c], widths[c], "…"), widths[c]))
				continue
			}
			b.WriteString(padLeft(r[c], widths[c]+2))
		}
		t.line(style(b.String()))
	}
	line(report.MethodTableHead, t.st.Faint.Render)
	for _, r := range rows {
		line(r, t.st.Value.UnsetBold().Render)
		if r[len(r)-1] != "" {
			t.line(t.st.Faint.Render("    per message p99: " + r[len(r)-1]))
		}
	}
}
