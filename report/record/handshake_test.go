package record

import (
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Two dials of one pool connection, the second after a failed TCP
// attempt: each handshake event carries its dial's phases (the runner
// takes them from that dial's own events), recorded phase by phase.
func TestHandshakePhases(t *testing.T) {
	us := func(i int) time.Duration { return time.Duration(i) * time.Microsecond }
	at := func(i int) time.Time { return t0.Add(us(i)) }
	events := []event.Event{
		{Kind: event.EventDial, Time: at(100), Took: us(100)},
		{Kind: event.EventOpen, Transport: 1, Time: at(400), Took: us(300)},
		{Kind: event.EventHandshake, Time: at(600), Took: us(600), Connect: us(100), TLS: us(300), HTTP2: us(200)},
		{Kind: event.EventClose, Transport: 1, Time: at(5000), Err: event.ClosedByClient},
		{Kind: event.EventDial, Time: at(5050), Took: us(50), Err: "connection refused", Cause: event.CauseRefused},
		{Kind: event.EventDial, Time: at(6200), Took: us(200)},
		{Kind: event.EventOpen, Transport: 2, Time: at(6600), Took: us(400)},
		{Kind: event.EventHandshake, Time: at(7000), Took: us(2000), Connect: us(200), TLS: us(400), HTTP2: us(400)},
	}
	for _, tc := range []struct {
		name      string
		plaintext bool
	}{{"tls", false}, {"plaintext", true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRecorder(event.Unary, 1)
			r.Begin(t0)
			for _, e := range events {
				r.ConnEvent(e)
			}
			r.End(at(8000))
			meta := Meta{}
			meta.Options.Target.Plaintext = tc.plaintext
			h := summarize(r, meta).Connectivity.Handshake
			if h == nil {
				t.Fatal("no handshake measured")
			}
			for _, p := range []struct {
				name     string
				count    int64
				min, max time.Duration
				wantMin  time.Duration
			}{{"connect", h.Connect.Count, h.Connect.Min, h.Connect.Max, us(100)},
				{"http2", h.HTTP2.Count, h.HTTP2.Min, h.HTTP2.Max, us(200)},
				{"total", h.Total.Count, h.Total.Min, h.Total.Max, us(600)}} {
				if p.count != 2 || !near(p.min, p.wantMin) {
					t.Errorf("%s: count %d min %s, want 2 and %s", p.name, p.count, p.min, p.wantMin)
				}
			}
			if !near(h.Connect.Max, us(200)) || !near(h.HTTP2.Max, us(400)) || !near(h.Total.Max, us(2000)) {
				t.Errorf("max: connect %s, http2 %s, total %s; want 200µs, 400µs, 2ms", h.Connect.Max, h.HTTP2.Max, h.Total.Max)
			}
			switch {
			case tc.plaintext && h.TLS != nil:
				t.Errorf("a plaintext run has a TLS phase: %+v", h.TLS)
			case !tc.plaintext && (h.TLS == nil || h.TLS.Count != 2 || !near(h.TLS.Min, us(300)) || !near(h.TLS.Max, us(400))):
				t.Errorf("tls %+v, want 2 of 300µs and 400µs", h.TLS)
			}
		})
	}
}

// near is equality at a histogram's 3 significant digits.
func near(got, want time.Duration) bool {
	d := got - want
	return d >= -want/500 && d <= want/500
}

func TestNoHandshakeWithoutDials(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	r.Begin(t0)
	r.ConnEvent(event.Event{Kind: event.EventOpen, Transport: 1, Time: t0})
	r.End(t0.Add(time.Second))
	if h := summarize(r, Meta{}).Connectivity.Handshake; h != nil {
		t.Errorf("handshake %+v without a dial of the runner's", h)
	}
}
