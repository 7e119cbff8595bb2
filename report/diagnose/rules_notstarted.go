package diagnose

import (
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
)

func init() { rules = append(rules, notStarted) }

// notStarted: the run made no call because it could not start (Summary's
// NotStarted): its error is the finding, its hint (the lines after the
// first) the fix.
func notStarted(d *diagnosis) []report.Finding {
	msg := strings.TrimSpace(d.s.NotStarted)
	if msg == "" {
		return nil
	}
	title, hint, _ := strings.Cut(msg, "\n")
	if hint == "" {
		hint = "Check the address, the TLS flags (--plaintext, --cacert) and that the server is running, then run again."
	}
	return []report.Finding{{ID: "not_started", Severity: report.SeverityError,
		Title:    "No call was made: " + title,
		Evidence: []report.Evidence{{Name: "target", Value: d.s.Target}},
		Cause: "The run stopped before its first call: it could not connect to the server, or could not read " +
			"the method's descriptors from it. The figures of this report are empty.",
		Fix: strings.Join(strings.Fields(hint), " ")}}
}
