package record

import (
	"cmp"
	"maps"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// Meta is what a Summary needs that the Recorder cannot know.
type Meta struct {
	Method string
	// Kind is the method's kind; empty means the Recorder's.
	Kind event.Kind
	// Options are echoed into the report with secret header values
	// redacted; the report's target is Options.Target.Addr.
	Options plan.Options
	// Outcome is what runner.Run returned about the run as a whole (calls
	// aborted or never started, attempts, interruption). Its Interrupted is
	// the report's: the caller sets it for an interrupt by the user only.
	Outcome runner.Outcome
	// Tool and GRPCVersion are the versions of grpcpulse and grpc-go.
	Tool, GRPCVersion string
	// CPUs is how many processors the client used at once (GOMAXPROCS).
	CPUs int
	// Notes are the settings grpc-go changed or that look like mistakes
	// (Options.Target.Notes()).
	Notes []string
	// DescriptorHash fingerprints the method's descriptors
	// (reflect.DescriptorHash): reports with different hashes called
	// different APIs.
	DescriptorHash string
	// DataSize is the size in bytes of the request message as marshalled
	// (the first one, for templated data or a file of messages). Reports
	// of different data sizes are not compared without --force.
	DataSize int64
	// Mix names the methods of a mix and their weights, in the order of
	// NewMix's kinds; nil for a run of one method.
	Mix []MixMethod
}

// Summary returns the Summary of the run recorded by r, without findings
// (Findings is empty: diagnose.Findings reads them from it). After End it
// is the run's; before, it is the run so far, which is what assertions are
// checked against during a run (--abort-on-fail). It is safe for
// concurrent use with recording: the shards are merged under their locks
// into fresh histograms, and the timeline holds the seconds completed so
// far. Before Begin it is the Summary of an empty run. It does not change r.
func (r *Recorder) Summary(meta Meta) *report.Summary {
	r.mu.Lock()
	begun, begin, end, ended := r.begun, r.begin, r.end, r.ended
	timeline := slices.Clone(r.timeline)
	r.mu.Unlock()
	targets(timeline, &meta.Options.Load)
	if !ended {
		end = r.now()
	}
	if !begun {
		begin = end
	}
	kind := cmp.Or(meta.Kind, r.kind)

	m := mergeShards(r.shards)
	evs, cv := r.events.summarize(end, meta.Options.Target.Keepalive, !meta.Options.Target.Plaintext)
	s := &report.Summary{
		Schema:          report.Schema,
		Tool:            report.Tool{Version: meta.Tool, GRPCGo: meta.GRPCVersion, CPUs: meta.CPUs},
		Engine:          meta.Options.Target.EngineName(),
		Target:          meta.Options.Target.Addr,
		Method:          meta.Method,
		Kind:            kind,
		Options:         report.RedactOptions(meta.Options),
		DataBytes:       meta.DataSize,
		DescriptorHash:  meta.DescriptorHash,
		StartedAt:       report.Timestamp{Time: begin.UTC()},
		Duration:        end.Sub(begin),
		Count:           m.count,
		OK:              m.count - m.errors,
		Errors:          m.errors,
		StatusCodes:     m.statusCodes(),
		Latency:         report.NewHistogramSum(m.latency, m.latencySum),
		ServiceTime:     report.NewHistogramSum(m.service, m.serviceSum),
		Cut:             m.cut,
		CutFor:          m.cutFor,
		Messages:        report.Messages{Sent: m.sent + meta.Outcome.AbortedSent, Received: m.received + meta.Outcome.AbortedReceived},
		Series:          map[string]*report.Histogram{},
		LateStarts:      m.late,
		LateBy:          m.lateBy.spread(),
		PacerLateBy:     latenessSpread(meta.Outcome.PacerLateBy),
		Unstarted:       meta.Outcome.Unstarted,
		PacerLate:       meta.Outcome.PacerLate,
		HeldAtEnd:       meta.Outcome.HeldAtEnd,
		HeldFor:         meta.Outcome.HeldFor,
		Aborted:         meta.Outcome.Aborted,
		CutDelivering:   meta.Outcome.AbortedDelivering,
		Interrupted:     meta.Outcome.Interrupted,
		Stalled:         meta.Outcome.Stalled,
		Timeline:        timeline,
		Connections:     m.connections(evs, begin, end),
		Backends:        m.backends(),
		ErrorsByMessage: m.errorCounts(),
		Connectivity:    cv,
	}
	for why, n := range m.causes {
		cv.FailureCauses[why] = n
	}
	cv.Notes = append(cv.Notes, meta.Notes...)
	if a := meta.Outcome.Attempts; a != nil {
		cv.Retries = &report.RetryStats{Calls: m.count, Attempts: a.Total, Transparent: a.Transparent,
			Retries: max(a.Total-m.count-a.Transparent, 0), Exhausted: m.causes[event.CauseRetriesExhausted]}
	}
	if p := meta.Outcome.Payloads; p != nil {
		s.Compression = &report.Compression{Codec: meta.Options.Call.Compress, SentBytes: p.Sent, SentWireBytes: p.SentWire,
			ReceivedBytes: p.Received, ReceivedWireBytes: p.ReceivedWire}
	}
	if window := report.RateWindow(s.Duration, meta.Options.Load.Duration); window > 0 {
		s.RPS = float64(s.Count) / window.Seconds()
	}
	if s.Timeline == nil {
		s.Timeline = []report.Point{}
	}
	for i, h := range m.series {
		if h != nil {
			s.Series[event.Series(i).String()] = report.NewHistogramSum(h, m.seriesSum[i])
		}
	}
	if r.methods != nil {
		s.Methods = r.methodSummaries(meta, report.RateWindow(s.Duration, meta.Options.Load.Duration).Seconds())
	}
	if kind.Streaming() && kind != event.Mixed {
		// A stream's duration is its service time (End - Start): the same
		// values, so the merged histogram is shared rather than recorded twice.
		s.Series[report.SeriesStreamDuration] = report.NewHistogramSum(m.service.Clone(), m.serviceSum)
	}
	s.Findings = []report.Finding{}
	report.NewScrubber(meta.Options).Summary(s)
	return s
}

// merged is every shard of a Recorder added together.
type merged struct {
	latency, service    *hdrhistogram.Histogram
	series              [event.NumSeries]*hdrhistogram.Histogram
	count, errors, late int64
	sent, received, cut int64
	lateBy              spreadRec
	cutFor              time.Duration
	latencySum          float64
	serviceSum          float64
	seriesSum           [event.NumSeries]float64
	codes               [numCodes]int64
	otherCodes          map[codes.Code]int64
	errorsByKey         map[errorKey]*report.ErrorCount
	causes              map[event.Cause]int64
	conns               []connStats
	peers               map[string]*peerCount
}

func mergeShards(shards []*shard) *merged {
	m := &merged{latency: report.NewHDR(), service: report.NewHDR(), otherCodes: map[codes.Code]int64{},
		errorsByKey: map[errorKey]*report.ErrorCount{}, peers: map[string]*peerCount{}, causes: map[event.Cause]int64{}}
	for _, s := range shards {
		s.mu.Lock()
		m.latency.Merge(s.latency)
		m.service.Merge(s.service)
		for i, h := range s.series {
			if h != nil {
				if m.series[i] == nil {
					m.series[i] = report.NewHDR()
				}
				m.series[i].Merge(h)
			}
		}
		m.count += s.count
		m.cut += s.cut
		m.cutFor = max(m.cutFor, s.cutFor)
		m.latencySum += s.latencySum
		m.serviceSum += s.serviceSum
		for i, v := range s.seriesSum {
			m.seriesSum[i] += v
		}
		m.errors += s.errors
		m.late += s.late
		m.lateBy.merge(&s.lateBy)
		m.sent += s.sent
		m.received += s.received
		for c, n := range s.codes {
			m.codes[c] += n
		}
		for c, n := range s.otherCodes {
			m.otherCodes[c] += n
		}
		for k, e := range s.errorsByKey {
			if m.errorsByKey[k] == nil {
				m.errorsByKey[k] = &report.ErrorCount{Code: event.Code(k.code), Message: k.msg}
			}
			m.errorsByKey[k].Absorb(*e)
		}
		for why, n := range s.causes {
			m.causes[why] += n
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
			for why, n := range cs.causes {
				if mc.causes == nil {
					mc.causes = map[event.Cause]int64{}
				}
				mc.causes[why] += n
			}
			mc.lastOK, mc.lastFail = latest(mc.lastOK, cs.lastOK), latest(mc.lastFail, cs.lastFail)
			if !cs.firstStall.IsZero() && (mc.firstStall.IsZero() || cs.firstStall.Before(mc.firstStall)) {
				mc.firstStall = cs.firstStall
			}
			mc.windows = append(mc.windows, cs.windows...)
		}
		s.mu.Unlock()
	}
	return m
}

func (m *merged) statusCodes() report.StatusCodes {
	sc := report.StatusCodes{}
	for c, n := range m.codes {
		if n > 0 {
			sc = append(sc, report.CodeCount{Code: event.Code(c), Count: n})
		}
	}
	for c, n := range m.otherCodes {
		sc = append(sc, report.CodeCount{Code: event.Code(c), Count: n})
	}
	slices.SortFunc(sc, func(a, b report.CodeCount) int { return cmp.Compare(a.Code, b.Code) })
	return sc
}

// connections joins what the calls and the events of each pool connection
// saw; begin is the start of measurement, end the end of the run.
func (m *merged) connections(evs map[int]*connEvents, begin, end time.Time) []report.Connection {
	out := []report.Connection{}
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
		c := report.Connection{Index: i, Calls: cs.calls, Errors: cs.errors, Events: []report.Event{}}
		if cs.peer != nil {
			c.Remote = cs.peer.String()
		}
		if len(cs.causes) > 0 {
			c.FailureCauses = maps.Clone(cs.causes)
		}
		if ev != nil {
			c.Transports, c.Reconnects = ev.transports, ev.reconnects
			c.Lifetime, c.ReconnectLatency = ev.lifetime, ev.reconnect
			c.Unavailable, c.KeepaliveTime = ev.unavailable, ev.keepalive
			c.EventCounts, c.GoAways, c.Closes, c.ConnectFailures = ev.kinds, ev.goaways, ev.closes, ev.connectFailures
			c.Events, c.DroppedEvents, c.RSTStreams = ev.events, ev.dropped, ev.rsts
			if c.Remote == "" {
				c.Remote = lastRemote(ev.events)
			}
		}
		if len(cs.windows) > 0 {
			var events []report.Event
			if ev != nil {
				events = ev.events
			}
			c.SilentWindows = silentWindows(cs.windows, events, begin, end)
		}
		if cs.causes[event.CauseDeadlineWhileReady] > 0 && !cs.lastOK.After(cs.firstStall) &&
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
func lastRemote(events []report.Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Kind == event.EventOpen && e.Remote != "" {
			return e.Remote
		}
	}
	return ""
}

// errorCounts sorts errors by count, most first, then by message and code.
func (m *merged) errorCounts() []report.ErrorCount {
	out := []report.ErrorCount{}
	for _, e := range m.errorsByKey {
		out = append(out, *e)
	}
	report.SortErrorCounts(out)
	return out
}

// targets sets each point's open-loop target rate: the calls the load's
// schedule had due over the point, per second of it.
func targets(timeline []report.Point, load *plan.Load) {
	if !load.OpenLoop() {
		return
	}
	for i := range timeline {
		p := &timeline[i]
		width := cmp.Or(p.Width, time.Second)
		from := time.Duration(p.Second) * time.Second
		p.Target = float64(load.TargetCalls(from, from+width)) / width.Seconds()
	}
}
