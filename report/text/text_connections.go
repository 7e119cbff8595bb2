package text

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/grpcpulse/grpcpulse/report"
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
	if parts := report.ConnectivityParts(t.s.Connectivity); len(parts) > 0 {
		t.wrapped("  ", strings.Join(parts, " · "), t.st.Faint)
	}
	t.handshake()
	shown := conns[:min(len(conns), maxConns)]
	remoteWidth, callsWidth, transports := len("(unknown)"), 1, false
	for _, c := range shown {
		remoteWidth = max(remoteWidth, lipgloss.Width(c.Remote))
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
		if events != "" && lipgloss.Width(plain)+2+lipgloss.Width(events) <= t.width {
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
	indent := strings.Repeat(" ", lipgloss.Width(prefix))
	for i, l := range wrapText(text, t.width-len(indent), allLines) {
		if i == 0 {
			t.line(prefix, style.Render(l))
		} else {
			t.line(indent, style.Render(l))
		}
	}
}

// connParts are a connection's key events: "GOAWAY max_age ×3 · reconnect
// 2.1ms".
func (t *textReport) connParts(c report.Connection) []string {
	var parts []string
	for _, r := range byCount(c.GoAways) {
		code, debug, _ := strings.Cut(r.key, " ")
		parts = append(parts, fmt.Sprintf("GOAWAY %s ×%d", cmp.Or(debug, code), r.n))
	}
	for _, r := range byCount(c.Closes) {
		if label := report.CloseLabel(r.key); label != "" {
			parts = append(parts, fmt.Sprintf("%s ×%d", label, r.n))
		}
	}
	for _, r := range byCount(c.ConnectFailures) {
		parts = append(parts, fmt.Sprintf("connect %s ×%d", strings.ReplaceAll(r.key, "_", " "), r.n))
	}
	if r := c.ReconnectLatency; r != nil {
		parts = append(parts, "reconnect "+report.FormatDuration(r.Mean))
	}
	if c.Unavailable > 0 {
		parts = append(parts, "unavailable "+report.FormatDuration(c.Unavailable))
	}
	for _, r := range byCount(c.RSTStreams) {
		parts = append(parts, fmt.Sprintf("RST_STREAM %s ×%d", r.key, r.n))
	}
	for _, w := range c.SilentWindows {
		if w.EndedBy != report.SilenceRunEnd {
			parts = append(parts, fmt.Sprintf("silent %s from %s (%s)", report.FormatDuration(w.Silence), report.RelTime(w.From), w.EndedBy))
		}
	}
	if c.StalledAt != nil {
		parts = append(parts, "silent from "+report.RelTime(*c.StalledAt))
	}
	if ka := t.s.Options.Target.Keepalive; c.KeepaliveTime > ka.Effective() && ka.Time > 0 {
		parts = append(parts, "keepalive now "+report.FormatDuration(c.KeepaliveTime))
	}
	return parts
}

// lifetimeText is "1.2s" for one transport, "48ms–52ms" for several.
func lifetimeText(s report.Spread) string {
	if s.Count == 1 || s.Min == s.Max {
		return report.FormatDuration(s.Max)
	}
	return report.FormatDuration(s.Min) + "–" + report.FormatDuration(s.Max)
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
		parts = append(parts, fmt.Sprintf("%s %d (%s)", b.Remote, b.Calls, report.Percent(b.Calls, total)))
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
