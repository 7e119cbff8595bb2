package cli

import (
	"io"
	"slices"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/html"
	"github.com/grpcpulse/grpcpulse/report/text"
)

// ShowFormats are the renderings of a saved report.
var ShowFormats = []string{"text", "json", "hgrm", "csv", "markdown", "html"}

// RenderSummary writes s in format.
func RenderSummary(w io.Writer, s *report.Summary, format string, streams *IOStreams, output string) error {
	switch format {
	case "json":
		return report.WriteJSON(w, s)
	case "hgrm":
		return report.RenderHGRM(w, s)
	case "csv":
		return report.RenderCSV(w, s)
	case "markdown":
		return text.RenderMarkdown(w, s)
	case "html":
		return html.RenderHTML(w, s)
	}
	return text.Render(w, s, TextStyles(streams, output), TextWidth(streams, output))
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
