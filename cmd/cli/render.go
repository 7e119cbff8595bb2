package cli

import (
	"io"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/html"
	"github.com/grpcpulse/grpcpulse/report/text"
)

// Format is one output format: its --format name, the -o extensions that
// pick it, and how a run's report renders in it.
type Format struct {
	Name string
	// Exts are the -o extensions that pick it, the first the one help names.
	Exts []string
	// HelpRank is the place of its extension in the -o help and errors.
	HelpRank int
	// Show reports that a run's report (run, `report show`, `report merge`)
	// renders in it; Summary does the rendering.
	Show    bool
	Summary func(w io.Writer, s *report.Summary, streams *IOStreams, output string) error
}

// Formats is the one table of output formats: --format's names and their
// order, -o's extensions, and the renderers of a run's report. Comparisons
// and probes render their own subsets (text, json, markdown) by name.
var Formats = []Format{
	{Name: "text", Exts: []string{".txt"}, HelpRank: 5, Show: true, Summary: func(w io.Writer, s *report.Summary, streams *IOStreams, output string) error {
		return text.Render(w, s, TextStyles(streams, output), TextWidth(streams, output))
	}},
	{Name: "json", Exts: []string{".json"}, HelpRank: 0, Show: true, Summary: summaryTo(report.WriteJSON)},
	{Name: "hgrm", Exts: []string{".hgrm"}, HelpRank: 4, Show: true, Summary: summaryTo(report.RenderHGRM)},
	{Name: "csv", Exts: []string{".csv"}, HelpRank: 3, Show: true, Summary: summaryTo(report.RenderCSV)},
	{Name: "markdown", Exts: []string{".md", ".markdown"}, HelpRank: 2, Show: true, Summary: summaryTo(text.RenderMarkdown)},
	{Name: "html", Exts: []string{".html", ".htm"}, HelpRank: 1, Show: true, Summary: summaryTo(html.RenderHTML)},
}

func summaryTo(render func(io.Writer, *report.Summary) error) func(io.Writer, *report.Summary, *IOStreams, string) error {
	return func(w io.Writer, s *report.Summary, _ *IOStreams, _ string) error { return render(w, s) }
}

// ShowFormats are the renderings of a run's report, in table order.
var ShowFormats = showFormats()

func showFormats() []string {
	var names []string
	for _, f := range Formats {
		if f.Show {
			names = append(names, f.Name)
		}
	}
	return names
}

// formatOf finds a format by name.
func formatOf(name string) (Format, bool) {
	i := slices.IndexFunc(Formats, func(f Format) bool { return f.Name == name })
	if i < 0 {
		return Format{}, false
	}
	return Formats[i], true
}

// RenderSummary writes s in format.
func RenderSummary(w io.Writer, s *report.Summary, format string, streams *IOStreams, output string) error {
	if f, ok := formatOf(format); ok && f.Summary != nil {
		return f.Summary(w, s, streams, output)
	}
	return Formats[0].Summary(w, s, streams, output)
}

// RenderProbe writes p in format: json, or else text.
func RenderProbe(w io.Writer, p *report.Probe, format string, streams *IOStreams, output string) error {
	if format == "json" {
		return report.WriteProbeJSON(w, p)
	}
	return text.RenderProbe(w, p, TextStyles(streams, output), TextWidth(streams, output))
}

// TextStyles colours the report as --color and the environment say
// (IOStreams.colorOutput).
func TextStyles(io *IOStreams, output string) text.Styles {
	if io.colorOutput(output) {
		return text.ColorStyles()
	}
	return text.PlainStyles()
}

// TextWidth is the width of a text report written to output: the terminal's
// (at most 120) on standard output, else 100.
func TextWidth(io *IOStreams, output string) int {
	if io.Width > 0 && (output == "" || output == "-") {
		return min(io.Width, 120)
	}
	return 100
}

func checkFormat(format string, allowed []string) error {
	if !slices.Contains(allowed, format) {
		return UsageErrorf("--format must be %s, not %q", orList(allowed), format)
	}
	return nil
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
