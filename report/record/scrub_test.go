package record

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Summary scrubs the secrets of the run's options from what servers said,
// removes the target's credentials and escapes control characters.
func TestSummaryScrubsSecrets(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	c := runner.CallStats{Intended: t0, Start: t0, End: t0.Add(time.Millisecond), Code: codes.Unauthenticated,
		Err: status.Error(codes.Unauthenticated, "token tok-0123456789 of alice:pa55word expired\x1b[2J")}
	w.Call(&c)
	r.End(t0.Add(time.Second))
	o := plan.Options{
		Target:   plan.Target{Addr: "alice:pa55word@10.0.0.1:50051", Plaintext: true},
		Metadata: plan.Metadata{Headers: []string{"x-auth-token: tok-0123456789"}},
	}
	s := r.Summary(Meta{Method: "m", Options: o})
	var js bytes.Buffer
	if err := report.WriteJSON(&js, s); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"tok-0123456789", "pa55word", "\\u001b"} {
		if strings.Contains(js.String(), bad) {
			t.Errorf("the report holds %q", bad)
		}
	}
	if s.Target != "REDACTED@10.0.0.1:50051" || s.Options.Target.Addr != s.Target {
		t.Errorf("targets %q, %q", s.Target, s.Options.Target.Addr)
	}
}
