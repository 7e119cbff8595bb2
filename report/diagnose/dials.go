package diagnose

import (
	"fmt"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// dialEvidence is the connection attempts the dialer counted, the backoff
// waited once the server was back, and the first outages, each as one
// story: "#0 at +210ms: peer_eof, 7 failed attempts (refused) over 1.2s,
// back after 1.5s (backoff waited 300ms)". Nothing when attempts were not
// watched.
func (d *diagnosis) dialEvidence() []report.Evidence {
	ds := d.c.Dials
	if ds == nil || ds.Attempts == 0 {
		return nil
	}
	var failed int64
	var parts []string
	for _, c := range sortedKeys(ds.Failed) {
		failed += ds.Failed[c]
		parts = append(parts, fmt.Sprintf("%s ×%d", c, ds.Failed[c]))
	}
	v := fmt.Sprint(ds.Attempts)
	if failed > 0 {
		v += fmt.Sprintf(" (%d failed: %s)", failed, strings.Join(parts, ", "))
	}
	ev := []report.Evidence{{Name: "connection attempts", Value: v}}
	if w := ds.BackoffWaited; w != nil && w.Count > 0 {
		ev = append(ev, report.Evidence{Name: "backoff waited before the attempt that got through", Value: spreadText(*w)})
	}
	for i, o := range ds.Outages {
		if i == 3 {
			break
		}
		ev = append(ev, report.Evidence{Name: "outage", Value: OutageStory(o)})
	}
	if n := ds.OutageCount - int64(min(len(ds.Outages), 3)); n > 0 {
		ev = append(ev, report.Evidence{Name: "more outages", Value: fmt.Sprint(n)})
	}
	return ev
}

// OutageStory tells one outage in a line: how the transport was lost, the
// failed attempts and when the connection was back.
func OutageStory(o report.Outage) string {
	lost := "could not connect"
	if o.Lost != "" {
		lost = "closed " + o.Lost
	}
	s := fmt.Sprintf("#%d at %s: %s, %s (%s) over %s", o.Conn, report.RelTime(o.At), lost,
		report.Plural(int(o.Failed), "failed attempt"), o.Cause, report.FormatDuration(o.Failing))
	if o.BackAfter > 0 {
		return s + fmt.Sprintf(", back after %s (backoff waited %s)", report.FormatDuration(o.BackAfter), report.FormatDuration(o.Waited))
	}
	return s + ", not back by the end"
}

// detectionEvidence is how long dead peers took to be found: the silence
// before the closes by a keepalive or kernel timeout.
func (d *diagnosis) detectionEvidence() []report.Evidence {
	s := d.c.DeadPeerDetection
	if s == nil || s.Count == 0 {
		return nil
	}
	return []report.Evidence{{Name: "silence before the close (detection time)", Value: spreadText(*s)}}
}

// restart is the first outage that looks like a hard restart: the
// transport closed without a GOAWAY (EOF or reset), attempts were refused,
// and the connection came back.
func (d *diagnosis) restart() (report.Outage, bool) {
	if d.c.Dials == nil {
		return report.Outage{}, false
	}
	for _, o := range d.c.Dials.Outages {
		if (o.Lost == report.ClosePeerEOF || o.Lost == report.ClosePeerReset) && o.Cause == event.CauseRefused && o.BackAfter > 0 {
			return o, true
		}
	}
	return report.Outage{}, false
}
