package html

import (
	"cmp"
	"fmt"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// stateClasses colour a pool connection's connectivity states.
var stateClasses = map[string]string{
	"READY":             "st-ready",
	"IDLE":              "st-idle",
	"CONNECTING":        "st-connecting",
	"TRANSIENT_FAILURE": "st-failure",
	"SHUTDOWN":          "st-shutdown",
}

// connectionsSVG draws one row per pool connection over the run's time:
// its connectivity state as a band, and its events (transports opened,
// GOAWAYs, closes, keepalive pings, resets) as markers with tooltips.
// Nothing when no connection has events (a report older than them).
func connectionsSVG(s *report.Summary) string {
	conns := s.Connections[:min(len(s.Connections), htmlMaxConns)]
	var lo, hi time.Duration = 0, s.Duration
	hasEvents := false
	for _, cn := range conns {
		for _, e := range cn.Events {
			lo, hi, hasEvents = min(lo, e.At), max(hi, e.At), true
		}
		if cn.StalledAt != nil {
			hi = max(hi, *cn.StalledAt)
		}
	}
	if !hasEvents {
		return ""
	}
	hi = max(hi, lo+time.Millisecond)
	const rowH = 34.0
	a := plotArea{w: chartWidth, left: 215, right: 16, top: 40, bottom: 30}
	a.h = a.top + rowH*float64(len(conns)) + a.bottom
	c := newSVG(a.w, a.h, "Connection timeline")
	xs := scale{lo.Seconds(), hi.Seconds(), a.x0(), a.x1()}
	at := func(d time.Duration) float64 { return xs.at(d.Seconds()) }
	if lo < 0 {
		c.rect(at(lo), a.y1(), at(0)-at(lo), a.y0()-a.y1(), "pre", "before measurement: initial connects and warm-up")
		if at(0)-at(lo) > 90 {
			c.text((at(lo)+at(0))/2, a.y1()-4, "middle", "tick", "before measurement")
		}
	}
	for i := range conns {
		if i%2 == 1 {
			c.rect(0, a.y1()+float64(i)*rowH, a.w, rowH, "zebra", "")
		}
	}
	c.timeAxis(a, xs, a.y1())
	for i, cn := range conns {
		y := a.y1() + float64(i)*rowH + rowH/2
		remote := cmp.Or(cn.Remote, "(unknown)")
		if r := []rune(remote); len(r) > 24 {
			remote = string(r[:23]) + "…"
		}
		c.text(8, y-2, "start", "rowlabel", fmt.Sprintf("#%d %s", cn.Index, remote))
		sub := report.Plural(int(cn.Calls), "call") + " · " + report.Plural(int(cn.Errors), "error")
		if cn.Transports > 0 {
			sub += " · " + report.Plural(int(cn.Transports), "transport")
		}
		c.text(8, y+12, "start", "rowsub", sub)
		c.line(at(lo), y, at(hi), y, "baseline")
		connectionRow(c, cn, y, at, hi)
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	c.connLegend()
	return c.String()
}

// connectionRow draws one connection's states and events on the row at y.
func connectionRow(c *svgChart, cn report.Connection, y float64, at func(time.Duration) float64, end time.Duration) {
	const band = 10.0
	state, since := "", time.Duration(0)
	closeBand := func(to time.Duration, err string) {
		if state == "" || to < since {
			return
		}
		title := fmt.Sprintf("%s from %s to %s (%s)", state, report.RelTime(since), report.RelTime(to), report.FormatDuration(to-since))
		if err != "" {
			title += ": " + err
		}
		c.rect(at(since), y-band/2, max(at(to)-at(since), 1), band, "band "+cmp.Or(stateClasses[state], "st-other"), title)
	}
	var lastErr string
	gap := cn.DroppedEvents > 0 && len(cn.Events) > report.HeadEvents
	for i, e := range cn.Events {
		if gap && i == report.HeadEvents {
			closeBand(cn.Events[i-1].At, lastErr)
			from := at(cn.Events[i-1].At)
			c.rect(from, y-band, max(at(e.At)-from, 2), 2*band, "gap",
				fmt.Sprintf("%s between %s and %s %s counted but not kept", report.Plural(int(cn.DroppedEvents), "event"),
					report.RelTime(cn.Events[i-1].At), report.RelTime(e.At), report.Agree(cn.DroppedEvents, "was", "were")))
			state = ""
		}
		switch {
		case e.Kind == event.EventState:
			closeBand(e.At, lastErr)
			state, since, lastErr = e.State, e.At, e.Err
		case e.Kind == event.EventOpen && state == "":
			// The runner dials each connection to READY before it watches
			// it: the first READY is no event, the first open is. After
			// a gap of dropped events, an open is as good a sign.
			state, since, lastErr = "READY", e.At, ""
		}
	}
	closeBand(end, lastErr)

	for i, e := range cn.Events {
		x := at(e.At)
		when := " at " + report.RelTime(e.At)
		tr := ""
		if e.Transport > 0 {
			tr = fmt.Sprintf(" (transport %d)", e.Transport)
		}
		switch e.Kind {
		case event.EventPing:
			title := "keepalive ping" + tr + when + ", no answer kept"
			class := "ev-ping unanswered"
			for _, f := range cn.Events[i+1:] {
				if f.Kind == event.EventPingAck && f.Transport == e.Transport {
					title, class = fmt.Sprintf("keepalive ping%s%s, answered in %s", tr, when, report.FormatDuration(f.RTT)), "ev-ping"
					break
				}
				if f.Kind == event.EventPing && f.Transport == e.Transport {
					break
				}
			}
			c.el("path", fmt.Sprintf(`d="M%s %sv5" class="%s"`, num(x), num(y-band/2-7), class), title)
		case event.EventOpen:
			c.circle(x, y, 4.5, "ev-open", fmt.Sprintf("transport opened%s%s: %s → %s", tr, when, cmp.Or(e.Local, "?"), cmp.Or(e.Remote, "?")))
		case event.EventGoAway:
			title := fmt.Sprintf("GOAWAY %s %s%s%s, last stream %d", e.Code, e.Debug, tr, when, e.LastStreamID)
			c.path(goawayShape(x, y-10), "ev-goaway", title)
		case event.EventClose:
			class := "ev-close"
			if e.Err == event.ClosedByClient && e.Unanswered == 0 {
				class = "ev-close client"
			}
			title := "transport closed" + tr + when + ": " + cmp.Or(e.Err, "?")
			if e.Unanswered > 0 {
				title += fmt.Sprintf("; a keepalive ping had been unanswered for %s", report.FormatDuration(e.Unanswered))
			}
			c.path(crossShape(x, y+10), class, title)
		case event.EventRSTStream:
			c.rect(x-3, y+band/2+8, 6, 6, "ev-rst", fmt.Sprintf("RST_STREAM %s%s%s", e.Code, tr, when))
		case event.EventHandshakeFailed:
			c.path(fmt.Sprintf("M%s %sl5 9h-10Z", num(x), num(y-5)), "ev-fail", "TLS handshake failed"+tr+when+": "+e.Err)
		}
	}
	if cn.StalledAt != nil {
		x := at(*cn.StalledAt)
		c.el("path", fmt.Sprintf(`d="M%s %sv%s" class="stall"`, num(x), num(y-14), num(28)),
			fmt.Sprintf("silent from %s: calls missed their deadline while the connection was READY, and none succeeded after", report.RelTime(*cn.StalledAt)))
	}
}

// connLegend explains the bands and markers above the connection rows.
func (c *svgChart) connLegend() {
	x, y := 8.0, 14.0
	item := func(draw func(x float64), label string) {
		draw(x)
		c.text(x+12, y+4, "start", "legend", label)
		x += 12 + textWidth(label, 11) + 16
	}
	for _, st := range []string{"READY", "CONNECTING", "TRANSIENT_FAILURE", "IDLE"} {
		item(func(x float64) { c.rect(x-2, y-4, 10, 8, "band "+stateClasses[st], "") }, st)
	}
	item(func(x float64) { c.circle(x+3, y, 4.5, "ev-open", "") }, "open")
	item(func(x float64) { c.path(goawayShape(x+3, y), "ev-goaway", "") }, "GOAWAY")
	item(func(x float64) { c.path(crossShape(x+3, y), "ev-close", "") }, "closed by peer")
	item(func(x float64) { c.path(crossShape(x+3, y), "ev-close client", "") }, "closed by client")
	item(func(x float64) { c.el("path", fmt.Sprintf(`d="M%s %sv8" class="ev-ping"`, num(x+3), num(y-4)), "") }, "keepalive ping")
	item(func(x float64) { c.el("path", fmt.Sprintf(`d="M%s %sv12" class="stall"`, num(x+3), num(y-6)), "") }, "silent")
}

// goawayShape is a diamond centred on x, y.
func goawayShape(x, y float64) string {
	return fmt.Sprintf("M%s %sl5 5l-5 5l-5 -5Z", num(x), num(y-5))
}

// crossShape is an X centred on x, y.
func crossShape(x, y float64) string {
	return fmt.Sprintf("M%s %sl7 7m0 -7l-7 7", num(x-3.5), num(y-3.5))
}
