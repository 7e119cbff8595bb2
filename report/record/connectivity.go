package record

import (
	"slices"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// connEvents is the event side of one Connection.
type connEvents struct {
	transports, reconnects int64
	lifetime, reconnect    *report.Spread
	unavailable            time.Duration
	keepalive              time.Duration
	kinds                  map[event.EventKind]int64
	goaways, closes        map[string]int64
	connectFailures        map[event.Cause]int64
	rsts                   map[string]int64
	events                 []report.Event
	dropped                int64
	// detectedAt is the latest close that shows the transport was found
	// dead (by the peer, the kernel or a keepalive timeout); zero for none.
	detectedAt time.Time
}

// summarizeEvents reads the event log at the end of a run (end) into
// per-connection parts and the run's Connectivity. ka is the run's
// keepalive configuration; tls says whether it used TLS.
func (l *eventLog) summarize(end time.Time, ka plan.Keepalive, tls bool) (map[int]*connEvents, *report.Connectivity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	begin := l.begin
	timeout := time.Duration(0)
	if ka.Time > 0 {
		timeout = ka.Timeout
		if timeout <= 0 {
			timeout = report.DefaultKeepaliveTimeout
		}
	}
	cv := &report.Connectivity{
		ConnectFailures: map[event.Cause]int64{}, Closes: map[string]int64{}, GoAways: map[string]int64{},
		GoAwayTiming: map[string]report.GoAwayTiming{}, RSTStreams: map[string]int64{}, FailureCauses: map[event.Cause]int64{},
		ReconnectLatency: report.NewHistogram(l.reconnect.Clone()),
		Backoff:          l.backoff.spread().OrZero(),
		Notes:            []string{},
		Keepalive: report.KeepaliveStats{
			Time: ka.Time, Effective: ka.Effective(), Timeout: timeout, PermitWithoutStream: ka.PermitWithoutStream,
			Pings: l.pings, Acks: l.acks, RTTMax: l.rttMax,
			UnansweredCloses: l.unansweredCloses, UnansweredMax: l.unansweredMax, PingsBeforeCalm: l.calmPings,
		},
	}
	cv.Dials, cv.DeadPeerDetection = l.dials.summary(begin), l.dials.detection.spread()
	cv.Handshake = l.handshakes.summary(tls)
	if l.acks > 0 {
		cv.Keepalive.RTTMean = l.rttSum / time.Duration(l.acks)
	}
	for reason, g := range l.goaways {
		cv.GoAwayTiming[reason] = report.GoAwayTiming{FirstAt: g.first.Sub(begin), Age: g.age.spread().OrZero(), Idle: g.idle.spread().OrZero(),
			Silence: g.silence.spread(), LastStreamMin: g.lastMin, LastStreamMax: g.lastMax, Sentinels: g.sentinels,
			LastAt: g.last.Sub(begin)}
	}
	for reason, sr := range l.closeSilence {
		if cv.CloseSilence == nil {
			cv.CloseSilence = map[string]report.Spread{}
		}
		cv.CloseSilence[reason] = sr.spread().OrZero()
	}
	cv.PeerSettings = cloneCounts(l.settings)
	cv.PeerServers = cloneCounts(l.servers)
	cv.SilentOpens += l.silentOpens
	out := map[int]*connEvents{}
	for i, c := range l.conns {
		if c == nil {
			continue
		}
		for _, ts := range c.live {
			if !ts.settings {
				cv.SilentOpens++ // still waiting for the server's first frame at the end
			}
		}
		ce := c.summarize(l, begin, end, ka)
		ce.detectedAt = c.lastPeerClose
		if report.PingTimedOut(c.lastPingUnanswered, timeout) {
			ce.detectedAt = latest(ce.detectedAt, c.lastPingClose)
		}
		out[i] = ce
		cv.Connects += ce.transports
		cv.Reconnects += ce.reconnects
		cv.Unavailable += ce.unavailable
		cv.DroppedEvents += ce.dropped
		cv.Keepalive.Effective = max(cv.Keepalive.Effective, ce.keepalive)
		cv.HandshakeFailures += ce.kinds[event.EventHandshakeFailed]
		report.AddCounts(cv.ConnectFailures, ce.connectFailures)
		report.AddCounts(cv.Closes, ce.closes)
		report.AddCounts(cv.GoAways, ce.goaways)
		report.AddCounts(cv.RSTStreams, c.rsts)
	}
	return out, cv
}

func (c *connLog) summarize(l *eventLog, begin, end time.Time, ka plan.Keepalive) *connEvents {
	ce := &connEvents{
		transports: c.opens, reconnects: c.reconnects, unavailable: c.unavailable,
		kinds: cloneCounts(c.kinds), goaways: cloneCounts(c.goaways), closes: cloneCounts(c.closes),
		connectFailures: cloneCounts(c.connectFailures), rsts: cloneCounts(c.rsts), reconnect: c.reconnect.spread(), dropped: c.dropped(),
	}
	if c.everReady && (c.state == stateConnecting || c.state == stateTF) {
		ce.unavailable += l.clip(c.stateAt, end) // still out at the end of the run
	}
	// Transports still open at the end live until it: the runner does not
	// report its own closes at the end of the run.
	life := c.lifetime
	for _, ts := range c.live {
		life.add(end.Sub(ts.openAt))
	}
	ce.lifetime = life.spread()
	if ka.Time > 0 {
		ce.keepalive = doubled(ka.Effective(), c.tooManyPings)
	}
	kept := c.events()
	// Transport goroutines and state watchers race: show events in time
	// order (stable, so simultaneous ones keep their arrival order).
	slices.SortStableFunc(kept, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
	ce.events = make([]report.Event, len(kept))
	for i, e := range kept {
		at := e.Time.Sub(begin)
		e.Time, e.Conn, e.Cause = time.Time{}, 0, "" // what JSON does not carry
		ce.events[i] = report.Event{At: at, Event: e}
	}
	return ce
}

// doubled is d doubled n times, as grpc-go does to a ClientConn's keepalive
// time at each too_many_pings GOAWAY (saturating).
func doubled(d time.Duration, n int) time.Duration {
	for range n {
		if d > time.Duration(1<<62) {
			break
		}
		d *= 2
	}
	return d
}

// cloneCounts copies m (the log keeps counting after a Summary is made);
// nil when empty, so that per-connection JSON leaves it out (omitempty) and
// a report read back compares equal to the one written.
func cloneCounts[K comparable](m map[K]int64) map[K]int64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[K]int64, len(m))
	for k, n := range m {
		out[k] = n
	}
	return out
}
