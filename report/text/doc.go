// Package text renders reports for people: Render writes a Summary for a
// terminal (in PlainStyles or ColorStyles, laid out for a given width),
// RenderMarkdown writes it as Markdown, RenderComparison and
// RenderComparisonMarkdown write a `report compare` Comparison, and
// RenderProbe writes the Probe of `grpcpulse diagnose`.
//
// The output depends only on the arguments: styles never look at the
// environment, and layout is done on plain text before any styling, so
// PlainStyles and ColorStyles differ only in escape codes. The wording
// shared with other renderers (FormatDuration, Plural, LoadShape...) lives
// in package report.
package text
