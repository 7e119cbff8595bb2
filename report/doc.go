// Package report measures a load test and renders its outcome.
//
// A Recorder (runner.Recorder) receives every finished call and
// per-message measurement of a run and keeps them in HdrHistograms of
// nanoseconds (1 µs to 1 h, 3 significant digits) and counters, in memory
// that does not grow with the number of calls: workers share a few shards,
// each with one set of histograms behind a mutex, and a ticker folds each
// second into a timeline Point. Snapshot reads the progress while the run
// goes on.
//
// After the run, Summarize turns the Recorder and the Meta only the caller
// knows (target, options, versions, interruption) into a Summary: plain data
// and the only input of the renderers. WriteJSON writes it as the
// "grpcpulse.report/v1" JSON report (documented in docs/report.md), which
// embeds every histogram in HdrHistogram's compressed encoding so reports
// can be read back (ReadJSON), re-rendered and merged exactly. RenderText
// writes it for a person at a terminal, in PlainStyles or ColorStyles.
//
//	rec := report.NewRecorder(kind, opts.Load.Workers())
//	outcome, err := runner.Run(ctx, ..., rec)   // Begin, Worker, Call/Message, End
//	sum := report.Summarize(rec, report.Meta{...})
//	report.RenderText(os.Stdout, sum, report.PlainStyles(), 80)
package report
