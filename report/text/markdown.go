package text

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// markdownPercentiles are the columns of the Markdown percentile table.
var markdownPercentiles = []float64{50, 90, 99, 99.9, 100}

// RenderMarkdown writes s as a compact GitHub-flavoured Markdown summary,
// for CI job pages such as GitHub's step summary: the key figures, the
// percentiles, status codes, the top errors and the diagnosis's findings.
// It writes no HTML.
func RenderMarkdown(w io.Writer, s *report.Summary) error {
	m := &mdReport{s: s}
	m.header()
	m.assertions()
	m.findMax()
	m.percentiles()
	if rows := report.MethodRows(m.s); rows != nil {
		m.heading("Methods")
		m.table(report.MethodTableAlign, report.MethodTableHead, mdCells(rows))
	}
	m.statusCodes()
	m.errors()
	m.connections()
	m.findings()
	m.footer()
	if _, err := io.WriteString(w, m.b.String()); err != nil {
		return fmt.Errorf("writing markdown report: %w", err)
	}
	return nil
}

type mdReport struct {
	s *report.Summary
	b strings.Builder
}

// para writes a paragraph (or block) followed by a blank line.
func (m *mdReport) para(lines ...string) {
	for _, l := range lines {
		m.b.WriteString(l)
		m.b.WriteByte('\n')
	}
	m.b.WriteByte('\n')
}

// table writes a table; align holds one of "l" or "r" per column.
func (m *mdReport) table(align string, head []string, rows [][]string) {
	lines := []string{"| " + strings.Join(head, " | ") + " |"}
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
		if i < len(align) && align[i] == 'r' {
			seps[i] = "--:"
		}
	}
	lines = append(lines, "| "+strings.Join(seps, " | ")+" |")
	for _, r := range rows {
		lines = append(lines, "| "+strings.Join(r, " | ")+" |")
	}
	m.para(lines...)
}

func (m *mdReport) heading(title string) { m.para("#### " + title) }

func (m *mdReport) header() {
	s := m.s
	name := ""
	if s.Name != "" {
		name = mdEscape(s.Name) + ": "
	}
	m.para(fmt.Sprintf("### grpcpulse: %s%s → %s", name, mdCode(s.Method), mdCode(s.Target)))
	if len(s.Tags) > 0 {
		var tags []string
		for _, t := range report.TagList(s.Tags) {
			tags = append(tags, mdCode(t))
		}
		m.para("Tags: " + strings.Join(tags, " · "))
	}
	shape := append([]string{report.EngineText(s)}, report.LoadShape(s.Options, s.Kind)...)
	if s.Kind != "" { // "": a run that never started
		shape = append([]string{string(s.Kind)}, shape...)
	}
	if c := s.Compression; c != nil {
		shape = append(shape, "compression "+strings.Join(report.CompressionParts(c), ", "))
	}
	shape = append(shape, "started "+s.StartedAt.UTC().Format(time.RFC3339))
	m.para(mdEscape(strings.Join(shape, " · ")))
	rate := report.FormatRate(s.RPS) + "/s"
	if w := s.Window(); report.FormatDuration(w) != report.FormatDuration(s.Duration) {
		rate += " over " + report.FormatDuration(w) // -z, when calls in flight then made the run longer
	}
	m.table("rrrrrr", []string{"Calls", "OK", "Errors", "Error rate", "Throughput", "Duration"}, [][]string{{
		fmt.Sprint(s.Count), fmt.Sprint(s.OK), fmt.Sprint(s.Errors), report.Percent(s.Errors, s.Count),
		rate, report.FormatDuration(s.Duration),
	}})
	var notes []string
	if s.Kind.Streaming() {
		notes = append(notes, fmt.Sprintf("Messages: sent %d, received %d.", s.Messages.Sent, s.Messages.Received))
	}
	if n := len(s.Sources); n > 0 {
		notes = append(notes, fmt.Sprintf("Merged from %s.", report.Plural(n, "report")))
	}
	if s.StoppedBy != nil {
		notes = append(notes, fmt.Sprintf("❌ **Stopped early** at %s by `--abort-on-fail`, when %s failed.",
			report.FormatDuration(s.StoppedBy.At), mdCode(s.StoppedBy.Assertion)))
	}
	if s.Interrupted {
		notes = append(notes, "⚠️ **Interrupted**: the run was stopped before its end; the figures cover the part that ran.")
	}
	if s.Count > 0 && s.OK == 0 {
		notes = append(notes, "❌ **No call succeeded.**")
	}
	if note := report.LateStartsNote(s); note != "" {
		notes = append(notes, "Late starts: "+note+".")
	}
	if note := report.UnstartedNote(s); note != "" {
		notes = append(notes, "Unstarted: "+note+".")
	}
	if note := report.PacerLateNote(s); note != "" {
		notes = append(notes, "Pacer late: "+note+".")
	}
	if report.ShowAborted(s) {
		notes = append(notes, fmt.Sprintf("Aborted: %s in flight when the run stopped (%s).", report.Plural(int(s.Aborted), "call"), report.AbortedNote(s)))
	}
	if note := report.CutNote(s); note != "" {
		notes = append(notes, "Cut: "+note+".")
	}
	if len(notes) > 0 {
		// Lines of a block quote joined by hard breaks (two trailing spaces
		// would be invisible in the source; a backslash is GFM's own).
		for i := range notes[:len(notes)-1] {
			notes[i] += `\`
		}
		for i, n := range notes {
			notes[i] = "> " + n
		}
		m.para(notes...)
	}
}

func (m *mdReport) assertions() {
	as := m.s.Assertions
	if len(as) == 0 {
		return
	}
	failed := 0
	rows := make([][]string, 0, len(as))
	for _, a := range as {
		result := "✅ pass"
		if !a.Pass {
			result = "❌ **fail**"
			failed++
		}
		rows = append(rows, []string{result, mdCode(a.Expr), mdEscape(a.Value)})
	}
	if failed > 0 {
		m.heading(fmt.Sprintf("Assertions: %d of %d failed", failed, len(as)))
	} else {
		m.heading(fmt.Sprintf("Assertions: all %d passed", len(as)))
	}
	m.table("llr", []string{"Result", "Assertion", "Measured"}, rows)
}

func (m *mdReport) percentiles() {
	s := m.s
	if s.Count == 0 {
		return
	}
	head := []string{"Percentiles"}
	for _, p := range markdownPercentiles {
		head = append(head, report.PercentileName(p))
	}
	var rows [][]string
	row := func(label string, h *report.Histogram) {
		if h == nil || h.Count == 0 {
			return
		}
		r := []string{label}
		for _, p := range markdownPercentiles {
			r = append(r, report.FormatDuration(h.Percentile(p)))
		}
		rows = append(rows, r)
	}
	row("latency", s.Latency)
	row("service time", s.ServiceTime)
	for _, name := range report.SeriesOrder {
		row(strings.ReplaceAll(name, "_", " "), s.Series[name])
	}
	m.table("lrrrrr", head, rows)
}

func (m *mdReport) statusCodes() {
	if len(m.s.StatusCodes) == 0 {
		return
	}
	m.heading("Status codes")
	rows := make([][]string, 0, len(m.s.StatusCodes))
	for _, c := range m.s.StatusCodes {
		rows = append(rows, []string{report.CodeName(event.Code(c.Code)), fmt.Sprint(c.Count), report.Percent(c.Count, m.s.Count)})
	}
	m.table("lrr", []string{"Code", "Calls", "Share"}, rows)
}

func (m *mdReport) errors() {
	title, errs := topErrors(m.s)
	if len(errs) == 0 {
		return
	}
	m.heading(title)
	rows := make([][]string, 0, len(errs))
	for _, e := range errs {
		rows = append(rows, []string{fmt.Sprint(e.Count), report.CodeName(e.Code), mdCode(e.Shown())})
	}
	m.table("rll", []string{"Calls", "Code", "Message"}, rows)
}

func (m *mdReport) connections() {
	if parts := report.ConnectivityParts(m.s.Connectivity); len(parts) > 0 {
		m.para("**Connections**: " + mdEscape(strings.Join(parts, " · ")))
	}
	m.handshake()
}

// severityBadges mark a finding's severity for a reader skimming a job page.
var severityBadges = map[report.Severity]string{
	report.SeverityError: "❌ error",
	report.SeverityWarn:  "⚠️ warn",
	report.SeverityInfo:  "ℹ️ info",
}

func (m *mdReport) findings() {
	s := m.s
	if s.Connectivity == nil && len(s.Findings) == 0 {
		return
	}
	m.heading("Diagnosis")
	if len(s.Findings) == 0 {
		m.para("✅ No connection problems seen.")
		return
	}
	rows := make([][]string, 0, len(s.Findings))
	for _, f := range s.Findings {
		rows = append(rows, []string{cmp.Or(severityBadges[f.Severity], mdEscape(string(f.Severity))), mdEscape(f.Title)})
	}
	m.table("ll", []string{"Severity", "Finding"}, rows)
}

func (m *mdReport) footer() {
	parts := []string{"grpcpulse " + cmp.Or(m.s.Tool.Version, "(unknown version)")}
	if m.s.Tool.GRPCGo != "" {
		parts = append(parts, "grpc-go "+m.s.Tool.GRPCGo)
	}
	m.b.WriteString("_" + mdEscape(strings.Join(parts, " · ")) + "_\n")
}

// mdEscaper escapes what Markdown would read as markup, and the pipes that
// would end a table cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "#", `\#`, "~", `\~`, "\r", " ", "\n", " ",
)

// mdEscape makes s literal text in a paragraph or a table cell.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// mdCode writes s as a code span that a table cell can hold: delimited by
// more backticks than any run inside it, pipes escaped (GFM reads an
// escaped pipe in a cell's code span as a pipe), on one line.
func mdCode(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	if s == "" {
		return `""`
	}
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCells escapes the per-method rows for a Markdown table (method names in
// code spans).
func mdCells(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		c := make([]string, len(r))
		for j, v := range r {
			c[j] = mdEscape(v)
		}
		c[0] = mdCode(r[0])
		out[i] = c
	}
	return out
}
