package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
)

// connIndent is where a connection's wrapped key events start.
const connIndent = 7

// connections writes the Connections section: what the pool went through
// in one line, then one line per connection (wrapped when its key events do
// not fit), then the backends when calls went to several.
func (t *textReport) connections() {
	conns := t.s.Connections
	if len(conns) == 0 {
		return
	}
	t.heading("Connections")
	if parts := ConnectivityParts(t.s.Connectivity); len(parts) > 0 {
		t.wrapped("  ", strings.Join(parts, " · "), t.st.Faint)
	}
	shown := conns[:min(len(conns), maxConns)]
	remoteWidth, callsWidth, transports := len("(unknown)"), 1, false
	for _, c := range shown {
		remoteWidth = max(remoteWidth, utf8.RuneCountInString(c.Remote))
		callsWidth = max(callsWidth, len(fmt.Sprint(c.Calls)))
		transports = transports || c.Transports > 0
	}
	timelines := 0
	for _, c := range shown {
		remote := cmp.Or(c.Remote, "(unknown)")
		errStyle := t.st.Faint
		if c.Errors > 0 {
			errStyle = t.st.Bad
		}
		head := []string{t.st.Label.Render(padLeft(fmt.Sprintf("#%d", c.Index), 5)), "  ", pad(remote, remoteWidth),
			fmt.Sprintf("  calls %*d  ", callsWidth, c.Calls), errStyle.Render(fmt.Sprintf("errors %d", c.Errors))}
		plain := fmt.Sprintf("%5s  %s  calls %*d  errors %d", fmt.Sprintf("#%d", c.Index), pad(remote, remoteWidth), callsWidth, c.Calls, c.Errors)
		if transports {
			more := fmt.Sprintf("  transports %d", c.Transports)
			if c.Lifetime != nil {
				more += "  lifetime " + lifetimeText(*c.Lifetime)
			}
			head, plain = append(head, more), plain+more
		}
		events := strings.Join(t.connParts(c), " · ")
		if events != "" && utf8.RuneCountInString(plain)+2+utf8.RuneCountInString(events) <= t.width {
			t.line(append(head, "  ", t.st.Label.Render(events))...)
		} else {
			t.line(head...)
			if events != "" {
				t.wrapped(strings.Repeat(" ", connIndent), events, t.st.Label)
			}
		}
		if timelines < timelineConns && len(c.Events) > 0 {
			timelines++
			t.timeline(c)
		}
	}
	if rest := len(conns) - len(shown); rest > 0 {
		t.line(t.st.Faint.Render(fmt.Sprintf("  … and %d more connections (see the JSON report)", rest)))
	}
	t.backends()
}

// wrapped writes text in style after prefix, wrapped under its first
// column.
func (t *textReport) wrapped(prefix, text string, style lipgloss.Style) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	for i, l := range wrapText(text, t.width-len(indent), allLines) {
		if i == 0 {
			t.line(prefix, style.Render(l))
		} else {
			t.line(indent, style.Render(l))
		}
	}
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
		parts = append(parts, fmt.Sprintf("%d events counted, not kept", c.DroppedEvents))
	}
	return parts
}

// connParts are a connection's key events: "GOAWAY max_age ×3 · reconnect
// 2.1ms".
func (t *textReport) connParts(c Connection) []string {
	var parts []string
	for _, r := range byCount(c.GoAways) {
		code, debug, _ := strings.Cut(r.key, " ")
		parts = append(parts, fmt.Sprintf("GOAWAY %s ×%d", cmp.Or(debug, code), r.n))
	}
	for _, r := range byCount(c.Closes) {
		if label := CloseLabel(r.key); label != "" {
			parts = append(parts, fmt.Sprintf("%s ×%d", label, r.n))
		}
	}
	for _, r := range byCount(c.ConnectFailures) {
		parts = append(parts, fmt.Sprintf("connect %s ×%d", strings.ReplaceAll(r.key, "_", " "), r.n))
	}
	if r := c.ReconnectLatency; r != nil {
		parts = append(parts, "reconnect "+FormatDuration(r.Mean))
	}
	if c.Unavailable > 0 {
		parts = append(parts, "unavailable "+FormatDuration(c.Unavailable))
	}
	for _, r := range byCount(c.RSTStreams) {
		parts = append(parts, fmt.Sprintf("RST_STREAM %s ×%d", r.key, r.n))
	}
	for _, w := range c.SilentWindows {
		if w.EndedBy != SilenceRunEnd {
			parts = append(parts, fmt.Sprintf("silent %s from %s (%s)", FormatDuration(w.Silence), RelTime(w.From), w.EndedBy))
		}
	}
	if c.StalledAt != nil {
		parts = append(parts, "silent from "+RelTime(*c.StalledAt))
	}
	if ka := t.s.Options.Target.Keepalive; c.KeepaliveTime > ka.Effective() && ka.Time > 0 {
		parts = append(parts, "keepalive now "+FormatDuration(c.KeepaliveTime))
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

// lifetimeText is "1.2s" for one transport, "48ms–52ms" for several.
func lifetimeText(s Spread) string {
	if s.Count == 1 || s.Min == s.Max {
		return FormatDuration(s.Max)
	}
	return FormatDuration(s.Min) + "–" + FormatDuration(s.Max)
}

func (t *textReport) backends() {
	bs := t.s.Backends
	if len(bs) < 2 {
		return
	}
	var total int64
	for _, b := range bs {
		total += b.Calls
	}
	parts := make([]string, 0, len(bs))
	for _, b := range bs[:min(len(bs), maxConns)] {
		parts = append(parts, fmt.Sprintf("%s %d (%s)", b.Remote, b.Calls, Percent(b.Calls, total)))
	}
	t.wrapped("  backends ", strings.Join(parts, " · "), t.st.Faint)
}

type keyCount struct {
	key string
	n   int64
}

// byCount orders counts most first, then by key.
func byCount[K ~string](m map[K]int64) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{string(k), n})
	}
	slices.SortFunc(out, func(a, b keyCount) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.key, b.key)) })
	return out
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
