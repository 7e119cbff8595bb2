package record

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report/text"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// A healthy run through the real Recorder: connects before measurement,
// keepalive pings answered, the drain of a client-side idle close, no
// failures. It has no warning, no error, and says so in the text report.
func TestHealthyRunHasNoProblems(t *testing.T) {
	r := newTestRecorder(event.Unary, 2)
	ws := []runner.WorkerRecorder{r.Worker(0, 0), r.Worker(1, 1)}
	for c := range 2 {
		r.ConnEvent(event.Event{Conn: c, Transport: 1, Time: ms(-10), Kind: event.EventOpen, Remote: "10.0.0.1:50051"})
	}
	r.Begin(t0)
	for i := range 100 {
		c := okCall()
		c.Intended, c.Start, c.End = ms(float64(i*10)), ms(float64(i*10)), ms(float64(i*10+2))
		ws[i%2].Call(c)
		if i%20 == 0 {
			r.ConnEvent(event.Event{Conn: i % 2, Transport: 1, Time: ms(float64(i * 10)), Kind: event.EventPing})
			r.ConnEvent(event.Event{Conn: i % 2, Transport: 1, Time: ms(float64(i*10) + 0.2), Kind: event.EventPingAck, RTT: 200 * time.Microsecond})
		}
	}
	r.End(ms(1000))
	o := plan.Options{Target: plan.Target{Addr: "127.0.0.1:50051", Keepalive: plan.Keepalive{Time: time.Minute, Timeout: 10 * time.Second}}}
	s := summarize(r, Meta{Options: o, Notes: o.Target.Notes()})
	if len(s.Findings) != 0 {
		t.Errorf("healthy run has findings:\n%s", fmt.Sprint(s.Findings))
	}
	var b bytes.Buffer
	if err := text.Render(&b, s, text.PlainStyles(), 80); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nDiagnosis    no connection problems seen\n") || strings.Contains(b.String(), "ERROR") {
		t.Errorf("healthy text report:\n%s", b.String())
	}
}
