// Package report measures a load test and renders its outcome.
//
// A Recorder (runner.Recorder) receives every finished call and
// per-message measurement of a run and keeps them in HdrHistograms of
// nanoseconds (1 µs to 1 h, 3 significant digits) and counters, in memory
// that does not grow with the number of calls: workers share a few shards,
// each with one set of histograms behind a mutex, and a ticker folds each
// second into a timeline Point. Snapshot reads the progress while the run
// goes on. Each failed call is also classified by transport cause
// (Classify: too_many_pings, goaway_draining max_age, keepalive_timeout,
// refused, deadline_while_ready...).
//
// The Recorder is also a conn.EventRecorder: ConnEvent receives the pool
// connections' events (opens, GOAWAYs, pings, state changes, closes) from
// transport goroutines, keeps the first and last 50 of each connection with
// exact counts, and measures reconnect latency, time unavailable and the
// connect backoff as they come.
//
// After the run, Summarize turns the Recorder and the Meta only the caller
// knows (target, options, versions, interruption, attempts, notes) into a
// Summary: plain data and the only input of the renderers. Its Connectivity
// adds up what the connections went through, and its Findings are
// Diagnose's reading of it: a pure function of the Summary that names what
// happened, the likely cause and the fix. WriteJSON writes it as the
// "grpcpulse.report/v1" JSON report (documented in docs/report.md), which
// embeds every histogram in HdrHistogram's compressed encoding so reports
// can be read back (ReadJSON), re-rendered and merged exactly. RenderText
// writes it for a person at a terminal, in PlainStyles or ColorStyles.
//
//	rec := report.NewRecorder(kind, opts.Load.Workers())
//	outcome, err := runner.Run(ctx, ..., rec)   // Begin, Worker, Call/Message, End
//	sum := report.Summarize(rec, report.Meta{..., Attempts: outcome.Attempts, Notes: opts.Target.Notes()})
//	report.RenderText(os.Stdout, sum, report.PlainStyles(), 80)
package report
