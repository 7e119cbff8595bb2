package report

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// LoadShape says how the load was made, in the flags' vocabulary.
func LoadShape(o plan.Options, kind event.Kind) []string {
	l := o.Load
	pacer := l.Pacer()
	parts := []string{pacer.Describe(FormatRate)}
	if n := l.Workers(); n > 0 {
		parts = append(parts, Plural(n, "worker"))
	}
	if l.Connections > 0 {
		parts = append(parts, Plural(l.Connections, "connection"))
	}
	switch {
	case l.Total > 0 && l.Duration > 0:
		parts = append(parts, fmt.Sprintf("-n %d", l.Total), "-z "+FormatDuration(l.Duration))
	case l.Total > 0:
		parts = append(parts, fmt.Sprintf("-n %d", l.Total))
	case l.Duration > 0:
		parts = append(parts, "-z "+FormatDuration(l.Duration))
	case !pacer.Shaped():
		parts = append(parts, "until interrupted")
	}
	if l.Warmup > 0 {
		parts = append(parts, "warm-up "+FormatDuration(l.Warmup))
	}
	if kind == event.ClientStream || kind == event.Bidi {
		if o.Call.Messages > 0 {
			parts = append(parts, Plural(o.Call.Messages, "message")+"/stream")
		}
		if o.Call.StreamInterval > 0 {
			parts = append(parts, "every "+FormatDuration(o.Call.StreamInterval))
		}
		if o.Call.StreamDuration > 0 {
			parts = append(parts, "streams of "+FormatDuration(o.Call.StreamDuration))
		}
		if o.Call.StreamPacing == plan.PacingPingPong {
			parts = append(parts, "ping-pong")
		}
	}
	return parts
}

// PercentileName names percentile p as the reports do: "p99", "p99.9", "max".
func PercentileName(p float64) string {
	if p == 100 {
		return "max"
	}
	return "p" + strings.TrimPrefix(fmt.Sprintf("%g", p), "0")
}

// SeriesOrder is the order of the per-message series in the text report.
var SeriesOrder = []string{"first_message", "msg_gap", "msg_rtt", "send_time", SeriesStreamDuration}

// Plural writes n and noun, with an s unless n is 1: "1 call", "3 calls".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Agree is one when n is 1, else many: what agrees with a count in a
// sentence ("it was" or "they were").
func Agree(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// LateStartsNote is the renderers' sentence about the calls that started
// late (open loop), "" when none did.
func LateStartsNote(s *Summary) string {
	if s.LateStarts <= 0 {
		return ""
	}
	n := s.LateStarts
	return fmt.Sprintf("%s started after %s due%s, as every worker was busy; %s latency counts from when %s due",
		Plural(int(n), "call"), Agree(n, "it was", "they were"), lateByText(s.LateBy), Agree(n, "its", "their"), Agree(n, "it was", "they were"))
}

// lateByText is " (by 12ms)" for one late call, " (by p50 12ms, max 30ms)"
// for more; "" without the spread (a report written before it existed).
func lateByText(by *Spread) string {
	switch {
	case by == nil || by.Count == 0:
		return ""
	case by.Count == 1:
		return " (by " + FormatDuration(by.Max) + ")"
	}
	return " (by p50 " + FormatDuration(by.P50) + ", max " + FormatDuration(by.Max) + ")"
}

// UnstartedNote is the renderers' sentence about the calls due that never
// started, "" when none.
func UnstartedNote(s *Summary) string {
	if s.Unstarted <= 0 {
		return ""
	}
	return fmt.Sprintf("%s due within the run never started: every worker was held until the run ended", Plural(int(s.Unstarted), "call"))
}

// PacerLateNote is the renderers' sentence about the calls the client
// itself handed out late, "" when none.
func PacerLateNote(s *Summary) string {
	if s.PacerLate <= 0 {
		return ""
	}
	return fmt.Sprintf("grpcpulse itself handed out %s late%s (an overloaded client machine, not the server)",
		Plural(int(s.PacerLate), "call"), lateByText(s.PacerLateBy))
}

// Percent writes n as a percentage of of, with two decimals ("0%" when of
// is 0).
func Percent(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", float64(n)*100/float64(of))
}

// FormatRate writes a rate with one decimal below 100/s and none above.
func FormatRate(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return TrimZeros(r)
}

// ConnectivityParts says in a few words what the pool went through; none
// for a report without connection events.
func ConnectivityParts(c *Connectivity) []string {
	if c == nil || c.Connects == 0 && len(c.GoAways) == 0 && len(c.ConnectFailures) == 0 && c.Keepalive.Pings == 0 {
		return nil
	}
	parts := []string{Plural(int(c.Connects), "transport") + " opened"}
	if c.Reconnects > 0 {
		p := Plural(int(c.Reconnects), "reconnect")
		if h := c.ReconnectLatency; h != nil && h.Count > 0 {
			p += fmt.Sprintf(" (p50 %s, max %s)", FormatDuration(h.P50), FormatDuration(h.Max))
		}
		parts = append(parts, p)
	}
	if n := sum(c.GoAways); n > 0 {
		parts = append(parts, Plural(int(n), "GOAWAY"))
	}
	if n := sum(c.ConnectFailures); n > 0 {
		parts = append(parts, Plural(int(n), "failed connection attempt"))
	}
	if k := c.Keepalive; k.Pings > 0 {
		p := fmt.Sprintf("%s, %d answered", Plural(int(k.Pings), "keepalive ping"), k.Acks)
		if k.Acks > 0 {
			p += " (RTT max " + FormatDuration(k.RTTMax) + ")"
		}
		parts = append(parts, p)
	}
	if n := sum(c.RSTStreams); n > 0 {
		parts = append(parts, Plural(int(n), "RST_STREAM"))
	}
	if d := c.Dials; d != nil && sum(d.Failed) > 0 {
		parts = append(parts, fmt.Sprintf("%s, %d failed", Plural(int(d.Attempts), "connection attempt"), sum(d.Failed)))
	}
	if c.Unavailable > 0 {
		parts = append(parts, "unavailable "+FormatDuration(c.Unavailable))
	}
	if c.DroppedEvents > 0 {
		parts = append(parts, Plural(int(c.DroppedEvents), "event")+" counted, not kept")
	}
	return parts
}

// CloseLabel names a close reason worth a mention on a connection's line,
// or is "" for one that is not (the client's own, the end of a drain).
func CloseLabel(reason string) string { return closeLabels[reason] }

var closeLabels = map[string]string{
	ClosePingUnanswered: "ping unanswered",
	ClosePeerEOF:        "EOF",
	ClosePeerReset:      "reset",
	CloseTimedOut:       "timed out",
	CloseOther:          "closed",
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
