// Package diagnose reads what a run's connections went through and names
// what happened, the likely cause and the fix. Everything here is a pure
// function of plain data from package report: no I/O, no clock.
//
// Findings(s) runs the rules (rules.go: keepalive, blackholes, protocol
// mismatches, refusals, pinned backends, retries; rules_recycling.go:
// restarts, max-age and idle recycling) over a report.Summary and returns
// report.Findings, most severe first. It needs only the Summary, so a
// report written and read back gives the same findings.
//
// ProbeChecks answers the questions of `grpcpulse diagnose` from a
// report.Probe (the probe's Summary and event.ProbeResult): connection
// set-up, keepalive acceptance, idle and age limits, cut streams,
// reconnects and the busy connection's calls.
package diagnose
