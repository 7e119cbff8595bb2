package diagnose

import "github.com/grpcpulse/grpcpulse/report"

// The rule about a run grpcpulse itself stopped: a fault of the tool's
// own, not the server's.

func init() { rules = append(rules, runFailed) }

// runFailed: a request template failed to render and the run stopped at
// once (Summary.Failure).
func runFailed(d *diagnosis) []report.Finding {
	if d.s.Failure == "" {
		return nil
	}
	ev := []report.Evidence{{Name: "error", Value: d.s.Failure}}
	ev = addCount(ev, "calls in flight cut", d.s.Aborted)
	return []report.Finding{{ID: "run_failed", Severity: report.SeverityError,
		Title:    "grpcpulse stopped the run at once: a request template failed to render",
		Evidence: ev,
		Cause: "A call's message or metadata (-d or -H with --template) could not be rendered, so that call, or that " +
			"message of its stream, could not be sent. The server is not at fault: grpcpulse stopped the run there, " +
			"cut the calls in flight, and the figures cover the calls before.",
		Fix: "Fix the template: the error names the request (and the stream message) that failed; " +
			"{{.RequestNumber}} and {{.MessageNumber}} are what it was rendered with."}}
}
