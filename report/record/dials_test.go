package record

import (
	"reflect"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// A hard restart told by the dialer: EOF, three refused attempts, back.
func TestDialsTellAnOutage(t *testing.T) {
	ms := func(i int) time.Duration { return time.Duration(i) * time.Millisecond }
	at := func(i int) time.Time { return t0.Add(ms(i)) }
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	refused := "dial tcp 127.0.0.1:1: connect: connection refused"
	for _, e := range []event.Event{
		{Kind: event.EventDial, Time: at(1), Took: ms(1)},
		{Kind: event.EventOpen, Transport: 1, Time: at(2)},
		{Kind: event.EventState, Time: at(2), State: "READY"},
		{Kind: event.EventClose, Transport: 1, Time: at(100), Err: "EOF", SinceRead: ms(5)},
		{Kind: event.EventState, Time: at(100), State: "IDLE"},
		{Kind: event.EventDial, Time: at(101), Took: ms(1), Err: refused, Cause: event.CauseRefused},
		{Kind: event.EventDial, Time: at(201), Took: ms(1), Err: refused, Cause: event.CauseRefused},
		{Kind: event.EventDial, Time: at(401), Took: ms(1), Err: refused, Cause: event.CauseRefused},
		{Kind: event.EventDial, Time: at(802), Took: ms(2), Err: ""},
		{Kind: event.EventOpen, Transport: 2, Time: at(802)},
		{Kind: event.EventState, Time: at(802), State: "READY"},
		// A keepalive timeout later: 250ms of silence before the close.
		{Kind: event.EventClose, Transport: 2, Time: at(1500), Err: event.ClosedByClient, Unanswered: ms(200), SinceRead: ms(250)},
		{Kind: event.EventDial, Time: at(1600), Took: ms(1), Err: refused, Cause: event.CauseRefused},
	} {
		r.ConnEvent(e)
	}
	r.End(at(2000))
	cv := summarize(r, Meta{}).Connectivity
	want := &report.DialStats{Attempts: 6, Failed: map[event.Cause]int64{event.CauseRefused: 4}, OutageCount: 2,
		BackoffWaited: &report.Spread{Count: 1, Min: ms(399), P50: ms(399), Mean: ms(399), Max: ms(399)},
		Outages: []report.Outage{
			{At: ms(100), Lost: report.ClosePeerEOF, Failed: 3, Failing: ms(301), Cause: event.CauseRefused, BackAfter: ms(702), Waited: ms(399)},
			{At: ms(1500), Lost: report.ClosePingUnanswered, Failed: 1, Failing: ms(1), Cause: event.CauseRefused},
		}}
	got := cv.Dials
	if got != nil && got.BackoffWaited != nil {
		got.BackoffWaited.P50 = ms(399) // the median is a bucket's middle
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dials\n%+v\nwant\n%+v", got, want)
	}
	if d := cv.DeadPeerDetection; d == nil || d.Count != 1 || d.Max != ms(250) {
		t.Errorf("dead peer detection %+v, want one of 250ms", d)
	}
}
