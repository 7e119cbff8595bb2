package text

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// RST_STREAM counts, silent windows, failed dials and a close's silence
// show on the connection's line and in its timeline.
func TestRenderTextConnectionTimeline(t *testing.T) {
	s := syntheticSummary(t, event.Unary)
	ms := func(i int) time.Duration { return time.Duration(i) * time.Millisecond }
	c := &s.Connections[0]
	c.RSTStreams = map[string]int64{"CANCEL": 2, "INTERNAL_ERROR": 5}
	c.SilentWindows = []report.SilentWindow{{From: ms(300), Until: ms(1200), Calls: 7, EndedBy: report.ClosePeerEOF, EndedAt: ms(1300), Silence: ms(1000)}}
	c.Events = []report.Event{
		{At: ms(-5), Event: event.Event{Kind: event.EventOpen, Transport: 1, Local: "a:1", Remote: "b:2"}},
		{At: ms(10), Event: event.Event{Kind: event.EventPing, Transport: 1}},
		{At: ms(20), Event: event.Event{Kind: event.EventRSTStream, Transport: 1, Code: "INTERNAL_ERROR"}},
		{At: ms(1300), Event: event.Event{Kind: event.EventClose, Transport: 1, Err: "EOF", Silence: ms(1000)}},
		{At: ms(1302), Event: event.Event{Kind: event.EventDial, Took: ms(1), Err: "dial tcp b:2: connect: connection\n refused"}},
	}
	s.Connectivity.Dials = &report.DialStats{Attempts: 3, Failed: map[event.Cause]int64{event.CauseRefused: 1}}
	var b bytes.Buffer
	if err := Render(&b, s, PlainStyles(), 80); err != nil {
		t.Fatal(err)
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") } // wrapping aside
	out := flat(b.String())
	for _, want := range []string{
		"RST_STREAM INTERNAL_ERROR ×5 · RST_STREAM CANCEL ×2",
		"silent 1s from +300ms (peer_eof)",
		"3 connection attempts, 1 failed",
		"-5ms  open       a:1 → b:2",
		"+20ms  rst_stream INTERNAL_ERROR",
		"+1.3s  close      silent 1s, EOF",
		"+1.3s  dial       took 1ms, dial tcp b:2: connect: connection refused",
	} {
		if !strings.Contains(out, flat(want)) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "+10ms ping") {
		t.Errorf("keepalive pings are in the timeline:\n%s", out)
	}
}
