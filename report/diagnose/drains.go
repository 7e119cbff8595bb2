package diagnose

import (
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// drainKind is what a GOAWAY reason was, told by behaviour: timing, counts
// and frame facts. Debug words only confirm.
type drainKind int

const (
	drainOther    drainKind = iota
	drainAge                // the connections' ages cluster: an age limit
	drainIdle               // the silences before it cluster: an idle timer
	drainShutdown           // once, on every connection at the same moment: a stop
	drainCap                // the same real last_stream_id each time: a request cap
	drainPings              // ENHANCE_YOUR_CALM: the pings were refused
)

// drain is one GOAWAY reason and what it was.
type drain struct {
	reason, code, debug string
	n                   int64
	t                   report.GoAwayTiming
	kind                drainKind
}

// moment is how close together GOAWAYs of one stop come: a server that
// stops sends them to all its connections at once, while an age limit's
// jitter (±10% in grpc-go, grpc-js and C-core) spreads them.
const moment = 500 * time.Millisecond

// drains classifies every GOAWAY reason of the run, sorted by reason.
func (d *diagnosis) drains() []drain {
	var out []drain
	for _, reason := range sortedKeys(d.c.GoAways) {
		n := d.c.GoAways[reason]
		if n == 0 {
			continue
		}
		code, debug, _ := strings.Cut(reason, " ")
		dr := drain{reason: reason, code: code, debug: debug, n: n, t: d.c.GoAwayTiming[reason]}
		dr.kind = classify(dr, d.refusedAttempts() > 0, d.ageCutStreams())
		out = append(out, dr)
	}
	return out
}

// drainsOf returns the drains of kind k.
func (d *diagnosis) drainsOf(k drainKind) []drain {
	var out []drain
	for _, dr := range d.drains() {
		if dr.kind == k {
			out = append(out, dr)
		}
	}
	return out
}

// ageCutStreams reports whether calls ended with the words a server uses
// for streams it cuts at its age limit's grace without citing a GOAWAY
// (C-core's "enter idle", a reset NO_ERROR).
func (d *diagnosis) ageCutStreams() bool {
	for _, e := range d.s.ErrorsByMessage {
		if !strings.Contains(e.Message, "received prior goaway") && containsAny(e.Message, ageCutWords) {
			return true
		}
	}
	return false
}

// classify tells what a drain was; refused reports that connection
// attempts were refused in the run (a server went away), ageCut that
// streams were then cut as at an age limit's grace.
func classify(dr drain, refused, ageCut bool) drainKind {
	t := dr.t
	switch {
	case dr.code == "ENHANCE_YOUR_CALM":
		return drainPings
	case dr.debug == "graceful_stop":
		return drainShutdown
	case dr.debug == "max_age":
		return drainAge
	case dr.debug == "max_idle" || dr.debug == "enter idle":
		return drainIdle
	case dr.n >= 2 && t.Silence != nil && t.Silence.Count >= 2 && t.Silence.Min >= idleFloor && idleCluster(t.Silence.Min, t.Silence.Max):
		return drainIdle
	case dr.n >= 2 && t.Sentinels == 0 && t.LastStreamMin != 0 && t.LastStreamMin == t.LastStreamMax &&
		t.LastStreamMax%2 == 1 && (t.Silence == nil || t.Silence.Min < idleFloor):
		return drainCap
	case dr.n >= 2 && agesCluster(t.Age) && (t.LastAt-t.FirstAt >= moment || reopened(t)):
		return drainAge
	case dr.n == 1 && !refused && ageCut:
		// One connection's GOAWAY, nothing refused after it, and the
		// streams left on it cut as a grace period ends (C-core: "enter
		// idle" then RST_STREAM NO_ERROR; a stop cancels them): an age
		// limit, though one GOAWAY gives no timing to tell it by.
		return drainAge
	case t.LastAt-t.FirstAt < moment && (t.Sentinels > 0 || dr.n >= 2 || refused):
		// grpc-js stops with one GOAWAY and no sentinel: one connection's
		// stop is told by the refusals that follow.
		return drainShutdown
	}
	return drainOther
}

// quiet is how long the connections had been quiet when the drain's
// GOAWAYs came: without a frame where the report has it, else (older
// reports) without a call ending.
func (dr drain) quiet() report.Spread {
	if s := dr.t.Silence; s != nil && s.Count > 0 {
		return *s
	}
	return dr.t.Idle
}

// reopened reports whether a GOAWAY of the reason came on a connection
// opened after the first one came: the last came at LastAt on a transport
// at most Age.Max old. A stop's GOAWAYs go to the connections open at that
// moment (new ones are refused), so GOAWAYs close together on a connection
// made after the first are a timer, such as an age limit short enough to
// end the replacement too.
func reopened(t report.GoAwayTiming) bool {
	return t.Age.Count >= 2 && t.LastAt-t.Age.Max > t.FirstAt
}

// idleCluster reports whether silences from lo to hi before GOAWAYs are
// one idle timer: grpc-go's is exact, but C-core checks its periodically
// and closes between the limit and twice it (4s each time), and grpc-js's
// timer, firing a millisecond early, re-arms for a whole limit (300ms gave
// 300.2ms, then 600.9ms): up to twice the least, and a timer's slack.
func idleCluster(lo, hi time.Duration) bool {
	return clustered(lo, hi) || hi <= 2*lo+max(20*time.Millisecond, lo/20)
}

// agesCluster reports whether transport ages are one age limit: within
// the ±10% jitter the stacks add plus their timers' slack (C-core's fire
// up to a quarter late: 1.95s to 2.47s for 2s), so a spread of 35% of the
// least, or 150ms.
func agesCluster(s report.Spread) bool {
	return s.Count >= 2 && s.Min > 0 && s.Max-s.Min <= max(150*time.Millisecond, s.Min*35/100)
}

// sentinelNote explains a GOAWAY with last_stream_id 2^31−1 where one was
// seen.
func sentinelNote(dr drain) string {
	if dr.t.Sentinels == 0 {
		return ""
	}
	return " Its first GOAWAY on each connection had last_stream_id 2147483647 (2^31−1): the graceful-shutdown " +
		"sentinel of RFC 9113 §6.8 (\"finish what you sent, send nothing new\"), followed by a second GOAWAY with the " +
		"real last stream id; it is not a count of requests."
}

// who says who sent a drain: the intermediary when one answers and the
// GOAWAY has no word of a gRPC server's; else the server.
func (d *diagnosis) drainByProxy(dr drain) bool {
	return d.peer().Intermediary != "" && dr.debug == "" && dr.code == "NO_ERROR"
}

// drainCauses are the failure causes of calls that died on drains.
var drainCauses = []event.Cause{event.CauseDrain, event.CauseDrainMaxAge, event.CauseDrainMaxIdle, event.CauseDrainGracefulStop}

// reasonText writes a GOAWAY reason for people: `GOAWAY NO_ERROR
// "max_age"`, `GOAWAY NO_ERROR without debug data`.
func reasonText(dr drain) string {
	if dr.debug == "" {
		return "GOAWAY " + dr.code + " without debug data"
	}
	return "GOAWAY " + dr.code + " \"" + dr.debug + "\""
}
