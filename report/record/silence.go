package record

import (
	"slices"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// maxSilentWindows bounds the silent windows a shard keeps per pool
// connection (later ones extend the last).
const maxSilentWindows = 8

// silentWin is a run of deadline_while_ready failures on one pool
// connection with no success between them: from the earliest start of
// those calls (nothing came back since) to the latest end, and the first
// success after it (zero for none).
type silentWin struct {
	from, until time.Time
	calls       int64
	okAt        time.Time
}

// stall adds a deadline_while_ready failure to the connection's windows.
func (cs *connStats) stall(start, end time.Time) {
	if n := len(cs.windows); n > 0 && (cs.windows[n-1].okAt.IsZero() || n == maxSilentWindows) {
		w := &cs.windows[n-1]
		w.from, w.until, w.okAt = earliest(w.from, start), latest(w.until, end), time.Time{}
		w.calls++
		return
	}
	cs.windows = append(cs.windows, silentWin{from: start, until: end, calls: 1})
}

// ok notes a success: it ends the open window, if it came after it.
func (cs *connStats) ok(end time.Time) {
	if n := len(cs.windows); n > 0 && cs.windows[n-1].okAt.IsZero() && end.After(cs.windows[n-1].until) {
		cs.windows[n-1].okAt = end
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// mergeWindows joins the windows the shards saw of one connection:
// overlapping ones are one silence; its success is the first after it. A
// shard ends a window only at a success it recorded itself, so a window
// may span a success another shard saw (two silences close together read
// as one): the shards share no state on the call path.
func mergeWindows(ws []silentWin) []silentWin {
	slices.SortFunc(ws, func(a, b silentWin) int { return a.from.Compare(b.from) })
	var out []silentWin
	for _, w := range ws {
		if n := len(out); n > 0 && !w.from.After(out[n-1].until) {
			o := &out[n-1]
			o.until = latest(o.until, w.until)
			o.calls += w.calls
			if !w.okAt.IsZero() && (o.okAt.IsZero() || w.okAt.Before(o.okAt)) {
				o.okAt = w.okAt
			}
			continue
		}
		out = append(out, w)
	}
	for i := range out {
		if out[i].okAt.Before(out[i].until) {
			out[i].okAt = time.Time{} // a success inside the silence was another call's: not its end
		}
	}
	return out
}

// silentWindows turns a connection's windows into the report's, each
// with what ended it: the first transport close after it began (a
// keepalive or kernel timeout, the peer's reset or FIN), else the first
// success after it, else the end of the run. events are the connection's
// kept events; begin is the start of measurement, end the run's end.
func silentWindows(ws []silentWin, events []report.Event, begin, end time.Time) []report.SilentWindow {
	var out []report.SilentWindow
	for _, w := range mergeWindows(ws) {
		sw := report.SilentWindow{From: w.from.Sub(begin), Until: w.until.Sub(begin), Calls: w.calls,
			EndedBy: report.SilenceRunEnd, EndedAt: end.Sub(begin)}
		if !w.okAt.IsZero() {
			sw.EndedBy, sw.EndedAt = report.SilenceRecovered, w.okAt.Sub(begin)
		}
		goaway := map[int]bool{}
		for _, e := range events {
			if e.Kind == event.EventGoAway {
				goaway[e.Transport] = true
			}
			if e.Kind != event.EventClose || e.At < sw.From || e.At > sw.EndedAt {
				continue
			}
			sw.EndedBy, sw.EndedAt = closeReason(e.Event, goaway[e.Transport]), e.At
			break
		}
		sw.Silence = sw.EndedAt - sw.From
		out = append(out, sw)
	}
	return out
}
