package text

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/grpcpulse/grpcpulse/report"
)

// The columns of the comparison table: metric, base, new, diff, change,
// limit, verdict.
const (
	cmpMetricCols = 20
	cmpValueCols  = 10
	cmpChangeCols = 9
	cmpLimitCols  = 7
)

// RenderComparison writes c for a person at a terminal, width columns
// wide (0 means DefaultWidth). The output depends only on its arguments.
func RenderComparison(w io.Writer, c *report.Comparison, st Styles, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	t := &textReport{st: st, width: width}
	t.line(st.Title.Render(fmt.Sprintf("grpcpulse compare · %s %s", c.Kind, c.Method)))
	t.line()
	for _, side := range []struct {
		label string
		run   report.ComparedRun
	}{{"Base", c.Base}, {"New", c.New}} {
		t.field(side.label, st.Value.UnsetBold(), " · ", comparedRunParts(side.run)...)
	}
	t.line()
	head := pad("Metric", cmpMetricCols) + padLeft("Base", cmpValueCols) + padLeft("New", cmpValueCols) +
		padLeft("Diff", cmpValueCols) + padLeft("Change", cmpChangeCols) + padLeft("Limit", cmpLimitCols)
	t.line(st.Heading.Render(strings.TrimRight(head, " ")))
	t.compareRows(c.Rows)
	for _, m := range c.Methods {
		t.line()
		t.line(st.Heading.Render("Method " + m.Method))
		t.compareRows(m.Rows)
	}
	t.comparisonList("Regressions", st.Bad, c.Regressions)
	t.comparisonList("Load differences (compared anyway)", st.Warn, c.ShapeNotes)
	t.comparisonList("Notes", st.Faint, c.Notes)
	t.line()
	if c.Pass {
		t.line(st.Good.Render("PASS"), " ", comparisonVerdict(c))
	} else {
		t.line(st.Bad.Render("FAIL"), " ", comparisonVerdict(c))
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	return nil
}

// compareRows writes the rows of a comparison.
func (t *textReport) compareRows(rows []report.CompareRow) {
	for _, r := range rows {
		cells := padLeft(report.FormatValue(r.Unit, r.Base), cmpValueCols) + padLeft(report.FormatValue(r.Unit, r.New), cmpValueCols) +
			padLeft(report.FormatDiff(r.Unit, r.Diff), cmpValueCols) + padLeft(rowChange(r), cmpChangeCols) +
			padLeft(r.Limit, cmpLimitCols)
		verdict := ""
		switch {
		case r.Exceeded:
			verdict = "  " + t.st.Bad.Render("exceeded")
		case r.Limit != "":
			verdict = "  " + t.st.Good.Render("ok")
		}
		t.line(t.st.Label.Render(pad(r.Metric, cmpMetricCols)), cells, verdict)
	}
}

// list writes a headed list of wrapped lines; nothing when items is empty.
func (t *textReport) comparisonList(title string, style lipgloss.Style, items []string) {
	if len(items) == 0 {
		return
	}
	t.heading(title)
	for _, item := range items {
		for i, l := range wrapText(item, t.width-4, allLines) {
			prefix := "  - "
			if i > 0 {
				prefix = "    "
			}
			t.line(prefix, style.Render(l))
		}
	}
}

func comparedRunParts(r report.ComparedRun) []string {
	parts := []string{r.StartedAt.UTC().Format(time.RFC3339), report.FormatDuration(r.Duration)}
	if r.Label != "" {
		parts = append([]string{report.Printable(r.Label, true)}, parts...)
	}
	if r.Load != "" {
		parts = append(parts, strings.Split(r.Load, " · ")...)
	}
	if r.Sources > 1 {
		parts = append(parts, "merged from "+report.Plural(r.Sources, "run"))
	}
	if r.Tool != "" {
		parts = append(parts, "grpcpulse "+r.Tool)
	}
	return parts
}

// rowChange is the relative change of a row, or "" where it has none (a
// base of 0, and rates, whose changes are in percentage points).
func rowChange(r report.CompareRow) string {
	if r.Relative == nil || r.Unit == report.UnitFraction {
		return ""
	}
	return report.FormatRelative(*r.Relative)
}

func comparisonVerdict(c *report.Comparison) string {
	limits, over := countLimits(c.Rows)
	for _, m := range c.Methods { // a mix: each method's rows have the limits too
		l, o := countLimits(m.Rows)
		limits, over = limits+l, over+o
	}
	switch {
	case !c.Pass && over > 0:
		return fmt.Sprintf("%d of %s over the limit", over, report.Plural(limits, "limited metric"))
	case !c.Pass:
		return fmt.Sprintf("%s over the limit", report.Plural(len(c.Regressions), "metric"))
	case limits == 0:
		return "no limits were set"
	}
	return fmt.Sprintf("%s within the limits", report.Plural(limits, "metric"))
}

// countLimits counts the rows with a limit, and those over it.
func countLimits(rows []report.CompareRow) (limits, over int) {
	for _, r := range rows {
		if r.Limit != "" {
			limits++
			if r.Exceeded {
				over++
			}
		}
	}
	return limits, over
}

// RenderComparisonMarkdown writes c as GitHub-flavoured Markdown, for CI job
// pages (e.g. $GITHUB_STEP_SUMMARY).
func RenderComparisonMarkdown(w io.Writer, c *report.Comparison) error {
	var b strings.Builder
	mark := "✅ PASS"
	if !c.Pass {
		mark = "❌ FAIL"
	}
	fmt.Fprintf(&b, "### grpcpulse compare: %s\n\n", mark)
	fmt.Fprintf(&b, "`%s` (%s): %s\n\n", strings.ReplaceAll(c.Method, "`", "'"), c.Kind, cmpMarkdownText(comparisonVerdict(c)))
	for _, side := range []struct {
		label string
		run   report.ComparedRun
	}{{"Base", c.Base}, {"New", c.New}} {
		fmt.Fprintf(&b, "- **%s**: %s\n", side.label, cmpMarkdownText(strings.Join(comparedRunParts(side.run), " · ")))
	}
	cmpMarkdownRows(&b, c.Rows)
	for _, m := range c.Methods {
		fmt.Fprintf(&b, "\n**Method %s**\n", cmpMarkdownText(m.Method))
		cmpMarkdownRows(&b, m.Rows)
	}
	for _, sec := range []struct {
		title string
		items []string
	}{{"Regressions", c.Regressions}, {"Load differences (compared anyway)", c.ShapeNotes}, {"Notes", c.Notes}} {
		if len(sec.items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**\n\n", sec.title)
		for _, item := range sec.items {
			fmt.Fprintf(&b, "- %s\n", cmpMarkdownText(item))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	return nil
}

// cmpMarkdownRows writes the table of a comparison's rows.
func cmpMarkdownRows(b *strings.Builder, rows []report.CompareRow) {
	b.WriteString("\n| metric | base | new | diff | change | limit | |\n|---|--:|--:|--:|--:|--:|:-:|\n")
	for _, r := range rows {
		verdict := ""
		switch {
		case r.Exceeded:
			verdict = "❌"
		case r.Limit != "":
			verdict = "✅"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", cmpMarkdownText(r.Metric),
			report.FormatValue(r.Unit, r.Base), report.FormatValue(r.Unit, r.New), report.FormatDiff(r.Unit, r.Diff), rowChange(r),
			cmpMarkdownText(r.Limit), verdict)
	}
}

// cmpMarkdownText escapes what Markdown would read as markup or as a table
// cell's end.
var cmpMarkdownText = strings.NewReplacer(`\`, `\\`, "|", `\|`, "`", "'", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "\n", " ").Replace
