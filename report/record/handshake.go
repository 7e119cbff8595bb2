package record

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// handshakeLog measures how long the runner's dials took to set up, phase
// by phase, from each EventHandshake (a dial of the runner returned with
// the connection READY: Took is the whole dial, Connect, TLS and HTTP2 its
// phases; a phase not seen is 0 and left out). Guarded by the eventLog's
// mutex; the histograms are made at the first handshake.
type handshakeLog struct {
	connect, tls, http2, total *hdrhistogram.Histogram
}

// handshake records the dial of pool connection c that e ends.
func (l *eventLog) handshake(c *connLog, e event.Event) {
	h := &l.handshakes
	if h.total == nil {
		h.connect, h.tls, h.http2, h.total = report.NewHDR(), report.NewHDR(), report.NewHDR(), report.NewHDR()
	}
	if e.Connect > 0 {
		record(h.connect, e.Connect)
	}
	if e.HTTP2 > 0 {
		record(h.tls, e.TLS)
		record(h.http2, e.HTTP2)
	}
	record(h.total, e.Took)
	// The pool connection is READY on a new connection: its first, or
	// one of --reconnect-every's in place of the one it retired (whose
	// close is the run's doing: no outage, and the runner reports no
	// SHUTDOWN for it).
	if c.everReady {
		c.reconnects++
	}
	c.state, c.stateAt, c.everReady, c.readyTransport = stateReady, e.Time, true, c.latest
	c.downAt, c.reconnecting, c.lostAt, c.lostReason = time.Time{}, false, time.Time{}, ""
}

// summary is the Handshake of the run; nil when no dial was measured. The
// TLS phase is left out for a plaintext target (tls false).
func (h *handshakeLog) summary(tls bool) *report.Handshake {
	if h.total == nil || h.total.TotalCount() == 0 {
		return nil
	}
	out := &report.Handshake{Total: report.NewHistogram(h.total.Clone())}
	if h.connect.TotalCount() > 0 {
		out.Connect = report.NewHistogram(h.connect.Clone())
	}
	if h.http2.TotalCount() > 0 {
		out.HTTP2 = report.NewHistogram(h.http2.Clone())
	}
	if tls && h.tls.TotalCount() > 0 {
		out.TLS = report.NewHistogram(h.tls.Clone())
	}
	return out
}
