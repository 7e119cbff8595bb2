// Package report is the plain-data hub of a run's outcome: the Summary and
// its parts (Histogram, Spread, Point, Connection, Connectivity, Event,
// Backend, codes and errors), the Finding of a diagnosis, the names of
// transport closes, the results
// of gates as data (AssertionResult, Comparison) and the Probe of
// `grpcpulse diagnose`.
//
// It reads and writes those as JSON: WriteJSON writes the
// "grpcpulse.report/v1" report (docs/report.md), which embeds every
// histogram in HdrHistogram's compressed encoding; ReadJSON reads one back,
// validated, so that reports can be re-rendered and merged exactly
// (report/merge). Secret header values are redacted (RedactOptions) before
// any report holds them. The machine-readable renderers take an io.Writer
// and a *Summary: RenderCSV, RenderHGRM, WriteComparisonJSON and
// WriteProbeJSON; the ones for people are in report/text and report/html.
// The wording they share (FormatDuration, FormatRate, Plural, LoadShape...)
// is exported here once for the sub-packages.
//
// The sub-packages each own one step and meet only here:
//
//	report/record    the Recorder (runner.Recorder) → Summary
//	report/diagnose  Summary → Findings; a Probe → its Checks (pure rules)
//	report/gate      --assert and compare limits → AssertionResult, Comparison; the in-run watcher
//	report/html      Summary → a self-contained HTML page
//	report/text      Summary, Comparison, Probe → terminal text (lipgloss styles) and Markdown
//	report/merge     reports of runs made at the same time → one Summary
//
// cmd composes them; none imports another. This package and the
// sub-packages but record import, of grpcpulse, only the leaves
// runner/plan (the run's settings, copied into Summary.Options once by
// record) and runner/event (kinds, status codes, failure causes and GOAWAY
// reasons, connection events): no grpc-go, sprig, flag or engine package.
// report/record is the one adapter to the engine: it implements
// runner.Recorder. imports_test.go (at the module root) enforces this.
//
//	rec := record.New(kind, opts.Load.Workers())
//	out, err := r.Run(ctx, rec)                       // Begin, Worker, Call/Message, End
//	sum := rec.Summary(record.Meta{Options: r.Options(), Outcome: out, ...})
//	sum.Findings = diagnose.Findings(sum)
//	sum.Assertions = gate.EvaluateAssertions(sum, asserts)
//	text.Render(os.Stdout, sum, text.PlainStyles(), 80)
package report
