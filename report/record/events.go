package record

import (
	"cmp"
	"strings"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/conn"
	"github.com/grpcpulse/grpcpulse/runner/event"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Bounds of what the Recorder keeps of connection events, whatever their
// number: a reconnect storm for an hour costs the same memory as a minute
// (report.HeadEvents and report.TailEvents are the events kept per pool
// connection).
const (
	// maxReasons bounds the distinct keys of each count by reason (GOAWAY
	// code and debug data, RST_STREAM code, close reason, event kind); the
	// rest count under otherReason.
	maxReasons = 16
	// maxLiveTransports bounds the open transports followed per pool
	// connection (there are one or two: the current one and one draining).
	maxLiveTransports = 64
	// maxEventConns ignores events of absurd pool connection indexes.
	maxEventConns = 1 << 16
	// maxDebugChars bounds the GOAWAY debug data in a reason.
	maxDebugChars = 64
)

var _ conn.EventRecorder = (*Recorder)(nil)

// The connectivity states of grpc-go, as connectivity.State.String() writes
// them.
const (
	stateConnecting = "CONNECTING"
	stateIdle       = "IDLE"
	stateReady      = "READY"
	stateTF         = "TRANSIENT_FAILURE"
)

// eventLog keeps the connection events of a run. All of it is guarded by mu.
type eventLog struct {
	mu    sync.Mutex
	begun bool
	begin time.Time
	conns []*connLog // by pool connection index; nil for unseen ones

	goaways   map[string]*goawayRec // by reason, once per transport
	reconnect *hdrhistogram.Histogram
	backoff   spreadRec // time in TRANSIENT_FAILURE, per stay (an outage under sticky TF)
	pings     int64
	acks      int64
	rttSum    time.Duration
	rttMax    time.Duration
	// closeSilence is the silence before closes the client did not make,
	// by close reason; settings counts transports by the server's SETTINGS.
	closeSilence map[string]*spreadRec
	settings     map[string]int64
	servers      map[string]int64 // transports by server header (and non-200 status)
	// Closes grpc-go made while a keepalive ping was unanswered.
	unansweredCloses int64
	unansweredMax    time.Duration
	// calmPings is the fewest keepalive pings a transport had sent when
	// it got GOAWAY ENHANCE_YOUR_CALM: where the server struck it out.
	calmPings int64
	// silentOpens counts transports that closed without the server's
	// SETTINGS: TCP accepted (a listen backlog), no HTTP/2 answer.
	silentOpens int64
	dials       dialLog
	handshakes  handshakeLog
}

// goawayRec is what the run saw of one GOAWAY reason.
type goawayRec struct {
	first time.Time
	age   spreadRec // transport open → GOAWAY
	idle  spreadRec // last call end (or open) → GOAWAY
	// silence is the transport's last frame → GOAWAY; lastMin and lastMax
	// the range of last_stream_id.
	silence          spreadRec
	lastMin, lastMax uint32
	sentinels        int64
	last             time.Time
}

// connLog is one pool connection's events: the first and last ones, exact
// counts, and the state needed to measure reconnects and outages as events
// come.
type connLog struct {
	head             []event.Event
	tail             [report.TailEvents]event.Event
	tailLen, tailPos int
	total            int64

	kinds           map[event.EventKind]int64
	goaways         map[string]int64 // once per transport and reason
	closes          map[string]int64
	connectFailures map[event.Cause]int64
	rsts            map[string]int64
	tooManyPings    int // GOAWAYs too_many_pings: grpc-go doubles keepalive time at each

	live     map[int]transportState // open transports by number
	latest   int                    // highest transport number opened
	opens    int64
	lastOpen time.Time

	state          string // last connectivity state; "" before the first state event
	stateAt        time.Time
	everReady      bool
	readyTransport int       // the transport that made the connection READY
	downAt         time.Time // when the connection lost its READY transport; zero while up
	reconnects     int64
	reconnecting   bool // a connection attempt was made since the transport was lost
	unavailable    time.Duration
	reconnect      spreadRec
	lifetime       spreadRec

	lastPeerClose      time.Time     // latest close the client did not make
	lastPingClose      time.Time     // latest client close with a keepalive ping pending
	lastPingUnanswered time.Duration // how long that ping was pending

	outage     *outage   // the outage under way: failed connection attempts since lostAt
	lostAt     time.Time // when the READY transport closed; zero after the next connect
	lostReason string    // its close reason
}

type transportState struct {
	openAt time.Time
	goaway string // reason of the first GOAWAY received, "" for none
	pings  int64  // keepalive pings sent on it
	// settings: the server's SETTINGS came (an HTTP/2 server answered).
	settings bool
}

func (l *eventLog) setBegin(t time.Time) {
	l.mu.Lock()
	if !l.begun {
		l.begun, l.begin = true, t
	}
	l.mu.Unlock()
}

// ConnEvent records an event of a pooled connection (conn.EventRecorder).
// It is safe for concurrent use, before Begin too (the initial connects),
// and quick: a few counters and map updates under one mutex. Memory is
// bounded per pool connection (see headEvents).
func (r *Recorder) ConnEvent(e event.Event) {
	if e.Conn >= maxEventConns {
		return
	}
	e.Conn = max(e.Conn, 0)
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	var lastCall time.Time
	if e.Kind == event.EventGoAway {
		lastCall = r.lastCallEnd(e.Conn) // before taking the event lock: no lock nesting
	}
	l := &r.events
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(e, lastCall)
}

// lastCallEnd is when the last recorded call over pool connection conn
// ended; zero for none.
func (r *Recorder) lastCallEnd(conn int) time.Time {
	var last time.Time
	for _, s := range r.shards {
		s.mu.Lock()
		if conn < len(s.conns) {
			cs := &s.conns[conn]
			last = latest(last, latest(cs.lastOK, cs.lastFail))
		}
		s.mu.Unlock()
	}
	return last
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (l *eventLog) conn(i int) *connLog {
	for len(l.conns) <= i {
		l.conns = append(l.conns, nil)
	}
	if l.conns[i] == nil {
		l.conns[i] = &connLog{head: make([]event.Event, 0, report.HeadEvents)}
	}
	return l.conns[i]
}

func (l *eventLog) add(e event.Event, lastCall time.Time) {
	c := l.conn(e.Conn)
	c.keep(e)
	bump(&c.kinds, e.Kind)
	switch e.Kind {
	case event.EventState:
		l.state(c, e)
	case event.EventOpen:
		c.open(e)
	case event.EventGoAway:
		l.goAway(c, e, lastCall)
	case event.EventPing:
		l.pings++
		if ts, ok := c.live[e.Transport]; ok {
			ts.pings++
			c.live[e.Transport] = ts
		}
	case event.EventPingAck:
		l.acks++
		l.rttSum += e.RTT
		l.rttMax = max(l.rttMax, e.RTT)
	case event.EventRSTStream:
		bump(&c.rsts, cmp.Or(e.Code, "unknown"))
	case event.EventClose:
		l.close(c, e)
	case event.EventDial:
		l.dial(c, e)
	case event.EventHandshake:
		l.handshake(c, e)
	case event.EventSettings:
		bump(&l.settings, e.Settings)
		if ts, ok := c.live[e.Transport]; ok {
			ts.settings = true
			c.live[e.Transport] = ts
		}
	case event.EventServer:
		key := cmp.Or(e.Server, "-")
		if e.HTTPStatus != "" {
			key += " HTTP " + e.HTTPStatus
		}
		bump(&l.servers, key)
	}
}

// keep stores e among the first headEvents or in the ring of the last
// tailEvents.
func (c *connLog) keep(e event.Event) {
	c.total++
	if len(c.head) < report.HeadEvents {
		c.head = append(c.head, e)
		return
	}
	c.tail[c.tailPos] = e
	c.tailPos = (c.tailPos + 1) % report.TailEvents
	c.tailLen = min(c.tailLen+1, report.TailEvents)
}

// events returns the kept events in arrival order.
func (c *connLog) events() []event.Event {
	out := make([]event.Event, 0, len(c.head)+c.tailLen)
	out = append(out, c.head...)
	start := (c.tailPos - c.tailLen + report.TailEvents) % report.TailEvents
	for i := range c.tailLen {
		out = append(out, c.tail[(start+i)%report.TailEvents])
	}
	return out
}

func (c *connLog) dropped() int64 { return c.total - int64(len(c.head)+c.tailLen) }

func (c *connLog) open(e event.Event) {
	c.opens++
	c.latest = max(c.latest, e.Transport)
	c.lastOpen = e.Time
	if c.live == nil {
		c.live = map[int]transportState{}
	}
	if _, ok := c.live[e.Transport]; !ok && len(c.live) >= maxLiveTransports {
		oldest := e.Transport
		for n := range c.live {
			oldest = min(oldest, n)
		}
		delete(c.live, oldest)
	}
	c.live[e.Transport] = transportState{openAt: e.Time}
}

// state follows the pool connection's connectivity state: reconnect
// latency (losing the READY transport, or starting to connect again after
// a wait in IDLE, → READY again), time unavailable
// (CONNECTING or TRANSIENT_FAILURE after the first READY, within the
// measured run) and the time in TRANSIENT_FAILURE (one stay per outage:
// pick_first's TRANSIENT_FAILURE is sticky).
func (l *eventLog) state(c *connLog, e event.Event) {
	t := e.Time
	if c.state == "" && c.opens > 0 && e.State != stateReady && e.State != stateTF {
		// The runner dials each connection to READY before it watches its
		// state, so the first change seen leaves a READY that was never
		// reported: READY since the transport opened.
		c.state, c.stateAt, c.everReady, c.readyTransport = stateReady, c.lastOpen, true, c.latest
	}
	if e.State == stateTF {
		bump(&c.connectFailures, e.Cause)
	}
	prev, since := c.state, c.stateAt
	if prev == e.State {
		return
	}
	if prev == stateTF {
		l.backoff.add(t.Sub(since))
	}
	if c.everReady && (prev == stateConnecting || prev == stateTF) {
		c.unavailable += l.clip(since, t)
	}
	if prev == stateReady && c.downAt.IsZero() {
		c.downAt = t
	}
	if prev == stateIdle && e.State == stateConnecting && !c.downAt.IsZero() && !c.reconnecting {
		// pick_first reconnects lazily: time in IDLE waiting for the next
		// call is not an outage, so the reconnect counts from its first
		// attempt (IDLE between failed attempts is backoff, and counts).
		c.downAt = t
	}
	if e.State == stateConnecting && !c.downAt.IsZero() {
		c.reconnecting = true
	}
	if e.State == stateReady {
		if c.everReady {
			c.reconnects++
		}
		if !c.downAt.IsZero() {
			d := max(t.Sub(c.downAt), 0)
			record(l.reconnect, d)
			c.reconnect.add(d)
			c.downAt, c.reconnecting = time.Time{}, false
		}
		c.everReady, c.readyTransport = true, c.latest
	}
	c.state, c.stateAt = e.State, t
}

// clip is the part of [from, to] within the measured run (from Begin on);
// nothing before Begin.
func (l *eventLog) clip(from, to time.Time) time.Duration {
	if !l.begun {
		return 0
	}
	from = latest(from, l.begin)
	return max(to.Sub(from), 0)
}

func (l *eventLog) goAway(c *connLog, e event.Event, lastCall time.Time) {
	reason := goAwayReason(e.Code, e.Debug)
	ts, known := c.live[e.Transport]
	if known {
		if ts.goaway != "" {
			// A further GOAWAY of the same shutdown: the second of a graceful
			// drain (the real last stream id after the sentinel), whatever its
			// debug data (grpc-js sends "max_age" first, then none), or one at
			// the end of the grace. It is not a new reason: counting it would
			// make every drain two, and its last stream id a request count.
			return
		}
		ts.goaway = reason
		c.live[e.Transport] = ts
	}
	bump(&c.goaways, reason)
	if reason == event.CauseTooManyPings.GoAway() {
		c.tooManyPings++ // grpc-go doubles the keepalive time for this exact GOAWAY
	}
	if e.Code == "ENHANCE_YOUR_CALM" && known && ts.pings > 0 && (l.calmPings == 0 || ts.pings < l.calmPings) {
		l.calmPings = ts.pings
	}
	if l.goaways == nil {
		l.goaways = map[string]*goawayRec{}
	}
	rec := l.goaways[reason]
	if rec == nil {
		if len(l.goaways) >= maxReasons {
			reason = report.OtherReason
			rec = l.goaways[reason]
		}
		if rec == nil {
			rec = &goawayRec{first: e.Time, age: newMedianSpread(), idle: newMedianSpread(), silence: newMedianSpread()}
			l.goaways[reason] = rec
		}
	}
	if e.Time.Before(rec.first) {
		rec.first = e.Time
	}
	rec.last = latest(rec.last, e.Time)
	if known {
		rec.age.add(e.Time.Sub(ts.openAt))
		rec.idle.add(e.Time.Sub(latest(ts.openAt, lastCall)))
		rec.silence.add(e.Silence)
	}
	if e.LastStreamID == conn.GoAwaySentinel {
		rec.sentinels++
		return
	}
	if rec.lastMin == 0 || e.LastStreamID < rec.lastMin {
		rec.lastMin = e.LastStreamID
	}
	rec.lastMax = max(rec.lastMax, e.LastStreamID)
}

func (l *eventLog) close(c *connLog, e event.Event) {
	ts, known := c.live[e.Transport]
	if known {
		delete(c.live, e.Transport)
		c.lifetime.add(e.Time.Sub(ts.openAt))
		if !ts.settings {
			l.silentOpens++
		}
	}
	reason := closeReason(e, ts.goaway != "")
	bump(&c.closes, reason)
	if reason == report.ClosePingUnanswered || reason == report.CloseTimedOut {
		l.dials.detection.add(e.SinceRead)
	}
	if c.everReady && e.Transport == c.readyTransport {
		c.lostAt, c.lostReason = e.Time, reason
	}
	if known && e.Err != event.ClosedByClient && reason != report.CloseAfterGoAway {
		if l.closeSilence == nil {
			l.closeSilence = map[string]*spreadRec{}
		}
		sr := l.closeSilence[reason]
		if sr == nil {
			sr = &spreadRec{}
			*sr = newMedianSpread()
			l.closeSilence[reason] = sr
		}
		sr.add(e.Silence)
	}
	switch {
	case e.Err == event.ClosedByClient && e.Unanswered > 0:
		l.unansweredCloses++
		l.unansweredMax = max(l.unansweredMax, e.Unanswered)
		c.lastPingClose, c.lastPingUnanswered = latest(c.lastPingClose, e.Time), e.Unanswered
	case e.Err != event.ClosedByClient:
		c.lastPeerClose = latest(c.lastPeerClose, e.Time)
	}
	if c.everReady && e.Transport == c.readyTransport && c.downAt.IsZero() {
		c.downAt = e.Time
	}
}

// closeReason names why a transport closed, from what its read side saw
// and whether a GOAWAY came before.
func closeReason(e event.Event, afterGoAway bool) string {
	has := func(s string) bool { return strings.Contains(e.Err, s) }
	switch {
	case e.Err == event.ClosedByClient && e.Unanswered > 0:
		return report.ClosePingUnanswered
	case e.Err == event.ClosedByClient:
		return report.CloseClient
	case afterGoAway:
		return report.CloseAfterGoAway
	case has("connection reset"), has("broken pipe"):
		return report.ClosePeerReset
	case has("timed out"):
		return report.CloseTimedOut
	case has("EOF"):
		return report.ClosePeerEOF
	}
	return report.CloseOther
}

// goAwayReason is the key of a GOAWAY in counts: its code and debug data,
// "NO_ERROR max_age". Debug data is cut and stripped of control characters.
func goAwayReason(code, debug string) string {
	debug = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, debug)
	if r := []rune(debug); len(r) > maxDebugChars {
		debug = string(r[:maxDebugChars-1]) + "…"
	}
	return strings.TrimSpace(cmp.Or(code, "UNKNOWN") + " " + strings.TrimSpace(debug))
}

// bump adds one to m[k], making m on first use; once m holds maxReasons
// keys, new keys count under otherReason.
func bump[K ~string](m *map[K]int64, k K) {
	if *m == nil {
		*m = map[K]int64{}
	}
	if _, ok := (*m)[k]; !ok && len(*m) >= maxReasons {
		k = report.OtherReason
	}
	(*m)[k]++
}
