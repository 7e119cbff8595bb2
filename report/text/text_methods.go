package text

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/grpcpulse/grpcpulse/report"
)

// methods writes the per-method table of a mix (nothing for one method),
// within the width: the names lose the prefix they all share (said once,
// in the heading), and columns go, least telling first, until a row fits.
func (t *textReport) methods() {
	rows := report.MethodRows(t.s)
	if rows == nil {
		return
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r[0]
	}
	prefix := commonPrefix(names)
	if prefix != "" {
		t.heading("Methods of " + report.Printable(strings.TrimSuffix(prefix, "/"), true))
	} else {
		t.heading("Methods")
	}
	for i := range rows {
		rows[i] = slices.Clone(rows[i])
		rows[i][0] = strings.TrimPrefix(rows[i][0], prefix)
	}
	// Kind and Weight are left out: the weight shows in Share; the last
	// column (per-message series) goes on a line of its own.
	cols := []int{0, 3, 4, 6, 7, 8, 9, 10}
	widths := make([]int, len(report.MethodTableHead))
	for _, r := range append([][]string{report.MethodTableHead}, rows...) {
		for _, c := range cols {
			widths[c] = max(widths[c], ansi.StringWidth(r[c]))
		}
	}
	rowWidth := func() int {
		w := 2 + widths[0]
		for _, c := range cols[1:] {
			w += widths[c] + 2
		}
		return w
	}
	// Share, then p50, then Rate go first: calls, errors and the tail stay.
	for _, drop := range []int{4, 8, 7} {
		if rowWidth() <= t.width {
			break
		}
		cols = slices.DeleteFunc(cols, func(c int) bool { return c == drop })
	}
	if over := rowWidth() - t.width; over > 0 {
		widths[0] = max(widths[0]-over, 8) // the names are cut last
	}
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
			const indent = "    per message p99: "
			for i, l := range wrapText(r[len(r)-1], t.width-len(indent), 3) {
				if i > 0 {
					l = strings.Repeat(" ", len(indent)) + l
				} else {
					l = indent + l
				}
				t.line(t.st.Faint.Render(l))
			}
		}
	}
}

// commonPrefix is the prefix all names share up to a '/' or '.' (the
// service all methods of a mix belong to, or their package), so that what
// is left names each; "" when there is none, or a name would be left empty.
func commonPrefix(names []string) string {
	if len(names) < 2 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	cut := strings.LastIndexAny(p, "/.")
	if cut < 0 {
		return ""
	}
	p = p[:cut+1]
	for _, n := range names {
		if n == p {
			return ""
		}
	}
	return p
}
