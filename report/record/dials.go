package record

import (
	"cmp"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// dialLog is what the event log keeps of connection attempts (EventDial)
// and of dead-peer detection. Guarded by the eventLog's mutex.
type dialLog struct {
	watched   bool // an EventDial came: attempts were watched
	attempts  int64
	failed    map[event.Cause]int64
	waited    spreadRec // backoff waited before an attempt that got through
	detection spreadRec // silence before closes by a keepalive or kernel timeout
	outages   []outage  // the first report.MaxOutages, finished or not
	count     int64
}

// outage is one pool connection's time without a server, as it happens:
// absolute times, turned relative in the Summary.
type outage struct {
	conn                int
	at                  time.Time
	lost                string
	failed              int64
	firstFail, lastFail time.Time // start of the first failed attempt, end of the last
	cause               event.Cause
	back, successStart  time.Time
	kept, done          bool
}

// dial records one connection attempt of pool connection c.
func (l *eventLog) dial(c *connLog, e event.Event) {
	d := &l.dials
	d.watched = true
	d.attempts++
	start := e.Time.Add(-e.Took)
	o := c.outage
	if e.Err != "" {
		cause := cmp.Or(e.Cause, event.CauseDialFailed) // stamped by the dialer (conn.WatchDials)
		bump(&d.failed, cause)
		if o == nil {
			o = &outage{conn: e.Conn, at: start}
			if !c.lostAt.IsZero() {
				o.at, o.lost = c.lostAt, c.lostReason
			}
			c.outage = o
		}
		if o.failed == 0 {
			o.firstFail = start
			d.count++
			if len(d.outages) < report.MaxOutages {
				o.kept = true
			}
		}
		o.failed++
		o.lastFail, o.cause = e.Time, cause
		l.keepOutage(o)
		return
	}
	if o != nil {
		o.back, o.successStart, o.done = e.Time, start, true
		d.waited.add(max(start.Sub(o.lastFail), 0))
		l.keepOutage(o)
	}
	c.outage, c.lostAt, c.lostReason = nil, time.Time{}, ""
}

// keepOutage stores o's current state among the kept outages.
func (l *eventLog) keepOutage(o *outage) {
	if !o.kept {
		return
	}
	d := &l.dials
	for i := range d.outages {
		if d.outages[i].conn == o.conn && d.outages[i].firstFail.Equal(o.firstFail) {
			d.outages[i] = *o
			return
		}
	}
	d.outages = append(d.outages, *o)
}

// summary is the Connectivity.Dials part; nil when no attempt was seen.
func (d *dialLog) summary(begin time.Time) *report.DialStats {
	if !d.watched {
		return nil
	}
	out := &report.DialStats{Attempts: d.attempts, Failed: cloneCounts(d.failed), OutageCount: d.count, BackoffWaited: d.waited.spread()}
	if out.BackoffWaited != nil && out.BackoffWaited.Count == 0 {
		out.BackoffWaited = nil
	}
	for _, o := range d.outages {
		r := report.Outage{Conn: o.conn, At: o.at.Sub(begin), Lost: o.lost, Failed: o.failed,
			Failing: o.lastFail.Sub(o.firstFail), Cause: o.cause}
		if o.done {
			r.BackAfter, r.Waited = o.back.Sub(o.at), max(o.successStart.Sub(o.lastFail), 0)
		}
		out.Outages = append(out.Outages, r)
	}
	return out
}
