package record

import (
	"reflect"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

func TestSilentWindows(t *testing.T) {
	ms := func(i int) time.Duration { return time.Duration(i) * time.Millisecond }
	at := func(i int) time.Time { return t0.Add(ms(i)) }
	var a, b connStats // two shards of one connection
	a.ok(at(50))
	a.stall(at(100), at(300))
	b.stall(at(150), at(350))
	a.stall(at(300), at(500))
	a.ok(at(600)) // the success after the first silence
	b.ok(at(650))
	a.stall(at(700), at(900))
	a.stall(at(800), at(1000))
	b.stall(at(2000), at(2200)) // still silent at the end
	events := []report.Event{
		{At: ms(40), Event: event.Event{Kind: event.EventClose, Transport: 1, Err: "EOF"}}, // before: not its end
		{At: ms(1100), Event: event.Event{Kind: event.EventClose, Transport: 2, Err: event.ClosedByClient, Unanswered: ms(300)}},
	}
	got := silentWindows(append(a.windows, b.windows...), events, t0, at(2500))
	want := []report.SilentWindow{
		{From: ms(100), Until: ms(500), Calls: 3, EndedBy: report.SilenceRecovered, EndedAt: ms(600), Silence: ms(500)},
		{From: ms(700), Until: ms(1000), Calls: 2, EndedBy: report.ClosePingUnanswered, EndedAt: ms(1100), Silence: ms(400)},
		{From: ms(2000), Until: ms(2200), Calls: 1, EndedBy: report.SilenceRunEnd, EndedAt: ms(2500), Silence: ms(500)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("windows\n%+v\nwant\n%+v", got, want)
	}
	var c connStats
	for i := range 3 * maxSilentWindows {
		c.stall(at(10*i), at(10*i+5))
		c.ok(at(10*i + 8))
	}
	if len(c.windows) != maxSilentWindows {
		t.Errorf("%d windows kept, want %d", len(c.windows), maxSilentWindows)
	}
}
