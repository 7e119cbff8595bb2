package text

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Bounds of the per-connection timelines in the text report: the JSON
// report has every kept event.
const (
	timelineConns = 4 // connections with a timeline
	timelineHead  = 4 // first notable events shown
	timelineTail  = 4 // last notable events shown
)

// notable reports whether e is worth a line of a timeline: keepalive pings
// and their answers, successful dials (each transport's open says it) and
// the runner's handshakes (the handshake table has their times) are not.
func notable(e report.Event) bool {
	switch e.Kind {
	case event.EventPing, event.EventPingAck, event.EventHandshake:
		return false
	case event.EventDial:
		return e.Err != ""
	}
	return true
}

// timeline writes a connection's notable events, the first and last few,
// as "+1.2s  goaway  NO_ERROR max_age, last stream 7"; nothing for a
// connection that only opened.
func (t *textReport) timeline(c report.Connection) {
	var evs []report.Event
	for _, e := range c.Events {
		if notable(e) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 || (len(evs) == 1 && evs[0].Kind == event.EventOpen) {
		return
	}
	indent := strings.Repeat(" ", connIndent)
	skipped := 0
	if len(evs) > timelineHead+timelineTail {
		skipped = len(evs) - timelineHead - timelineTail
	}
	for i, e := range evs {
		if skipped > 0 && i == timelineHead {
			t.line(indent, t.st.Faint.Render(fmt.Sprintf("… %d more events (see the JSON report)", skipped)))
		}
		if skipped > 0 && i >= timelineHead && i < timelineHead+skipped {
			continue
		}
		at := "+" + report.FormatDuration(e.At)
		if e.At < 0 {
			at = "-" + report.FormatDuration(-e.At) // before measurement: the initial connects, warm-up
		}
		at = padLeft(at, 8)
		head := fmt.Sprintf("%s  %-10s ", at, string(e.Kind))
		detail := cutText(EventDetail(e), t.width-connIndent-len(head))
		t.line(indent, t.st.Faint.Render(head), detail)
	}
}

// EventDetail says what an event carried, in a few words.
func EventDetail(e report.Event) string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch e.Kind {
	case event.EventState:
		add(e.State)
	case event.EventOpen:
		add(e.Local + " → " + e.Remote)
	case event.EventGoAway:
		add(strings.TrimSpace(e.Code + " " + e.Debug))
		add(fmt.Sprintf("last stream %d", e.LastStreamID))
	case event.EventRSTStream:
		add(e.Code)
	case event.EventDial:
		add("took " + report.FormatDuration(e.Took))
	case event.EventSettings:
		add(e.Settings) // the peer's HTTP/2 settings: grpc-go, nginx and haproxy differ
	case event.EventClose:
		if e.Unanswered > 0 {
			add("ping unanswered " + report.FormatDuration(e.Unanswered))
		}
		if e.Silence > 0 {
			add("silent " + report.FormatDuration(e.Silence))
		}
	}
	if e.Err != "" {
		add(strings.Join(strings.Fields(e.Err), " "))
	}
	return strings.Join(parts, ", ")
}

// cutText shortens s to n runes, with an ellipsis.
func cutText(s string, n int) string {
	if r := []rune(s); n > 1 && len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
