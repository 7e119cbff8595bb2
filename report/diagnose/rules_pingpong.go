package diagnose

import (
	"fmt"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// The rule about ping-pong pacing against a method that does not answer
// each message.

func init() { rules = append(rules, pingPongUnanswered) }

// pingPongUnanswered: a bidi run with --stream-pacing pingpong sent first
// messages and no stream ever got an answer: each stream waited for an
// answer that never came until the run ended. The method does not answer
// each message (grpc.testing's FullDuplexCall with no responseParameters,
// an echo that answers at the end of the stream): not a frozen server.
func pingPongUnanswered(d *diagnosis) []report.Finding {
	s := d.s
	if !pingPongStarved(s) {
		return nil
	}
	ev := []report.Evidence{{Name: "messages sent", Value: fmt.Sprintf("%d, none answered", s.Messages.Sent)},
		{Name: "streams", Value: fmt.Sprintf("%d ended, %d in flight at the end", s.Count, s.Aborted)}}
	return []report.Finding{{ID: "pingpong_unanswered", Severity: report.SeverityError,
		Title:    "No stream got an answer to its first message: ping-pong pacing needs a method that answers each message",
		Evidence: ev,
		Cause: "With --stream-pacing pingpong each stream sends a message only once the answer to the one before " +
			"has come. This method answered none: it answers only at the end of the stream, or only when asked to " +
			"in the request (grpc.testing's FullDuplexCall answers each message as its responseParameters say, " +
			"none for {}), so every stream waited until the run ended.",
		Fix: "Use --stream-pacing pipeline, which sends without waiting for answers, or give -d the request " +
			"fields that make the server answer each message (e.g. {\"responseParameters\": [{\"size\": 1}]})."}}
}

// pingPongStarved reports whether s is a ping-pong run whose streams sent
// and never received: the stall rules then say nothing of a frozen server.
func pingPongStarved(s *report.Summary) bool {
	return s.Kind == event.Bidi && s.Options.Call.StreamPacing == plan.PacingPingPong &&
		s.Messages.Sent > 0 && s.Messages.Received == 0
}
