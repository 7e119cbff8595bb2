// Package record measures a run: its Recorder is the runner.Recorder and
// conn.EventRecorder that workers and transports report to, and it turns
// what it kept into a report.Summary.
//
// The Recorder receives every finished call and per-message measurement
// and keeps them in HdrHistograms of nanoseconds (1 µs to 1 h, 3
// significant digits) and counters, in memory that does not grow with the
// number of calls: workers share a few shards, each with one set of
// histograms behind a mutex, and a ticker folds each second of measurement
// into a timeline Point. Each failed call is counted by the transport cause
// the worker stamped on it (conn.Classify: one table of grpc-go's error
// texts, in runner/conn); the recorder only counts. Connection events (opens, GOAWAYs, pings, state
// changes, closes) go to an event log that keeps the first and last 50 of
// each pool connection with exact counts, and measures reconnect latency,
// time unavailable and the connect backoff as they come.
//
// Snapshot is the live Progress line; Summary(Meta) is the report.Summary
// of the run so far or, after End, of the run: Meta carries what only the
// caller knows (method, options, runner.Outcome, versions, notes). Summary
// leaves Findings empty: the diagnosis is report/diagnose's, and cmd calls
// it. Begun is closed at the start of measurement, for what is timed from
// it (report/gate's watcher).
package record
