package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/runner"
)

// Schema names the JSON report format this package writes and reads.
const Schema = "grpcpulse.report/v1"

// Meta is what a Summary needs that the Recorder cannot know.
type Meta struct {
	Target string
	Method string
	// Kind is the method's kind; empty means the Recorder's.
	Kind runner.Kind
	// Options are echoed into the report with secret header values redacted.
	Options runner.Options
	// Aborted counts the calls in flight when the run was stopped (not
	// recorded).
	Aborted int64
	// Interrupted reports that the run was stopped by an interrupt (Ctrl-C).
	Interrupted bool
	// Tool and GRPCVersion are the versions of grpcpulse and grpc-go.
	Tool, GRPCVersion string
	// Attempts counts call attempts (runner.Outcome.Attempts); nil when
	// they were not counted (no retry policy).
	Attempts *runner.Attempts
	// Notes are the settings grpc-go changed or that look like mistakes
	// (Options.Target.Notes()).
	Notes []string
	// Unstarted and PacerLate are runner.Outcome's counts (open loop).
	Unstarted, PacerLate int64
	// DescriptorHash fingerprints the method's descriptors
	// (reflect.DescriptorHash): reports with different hashes called
	// different APIs.
	DescriptorHash string
	// DataSize is the size in bytes of the request message as marshalled
	// (the first one, for templated data or a file of messages). Reports
	// of different data sizes are not compared without --force.
	DataSize int64
}

// Summary is the outcome of a run as plain data: the only input of the
// renderers, and what the JSON report holds (see docs/report.md).
type Summary struct {
	Schema  string         `json:"schema"`
	Tool    Tool           `json:"tool"`
	Target  string         `json:"target"`
	Method  string         `json:"method"`
	Kind    runner.Kind    `json:"kind"`
	Options runner.Options `json:"options"`
	// DataBytes is Meta.DataSize: the marshalled size of the request.
	DataBytes int64 `json:"data_bytes"`
	// DescriptorHash is Meta.DescriptorHash ("" when unknown).
	DescriptorHash string    `json:"descriptor_hash,omitempty"`
	StartedAt      Timestamp `json:"started_at"`
	// Duration is from Begin to End.
	Duration time.Duration `json:"duration_ns"`
	// Count is the recorded calls (streams, for streaming kinds), all
	// outcomes; OK and Errors split it.
	Count  int64 `json:"count"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"`
	// RPS is Count per second of the run's window: -z when given (calls
	// finishing after it started within it), else Duration.
	RPS         float64     `json:"rps"`
	StatusCodes StatusCodes `json:"status_codes"`
	// Latency is from each call's intended start to its end; ServiceTime
	// from its actual start. Both count every outcome.
	Latency     *Histogram `json:"latency"`
	ServiceTime *Histogram `json:"service_time"`
	Messages    Messages   `json:"messages"`
	// Series holds the per-message series the kind has, by name
	// (first_message, msg_gap, msg_rtt, send_time), and stream_duration
	// for streaming kinds.
	Series map[string]*Histogram `json:"series"`
	// LateStarts counts calls that started after they were due (open loop).
	LateStarts int64 `json:"late_starts"`
	// Aborted counts calls in flight when the run was stopped.
	Aborted int64 `json:"aborted"`
	// Unstarted counts calls due within the run that never started (open
	// loop: every worker was held until the run ended).
	Unstarted int64 `json:"unstarted"`
	// PacerLate counts calls the tool itself handed out late (open loop:
	// an overloaded client machine); their latency counts from when due.
	PacerLate   int64        `json:"pacer_late"`
	Interrupted bool         `json:"interrupted"`
	Timeline    []Point      `json:"timeline"`
	Connections []Connection `json:"connections"`
	// Backends counts calls by remote address, most first.
	Backends        []Backend    `json:"backends"`
	ErrorsByMessage []ErrorCount `json:"errors_by_message"`
	// Connectivity is what the pool connections went through; nil in
	// reports written before it existed.
	Connectivity *Connectivity `json:"connectivity,omitempty"`
	// Findings is Diagnose's reading of the run, most severe first.
	Findings []Finding `json:"findings"`
	// Assertions are the --assert gates evaluated at the end of the run
	// (EvaluateAssertions); nil when none were given.
	Assertions []AssertionResult `json:"assertions,omitempty"`
	// Sources are the reports a merged report was made of (Merge), in the
	// order given; nil for the report of a single run.
	Sources []Source `json:"sources,omitempty"`
}

// Tool names the versions that made a report.
type Tool struct {
	Version string `json:"version"`
	GRPCGo  string `json:"grpc_go"`
}

// Messages counts stream messages (1 and 1 per unary call).
type Messages struct {
	Sent     int64 `json:"sent"`
	Received int64 `json:"received"`
}

// Connection is what one pooled connection (a grpc.ClientConn) and the
// calls over it went through.
type Connection struct {
	Index int `json:"index"`
	// Remote is the last remote address seen; empty if none was.
	Remote string `json:"remote"`
	Calls  int64  `json:"calls"`
	Errors int64  `json:"errors"`
	// FailureCauses counts its failed calls by transport cause.
	FailureCauses map[Cause]int64 `json:"failure_causes,omitempty"`
	// StalledAt is set when calls on the connection missed their deadline
	// while it was READY (deadline_while_ready) and, from the first of them
	// on, no call succeeded and no transport was found dead: the connection
	// went silent and nothing noticed. It is when that first call ended,
	// relative to the start of measurement.
	StalledAt *time.Duration `json:"stalled_at_ns,omitempty"`
	// Transports counts the TCP connections it opened; Reconnects the times
	// it became READY again after losing one.
	Transports int64 `json:"transports"`
	Reconnects int64 `json:"reconnects"`
	// Lifetime is of its transports, open to close (those open at the end
	// of the run count until then); nil when none opened.
	Lifetime *Spread `json:"lifetime,omitempty"`
	// ReconnectLatency is from losing a transport to READY again.
	ReconnectLatency *Spread `json:"reconnect_latency,omitempty"`
	// Unavailable is its time in CONNECTING or TRANSIENT_FAILURE after its
	// first READY, within the measured run.
	Unavailable time.Duration `json:"unavailable_ns"`
	// KeepaliveTime is the keepalive interval grpc-go used at the end (see
	// KeepaliveStats.Effective); omitted when keepalive was off.
	KeepaliveTime time.Duration `json:"keepalive_time_ns,omitempty"`
	// EventCounts counts all its events by kind, kept or not.
	EventCounts map[runner.EventKind]int64 `json:"event_counts,omitempty"`
	// GoAways, Closes and ConnectFailures are its parts of the
	// Connectivity counts of the same names.
	GoAways         map[string]int64 `json:"goaways,omitempty"`
	Closes          map[string]int64 `json:"closes,omitempty"`
	ConnectFailures map[Cause]int64  `json:"connect_failures,omitempty"`
	// Events are its first 50 and last 50 events, in time order;
	// DroppedEvents counts the ones between, which were counted but not
	// kept.
	Events        []Event `json:"events"`
	DroppedEvents int64   `json:"dropped_events"`
}

// SeriesStreamDuration names the series of stream durations.
const SeriesStreamDuration = "stream_duration"

// Summarize returns the Summary of a run recorded by r. Call it after
// r.End; it does not change r.
func Summarize(r *Recorder, meta Meta) *Summary {
	s := r.summarize(meta)
	s.Findings = Diagnose(s)
	return s
}

// SummarizeSoFar returns the Summary of the run recorded so far, without
// findings (Findings is empty): what assertions are checked against during
// a run (--abort-on-fail). It is safe for concurrent use with recording:
// the shards are merged under their locks into fresh histograms, and the
// timeline holds the seconds completed so far. Before Begin it is the
// Summary of an empty run; after End it is Summarize without Diagnose.
func (r *Recorder) SummarizeSoFar(meta Meta) *Summary {
	return r.summarize(meta)
}

// summarize is Summarize without the diagnosis.
func (r *Recorder) summarize(meta Meta) *Summary {
	r.mu.Lock()
	begun, begin, end, ended := r.begun, r.begin, r.end, r.ended
	timeline := slices.Clone(r.timeline)
	r.mu.Unlock()
	if !ended {
		end = r.now()
	}
	if !begun {
		begin = end
	}
	kind := cmp.Or(meta.Kind, r.kind)

	m := r.merge()
	evs, cv := r.events.summarize(end, meta.Options.Target.Keepalive)
	s := &Summary{
		Schema:          Schema,
		Tool:            Tool{Version: meta.Tool, GRPCGo: meta.GRPCVersion},
		Target:          meta.Target,
		Method:          meta.Method,
		Kind:            kind,
		Options:         RedactOptions(meta.Options),
		DataBytes:       meta.DataSize,
		DescriptorHash:  meta.DescriptorHash,
		StartedAt:       Timestamp{begin.UTC()},
		Duration:        end.Sub(begin),
		Count:           m.count,
		OK:              m.count - m.errors,
		Errors:          m.errors,
		StatusCodes:     m.statusCodes(),
		Latency:         NewHistogram(m.latency),
		ServiceTime:     NewHistogram(m.service),
		Messages:        Messages{Sent: m.sent, Received: m.received},
		Series:          map[string]*Histogram{},
		LateStarts:      m.late,
		Unstarted:       meta.Unstarted,
		PacerLate:       meta.PacerLate,
		Aborted:         meta.Aborted,
		Interrupted:     meta.Interrupted,
		Timeline:        timeline,
		Connections:     m.connections(evs, begin),
		Backends:        m.backends(),
		ErrorsByMessage: m.errorCounts(),
		Connectivity:    cv,
	}
	for i, n := range m.causes {
		if n > 0 {
			cv.FailureCauses[causeNames[i]] = n
		}
	}
	cv.Notes = append(cv.Notes, meta.Notes...)
	if a := meta.Attempts; a != nil {
		cv.Retries = &RetryStats{Calls: m.count, Attempts: a.Total, Transparent: a.Transparent,
			Retries: max(a.Total-m.count-a.Transparent, 0), Exhausted: m.causes[causeRetriesExhausted]}
	}
	if window := RateWindow(s.Duration, meta.Options.Load.Duration); window > 0 {
		s.RPS = float64(s.Count) / window.Seconds()
	}
	if s.Timeline == nil {
		s.Timeline = []Point{}
	}
	for i, h := range m.series {
		if h != nil {
			s.Series[runner.Series(i).String()] = NewHistogram(h)
		}
	}
	if kind.Streaming() {
		// A stream's duration is its service time (End - Start): the same
		// values, so the merged histogram is shared rather than recorded twice.
		s.Series[SeriesStreamDuration] = NewHistogram(m.service.Clone())
	}
	s.Findings = []Finding{}
	return s
}

// merged is every shard of a Recorder added together.
type merged struct {
	latency, service    *hdrhistogram.Histogram
	series              [runner.NumSeries]*hdrhistogram.Histogram
	count, errors, late int64
	sent, received      int64
	codes               [numCodes]int64
	otherCodes          map[codes.Code]int64
	errorsByKey         map[errorKey]int64
	causes              [numCauses]int64
	conns               []connStats
	peers               map[string]*peerCount
}

func (r *Recorder) merge() *merged {
	m := &merged{latency: NewHDR(), service: NewHDR(), otherCodes: map[codes.Code]int64{},
		errorsByKey: map[errorKey]int64{}, peers: map[string]*peerCount{}}
	for i := range m.series {
		if r.kind.Has(runner.Series(i)) {
			m.series[i] = NewHDR()
		}
	}
	for _, s := range r.shards {
		s.mu.Lock()
		m.latency.Merge(s.latency)
		m.service.Merge(s.service)
		for i, h := range s.series {
			if h != nil {
				m.series[i].Merge(h)
			}
		}
		m.count += s.count
		m.errors += s.errors
		m.late += s.late
		m.sent += s.sent
		m.received += s.received
		for c, n := range s.codes {
			m.codes[c] += n
		}
		for c, n := range s.otherCodes {
			m.otherCodes[c] += n
		}
		for k, n := range s.errorsByKey {
			m.errorsByKey[k] += n
		}
		for i, n := range s.causes {
			m.causes[i] += n
		}
		for _, p := range s.peers {
			mp := m.peers[p.name]
			if mp == nil {
				mp = &peerCount{name: p.name}
				m.peers[p.name] = mp
			}
			mp.calls += p.calls
			mp.errors += p.errors
		}
		for i, cs := range s.conns {
			for len(m.conns) <= i {
				m.conns = append(m.conns, connStats{})
			}
			mc := &m.conns[i]
			mc.used = mc.used || cs.used
			mc.calls += cs.calls
			mc.errors += cs.errors
			if cs.peer != nil && (mc.peer == nil || cs.peerAt.After(mc.peerAt)) {
				mc.peer, mc.peerAt = cs.peer, cs.peerAt
			}
			for c, n := range cs.causes {
				mc.causes[c] += n
			}
			mc.lastOK, mc.lastFail = latest(mc.lastOK, cs.lastOK), latest(mc.lastFail, cs.lastFail)
			if !cs.firstStall.IsZero() && (mc.firstStall.IsZero() || cs.firstStall.Before(mc.firstStall)) {
				mc.firstStall = cs.firstStall
			}
		}
		s.mu.Unlock()
	}
	return m
}

func (m *merged) statusCodes() StatusCodes {
	sc := StatusCodes{}
	for c, n := range m.codes {
		if n > 0 {
			sc = append(sc, CodeCount{Code: codes.Code(c), Count: n})
		}
	}
	for c, n := range m.otherCodes {
		sc = append(sc, CodeCount{Code: c, Count: n})
	}
	slices.SortFunc(sc, func(a, b CodeCount) int { return cmp.Compare(a.Code, b.Code) })
	return sc
}

// connections joins what the calls and the events of each pool connection
// saw; begin is the start of measurement.
func (m *merged) connections(evs map[int]*connEvents, begin time.Time) []Connection {
	out := []Connection{}
	n := len(m.conns)
	for i := range evs {
		n = max(n, i+1)
	}
	for i := range n {
		var cs connStats
		if i < len(m.conns) {
			cs = m.conns[i]
		}
		ev := evs[i]
		if !cs.used && cs.calls == 0 && ev == nil {
			continue
		}
		c := Connection{Index: i, Calls: cs.calls, Errors: cs.errors, Events: []Event{}}
		if cs.peer != nil {
			c.Remote = cs.peer.String()
		}
		for why, k := range cs.causes {
			if k > 0 {
				if c.FailureCauses == nil {
					c.FailureCauses = map[Cause]int64{}
				}
				c.FailureCauses[causeNames[why]] = k
			}
		}
		if ev != nil {
			c.Transports, c.Reconnects = ev.transports, ev.reconnects
			c.Lifetime, c.ReconnectLatency = ev.lifetime, ev.reconnect
			c.Unavailable, c.KeepaliveTime = ev.unavailable, ev.keepalive
			c.EventCounts, c.GoAways, c.Closes, c.ConnectFailures = ev.kinds, ev.goaways, ev.closes, ev.connectFailures
			c.Events, c.DroppedEvents = ev.events, ev.dropped
			if c.Remote == "" {
				c.Remote = lastRemote(ev.events)
			}
		}
		if cs.causes[causeDeadlineWhileReady] > 0 && !cs.lastOK.After(cs.firstStall) &&
			(ev == nil || !ev.detectedAt.After(cs.lastOK)) {
			at := cs.firstStall.Sub(begin)
			c.StalledAt = &at
		}
		out = append(out, c)
	}
	return out
}

// lastRemote is the remote address of the last transport opened, for a
// connection no call reported one for.
func lastRemote(events []Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Kind == runner.EventOpen && e.Remote != "" {
			return e.Remote
		}
	}
	return ""
}

// errorCounts sorts errors by count, most first, then by message and code.
func (m *merged) errorCounts() []ErrorCount {
	out := []ErrorCount{}
	for k, n := range m.errorsByKey {
		out = append(out, ErrorCount{Code: k.code, Message: k.msg, Count: n})
	}
	slices.SortFunc(out, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// RateWindow is what rps divides by: -z when it was given, so that a rate
// run reports the rate it started calls at (the calls still finishing after
// -z started within it), else the measured duration.
func RateWindow(measured, z time.Duration) time.Duration {
	if z > 0 && z < measured {
		return z
	}
	return measured
}
