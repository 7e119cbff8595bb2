package text

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// DefaultWidth is the width Render lays out for when given none.
const DefaultWidth = 80

const (
	labelWidth = 15   // the first column of tables
	maxErrors  = 5    // top errors shown
	maxConns   = 20   // connections shown
	allLines   = 1000 // wrapText without a cut: more lines than any text of the report
	distRows   = 12   // rows of the latency distribution
)

// Render writes s for a person at a terminal, width columns wide
// (0 means DefaultWidth). The output depends only on its arguments.
func Render(w io.Writer, s *report.Summary, st Styles, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	t := &textReport{s: s, st: st, width: width}
	t.header()
	t.findMax()
	if s.Count > 0 {
		t.percentiles()
		t.distribution()
	}
	t.methods()
	t.statusCodes()
	t.errors()
	t.connections()
	t.notes()
	t.assertions()
	t.diagnosis()
	_, err := io.WriteString(w, t.b.String())
	if err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

// textReport builds the report in memory, so a write error is returned once.
type textReport struct {
	s     *report.Summary
	st    Styles
	width int
	b     strings.Builder
}

func (t *textReport) line(parts ...string) {
	t.b.WriteString(strings.TrimRight(strings.Join(parts, ""), " "))
	t.b.WriteByte('\n')
}

func (t *textReport) heading(title string) {
	t.line()
	t.line(t.st.Heading.Render(title))
}

// fieldWidth is the label column of the header and notes.
const fieldWidth = 13

// field writes a "Label       value" line; a value too wide for the line is
// wrapped between its parts (joined by sep), under the value column.
func (t *textReport) field(label string, style lipgloss.Style, sep string, parts ...string) {
	room := max(t.width-fieldWidth, 20)
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case lipgloss.Width(cur+sep+p) <= room:
			cur += sep + p
		default:
			lines = append(lines, cur+strings.TrimRight(sep, " "))
			cur = p
		}
	}
	lines = append(lines, cur)
	for i, l := range lines {
		if i > 0 {
			label = ""
		}
		t.line(t.st.Label.Render(pad(label, fieldWidth)), style.Render(l))
	}
}

func (t *textReport) header() {
	s := t.s
	name := ""
	if s.Name != "" {
		name = report.Printable(s.Name, true) + " · "
	}
	kind := string(s.Kind) + " "
	if s.Kind == "" { // a run that never started: its method was not resolved
		kind = ""
	}
	t.line(t.st.Title.Render(fmt.Sprintf("grpcpulse · %s%s%s → %s · %s", name, kind, s.Method, s.Target, report.EngineText(s))))
	t.line()
	if len(s.Tags) > 0 {
		tags := report.TagList(s.Tags)
		for i, tag := range tags {
			tags[i] = report.Printable(tag, true)
		}
		t.field("Tags", t.st.Value.UnsetBold(), " · ", tags...)
	}
	t.field("Load", t.st.Value.UnsetBold(), " · ", report.LoadShape(s.Options, s.Kind)...)
	errStyle := t.st.Good
	if s.Errors > 0 {
		errStyle = t.st.Bad
	}
	t.line(t.st.Label.Render(pad("Calls", fieldWidth)), t.st.Value.Render(fmt.Sprintf("%d", s.Count)), " · ",
		t.st.Good.Render(fmt.Sprintf("ok %d", s.OK)), " · ",
		errStyle.Render(fmt.Sprintf("errors %d (%s)", s.Errors, report.Percent(s.Errors, s.Count))))
	t.line(t.st.Label.Render(pad("Throughput", fieldWidth)), t.st.Value.Render(report.FormatRate(s.RPS)+"/s"),
		" "+s.WindowText())
	if s.Kind.Streaming() {
		t.field("Messages", lipgloss.NewStyle(), " · ", fmt.Sprintf("sent %d", s.Messages.Sent), fmt.Sprintf("received %d", s.Messages.Received))
	}
	if s.Compression != nil {
		t.field("Compression", t.st.Value.UnsetBold(), " · ", report.CompressionParts(s.Compression)...)
	}
	t.field("Started", t.st.Faint, " ", s.StartedAt.UTC().Format(time.RFC3339))
}

// percentileColumns are the columns of the percentile table, widest set first.
var percentileColumns = [][]float64{
	{50, 75, 90, 95, 99, 99.9, 99.99, 100},
	{50, 90, 99, 99.9, 100},
	{50, 99, 100},
}

const cellWidth = 8

func (t *textReport) percentiles() {
	cols := percentileColumns[len(percentileColumns)-1]
	for _, c := range percentileColumns {
		if labelWidth+len(c)*cellWidth <= t.width {
			cols = c
			break
		}
	}
	t.line()
	head := pad("Percentiles", labelWidth)
	for _, p := range cols {
		head += padLeft(report.PercentileName(p), cellWidth)
	}
	t.line(t.st.Heading.Render(strings.TrimRight(head, " ")))
	row := func(label string, h *report.Histogram) {
		if h == nil {
			return
		}
		cells := ""
		for _, p := range cols {
			cells += padLeft(report.FormatDuration(h.Percentile(p)), cellWidth)
		}
		t.line(t.st.Label.Render(pad(label, labelWidth)), t.st.Value.Render(cells))
	}
	row("latency", t.s.Latency)
	row("service time", t.s.ServiceTime)
	for _, name := range report.SeriesOrder {
		row(strings.ReplaceAll(name, "_", " "), t.s.Series[name])
	}
}

func (t *textReport) distribution() {
	buckets := report.LogBuckets(t.s.Latency, distRows)
	if len(buckets) == 0 {
		return
	}
	t.heading("Latency distribution")
	var most int64
	for _, b := range buckets {
		most = max(most, b.Count)
	}
	// "  ≤ 1.23ms  " + bar + "  1234567  100.0%"
	const labelCols, countCols, pctCols = 12, 9, 8
	barWidth := max(t.width-labelCols-countCols-pctCols-2, 10)
	for _, b := range buckets {
		n := 0
		if b.Count > 0 {
			n = max(int(float64(b.Count)/float64(most)*float64(barWidth)+0.5), 1)
		}
		bar := strings.Repeat(t.st.BarChar, n) + strings.Repeat(" ", barWidth-n)
		t.line(t.st.Label.Render(pad("  ≤ "+report.FormatDuration(b.Upper), labelCols)),
			t.st.Bar.Render(bar),
			padLeft(fmt.Sprintf("%d", b.Count), countCols+2),
			t.st.Faint.Render(padLeft(report.Percent(b.Count, t.s.Latency.Count), pctCols)))
	}
}

func (t *textReport) statusCodes() {
	if len(t.s.StatusCodes) == 0 {
		return
	}
	t.heading("Status codes")
	for _, c := range t.s.StatusCodes {
		style := t.st.Good
		if c.Code != 0 {
			style = t.st.Bad
		}
		t.line("  ", style.Render(pad(report.CodeName(event.Code(c.Code)), 20)), padLeft(fmt.Sprintf("%d", c.Count), 10),
			t.st.Faint.Render(padLeft(report.Percent(c.Count, t.s.Count), 9)))
	}
}

// topErrors is the most common errors a report shows (at most maxErrors)
// and the heading that says how many there were.
func topErrors(s *report.Summary) (string, []report.ErrorCount) {
	errs := s.ErrorsByMessage
	if len(errs) > maxErrors {
		return fmt.Sprintf("Errors (top %d of %d)", maxErrors, len(errs)), errs[:maxErrors]
	}
	return "Errors", errs
}

func (t *textReport) errors() {
	title, errs := topErrors(t.s)
	if len(errs) == 0 {
		return
	}
	t.heading(title)
	codeWidth := 0
	for _, e := range errs {
		codeWidth = max(codeWidth, len(report.CodeName(event.Code(e.Code))))
	}
	for _, e := range errs {
		prefix := fmt.Sprintf("  %8d  %s  ", e.Count, pad(report.CodeName(event.Code(e.Code)), codeWidth))
		indent := strings.Repeat(" ", lipgloss.Width(prefix))
		for i, l := range wrapText(e.Shown(), t.width-len(indent), 3) {
			if i == 0 {
				t.line(t.st.Bad.Render(prefix), l)
			} else {
				t.line(indent, l)
			}
		}
	}
}

func (t *textReport) notes() {
	s := t.s
	if s.LateStarts == 0 && s.Aborted == 0 && s.Unstarted == 0 && s.PacerLate == 0 && !s.Interrupted && len(s.Sources) == 0 && s.StoppedBy == nil && s.Cut == 0 {
		return
	}
	t.line()
	if s.StoppedBy != nil {
		t.field("Stopped", t.st.Bad, " ", strings.Fields(fmt.Sprintf(
			"early at %s by --abort-on-fail, when %s failed", report.FormatDuration(s.StoppedBy.At), report.Printable(s.StoppedBy.Assertion, true)))...)
	}
	if n := len(s.Sources); n > 0 {
		t.field("Merged", t.st.Value.UnsetBold(), " ", strings.Fields(fmt.Sprintf(
			"from %s; histograms exact, per-second p50/p99 approximate", report.Plural(n, "report")))...)
	}
	if len(s.MergedTools) > 1 {
		t.field("Versions", t.st.Warn, " ", strings.Fields("the merged reports were made by different versions: "+report.Printable(report.ToolsText(s.MergedTools), true))...)
	}
	if note := report.LateStartsNote(s); note != "" {
		t.field("Late starts", t.st.Warn, " ", strings.Fields(note)...)
	}
	if note := report.UnstartedNote(s); note != "" {
		t.field("Unstarted", t.st.Bad, " ", strings.Fields(note)...)
	}
	if note := report.PacerLateNote(s); note != "" {
		t.field("Pacer late", t.st.Warn, " ", strings.Fields(note)...)
	}
	if report.ShowAborted(s) {
		t.field("Aborted", t.st.Warn, " ", strings.Fields(fmt.Sprintf(
			"%s in flight when the run stopped (%s)", report.Plural(int(s.Aborted), "call"), report.AbortedNote(s)))...)
	}
	if note := report.CutNote(s); note != "" {
		t.field("Cut", t.st.Bad, " ", strings.Fields(note)...)
	}
	if s.Interrupted {
		t.field("Interrupted", t.st.Warn, " ", strings.Fields(
			"the run was stopped before its end; the figures cover the part that ran")...)
	}
}

// assertions lists the CI gates and what was measured for each.
func (t *textReport) assertions() {
	if len(t.s.Assertions) == 0 {
		return
	}
	t.heading("Assertions")
	for _, a := range t.s.Assertions {
		verdict := t.st.Good.Render("PASS")
		if !a.Pass {
			verdict = t.st.Bad.Render("FAIL")
		}
		t.line("  ", verdict, "  ", pad(a.Expr, 28), " ", t.st.Faint.Render("measured "+a.Value))
	}
}

// pad and padLeft align plain text (before styling) to n columns.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-lipgloss.Width(s), 0))
}

func padLeft(s string, n int) string {
	return strings.Repeat(" ", max(n-lipgloss.Width(s), 0)) + s
}

// wrapText breaks s into at most maxLines lines of n columns, at the last
// space that fits (a word longer than a line is cut), marking a cut in the
// last line with an ellipsis.
func wrapText(s string, n, maxLines int) []string {
	n = max(n, 20)
	var lines []string
	r := []rune(s)
	for len(r) > n && len(lines) < maxLines-1 {
		cut := n
		for i := n; i > 0; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		lines = append(lines, string(r[:cut]))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
	}
	if len(r) > n {
		r = append(r[:n-1], '…')
	}
	return append(lines, string(r))
}
