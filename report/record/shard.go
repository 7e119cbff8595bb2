package record

import (
	"cmp"
	"net"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"google.golang.org/grpc/codes"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/runner"
)

// numCodes is the number of status codes gRPC defines (OK to Unauthenticated).
const numCodes = int(codes.Unauthenticated) + 1

// maxErrorKeys bounds the distinct normalised errors one shard keeps, so a
// server that puts a unique id in every message cannot grow memory with the
// number of calls; the rest are counted under otherMessages.
const maxErrorKeys = 100

// otherMessages is the message under which errors beyond maxErrorKeys count.
const otherMessages = "(other messages)"

// shard holds the measurements of the workers mapped to it. A dense
// histogram is about 188 KB, so workers share shards rather than each owning
// a set; the mutex is taken once per call or message and is uncontended in
// practice (few workers per shard, each between network round trips).
type shard struct {
	mu sync.Mutex

	latency, service *hdrhistogram.Histogram
	series           [event.NumSeries]*hdrhistogram.Histogram // nil for series the kind lacks

	count, errors, late int64
	sent, received      int64
	lateBy              spreadRec // how late the late starts started
	// cut counts the calls in latency at a lower bound (Recorder.Cut).
	cut int64
	// cutFor is the longest of the cut calls' lower bounds.
	cutFor time.Duration
	// The sums of the values in latency, service and series, for exact
	// means (a float64 does not overflow where an int64 of nanoseconds
	// would, and keeps 15 digits).
	latencySum, serviceSum float64
	seriesSum              [event.NumSeries]float64
	codes                  [numCodes]int64
	otherCodes             map[codes.Code]int64
	errorsByKey            map[errorKey]*report.ErrorCount
	causes                 map[event.Cause]int64
	conns                  []connStats // indexed by connection
	peers                  []peerCount // calls by remote address, at most maxPeers

	// The timeline's open seconds (timeline.go): begin is the start of
	// measurement (once begun), next the first second not folded yet.
	begun bool
	begin time.Time
	next  int
	slots [numSlots]slot
}

type errorKey struct {
	code codes.Code
	msg  string
}

// connStats is what one shard saw of one pooled connection.
type connStats struct {
	used          bool // a worker of this connection maps to the shard
	calls, errors int64
	peer          net.Addr
	peerAt        time.Time // End of the call that saw peer
	peerHint      int       // index in shard.peers of the last call's remote
	causes        map[event.Cause]int64
	// lastOK and lastFail are the End of the latest successful and failed
	// calls; firstStall the End of the earliest deadline_while_ready failure.
	lastOK, lastFail, firstStall time.Time
	windows                      []silentWin // runs of deadline_while_ready failures
}

func newShard(kind event.Kind) *shard {
	s := &shard{latency: report.NewHDR(), service: report.NewHDR()}
	for i := range s.slots {
		s.slots[i].hist = report.NewHDR()
	}
	for i := range s.series {
		if kind.Has(event.Series(i)) {
			s.series[i] = report.NewHDR()
		}
	}
	return s
}

// addConn makes room for connection ci, so that recording never grows
// the slice.
func (s *shard) addConn(ci int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.conns) <= ci {
		s.conns = append(s.conns, connStats{})
	}
	s.conns[ci].used = true
}

// recordCall is the per-call path; key and msg (the raw status message) are
// only read when the call failed. The caller holds s.mu. It returns false,
// recording nothing, when the second the call ended in has no free slot:
// the caller must fold the seconds before it (Recorder.foldBefore) and
// try again.
func (s *shard) recordCall(c *runner.CallStats, ci int, key errorKey, msg string) bool {
	sl := s.slotFor(s.secondOf(c.End))
	if sl == nil {
		return false
	}
	latency := c.End.Sub(c.Intended)
	s.latencySum += record(s.latency, latency)
	s.serviceSum += record(s.service, c.End.Sub(c.Start))
	record(sl.hist, latency)
	s.count++
	sl.count++
	s.sent += c.Sent
	s.received += c.Received
	if c.Late {
		s.late++
		s.lateBy.addMedian(c.Start.Sub(c.Intended))
	}
	cs := &s.conns[ci]
	cs.calls++
	if c.Peer != nil {
		if !c.End.Before(cs.peerAt) {
			cs.peer, cs.peerAt = c.Peer, c.End
		}
		cs.peerHint = s.peerIndex(c.Peer, cs.peerHint)
		p := &s.peers[cs.peerHint]
		p.calls++
		if c.Code != codes.OK {
			p.errors++
		}
	}
	if int(c.Code) < numCodes {
		s.codes[c.Code]++
	} else {
		if s.otherCodes == nil {
			s.otherCodes = map[codes.Code]int64{}
		}
		s.otherCodes[codes.Code(report.FoldCode(event.Code(c.Code)))]++ // one key, whatever numbers a server sends
	}
	if c.Code == codes.OK {
		cs.lastOK = latest(cs.lastOK, c.End)
		cs.ok(c.End)
		return true
	}
	s.errors++
	sl.errors++
	cs.errors++
	cs.lastFail = latest(cs.lastFail, c.End)
	// The worker stamped the cause (runner/conn's one table); a
	// recorder fed by something else still counts the failure.
	why := cmp.Or(c.Cause, event.CauseOther)
	bump(&s.causes, why)
	bump(&cs.causes, why)
	if why == event.CauseDeadlineWhileReady && (cs.firstStall.IsZero() || c.End.Before(cs.firstStall)) {
		cs.firstStall = c.End
	}
	if why == event.CauseDeadlineWhileReady {
		cs.stall(c.Start, c.End)
	}
	if s.errorsByKey == nil {
		s.errorsByKey = map[errorKey]*report.ErrorCount{}
	}
	e := s.errorsByKey[key]
	if e == nil && len(s.errorsByKey) >= maxErrorKeys {
		key.msg = otherMessages
		e = s.errorsByKey[key]
	}
	if e == nil {
		e = &report.ErrorCount{Code: event.Code(key.code), Message: key.msg}
		// The group shows what the peer sent: its first message, when the
		// normalised one differs (numbers merged for counting can be the
		// clue: "charset=iso-8859-1", a length that spells "!DOC").
		if sample := oneLine(report.TruncateMessage(msg)); key.msg != otherMessages && sample != key.msg {
			e.Sample = sample
		}
		s.errorsByKey[key] = e
	}
	e.Count++
	e.AddDuration(c.End.Sub(c.Start))
	return true
}
