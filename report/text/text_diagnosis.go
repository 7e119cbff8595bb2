package text

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/grpcpulse/grpcpulse/report"
)

// diagIndent is where a finding's evidence, cause and fix start: after
// "  ERROR  ".
const diagIndent = 9

// diagnosis writes the findings, most severe first, each with its evidence,
// cause and fix; for a run without any, one line saying so. A report with
// no connection data (older than it) gets nothing.
func (t *textReport) diagnosis() {
	if t.s.Connectivity == nil {
		return
	}
	if len(t.s.Findings) == 0 {
		t.line()
		t.field("Diagnosis", t.st.Good, " ", "no connection problems seen")
		return
	}
	t.heading("Diagnosis")
	indent := strings.Repeat(" ", diagIndent)
	for i, f := range t.s.Findings {
		if i > 0 {
			t.line()
		}
		label, style := "INFO", t.st.Label
		switch f.Severity {
		case report.SeverityError:
			label, style = "ERROR", t.st.Bad
		case report.SeverityWarn:
			label, style = "WARN", t.st.Warn
		}
		for j, l := range wrapText(f.Title, t.width-diagIndent, allLines) {
			if j == 0 {
				t.line("  ", style.Render(pad(label, 5)), "  ", t.st.Value.Render(l))
			} else {
				t.line(indent, t.st.Value.Render(l))
			}
		}
		if len(f.Evidence) > 0 {
			parts := make([]string, len(f.Evidence))
			for k, e := range f.Evidence {
				parts[k] = e.Name + ": " + e.Value
			}
			t.wrapped(indent, strings.Join(parts, " · "), t.st.Faint)
		}
		t.labelled(indent+"Cause  ", f.Cause, lipgloss.NewStyle())
		t.labelled(indent+"Fix    ", f.Fix, lipgloss.NewStyle())
	}
}

// labelled writes "Cause  text…" with the text wrapped under itself.
func (t *textReport) labelled(prefix, text string, style lipgloss.Style) {
	if text == "" {
		return
	}
	label := strings.TrimLeft(prefix, " ")
	lead := prefix[:len(prefix)-len(label)]
	indent := strings.Repeat(" ", len(prefix))
	for i, l := range wrapText(text, t.width-len(prefix), allLines) {
		if i == 0 {
			t.line(lead, t.st.Label.Render(label), style.Render(l))
		} else {
			t.line(indent, style.Render(l))
		}
	}
}
