// Package gate decides whether a run passes: the CI gates of `run --assert`,
// the limits of `report compare`, and the watcher that stops a run at the
// first failed gate (--abort-on-fail).
//
// ParseAssertions parses assertions (k6 style: p(99)<250ms,
// error_rate<0.1%, msg_rtt.p(99)<20ms, status=UNAVAILABLE count==0) once;
// CheckKind refuses the series a method lacks; EvaluateAssertions checks
// them against a report.Summary into report.AssertionResults. ParseLimits
// and Compare compare a report with a baseline into a report.Comparison,
// refusing different load shapes (ErrShapeDiffers) unless forced. Watch
// checks assertions once a second from the start of measurement against
// the Summary so far, taking the recorder through two functions (when
// measurement began, and the Summary so far) rather than importing it.
//
// Metrics are named the same in assertions and comparison rows, and
// report.FormatValue writes their values.
package gate
