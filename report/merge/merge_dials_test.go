package merge

import (
	"reflect"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestMergeDialsAndSilences(t *testing.T) {
	s := time.Second
	a := &report.DialStats{Attempts: 3, Failed: map[event.Cause]int64{event.CauseRefused: 2}, OutageCount: 1,
		BackoffWaited: &report.Spread{Count: 1, Min: s, Mean: s, Max: s},
		Outages:       []report.Outage{{Conn: 0, At: s, Lost: report.ClosePeerEOF, Failed: 2, Cause: event.CauseRefused, BackAfter: 2 * s}}}
	b := &report.DialStats{Attempts: 2, Failed: map[event.Cause]int64{event.CauseRefused: 1}, OutageCount: 1,
		Outages: []report.Outage{{Conn: 1, At: s, Failed: 1, Cause: event.CauseRefused}}}
	got := mergeDials(mergeDials(nil, a, 0, 0), b, 10*s, 2)
	want := &report.DialStats{Attempts: 5, Failed: map[event.Cause]int64{event.CauseRefused: 3}, OutageCount: 2,
		BackoffWaited: &report.Spread{Count: 1, Min: s, Mean: s, Max: s},
		Outages:       []report.Outage{a.Outages[0], {Conn: 3, At: 11 * s, Failed: 1, Cause: event.CauseRefused}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", got, want)
	}
	c := shiftConnection(report.Connection{Index: 1, SilentWindows: []report.SilentWindow{{From: s, Until: 2 * s, EndedAt: 3 * s, Silence: 2 * s}}}, 4, 10*s)
	if w := c.SilentWindows[0]; c.Index != 5 || w.From != 11*s || w.Until != 12*s || w.EndedAt != 13*s || w.Silence != 2*s {
		t.Errorf("shifted %+v", c)
	}
}
