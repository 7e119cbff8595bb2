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
}

// Summary is the outcome of a run as plain data: the only input of the
// renderers, and what the JSON report holds (see docs/report.md).
type Summary struct {
	Schema    string         `json:"schema"`
	Tool      Tool           `json:"tool"`
	Target    string         `json:"target"`
	Method    string         `json:"method"`
	Kind      runner.Kind    `json:"kind"`
	Options   runner.Options `json:"options"`
	StartedAt Timestamp      `json:"started_at"`
	// Duration is from Begin to End.
	Duration time.Duration `json:"duration_ns"`
	// Count is the recorded calls (streams, for streaming kinds), all
	// outcomes; OK and Errors split it.
	Count  int64 `json:"count"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"`
	// RPS is Count per second of Duration.
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
	Aborted         int64        `json:"aborted"`
	Interrupted     bool         `json:"interrupted"`
	Timeline        []Point      `json:"timeline"`
	Connections     []Connection `json:"connections"`
	ErrorsByMessage []ErrorCount `json:"errors_by_message"`
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

// Connection is what the calls over one pooled connection saw.
type Connection struct {
	Index int `json:"index"`
	// Remote is the last remote address seen; empty if none was.
	Remote string `json:"remote"`
	Calls  int64  `json:"calls"`
	Errors int64  `json:"errors"`
}

// SeriesStreamDuration names the series of stream durations.
const SeriesStreamDuration = "stream_duration"

// Summarize returns the Summary of a run recorded by r. Call it after
// r.End; it does not change r.
func Summarize(r *Recorder, meta Meta) *Summary {
	r.mu.Lock()
	begin, end, ended := r.begin, r.end, r.ended
	timeline := slices.Clone(r.timeline)
	r.mu.Unlock()
	if !ended {
		end = r.now()
	}
	kind := cmp.Or(meta.Kind, r.kind)

	m := r.merge()
	s := &Summary{
		Schema:          Schema,
		Tool:            Tool{Version: meta.Tool, GRPCGo: meta.GRPCVersion},
		Target:          meta.Target,
		Method:          meta.Method,
		Kind:            kind,
		Options:         redactOptions(meta.Options),
		StartedAt:       Timestamp{begin.UTC()},
		Duration:        end.Sub(begin),
		Count:           m.count,
		OK:              m.count - m.errors,
		Errors:          m.errors,
		StatusCodes:     m.statusCodes(),
		Latency:         newHistogram(m.latency),
		ServiceTime:     newHistogram(m.service),
		Messages:        Messages{Sent: m.sent, Received: m.received},
		Series:          map[string]*Histogram{},
		LateStarts:      m.late,
		Aborted:         meta.Aborted,
		Interrupted:     meta.Interrupted,
		Timeline:        timeline,
		Connections:     m.connections(),
		ErrorsByMessage: m.errorCounts(),
	}
	if s.Duration > 0 {
		s.RPS = float64(s.Count) / s.Duration.Seconds()
	}
	if s.Timeline == nil {
		s.Timeline = []Point{}
	}
	for i, h := range m.series {
		if h != nil {
			s.Series[runner.Series(i).String()] = newHistogram(h)
		}
	}
	if kind.Streaming() {
		// A stream's duration is its service time (End - Start): the same
		// values, so the merged histogram is shared rather than recorded twice.
		s.Series[SeriesStreamDuration] = newHistogram(m.service.Clone())
	}
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
	conns               []connStats
}

func (r *Recorder) merge() *merged {
	m := &merged{latency: newHDR(), service: newHDR(), otherCodes: map[codes.Code]int64{}, errorsByKey: map[errorKey]int64{}}
	for i := range m.series {
		if r.kind.Has(runner.Series(i)) {
			m.series[i] = newHDR()
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

func (m *merged) connections() []Connection {
	out := []Connection{}
	for i, cs := range m.conns {
		if !cs.used && cs.calls == 0 {
			continue
		}
		c := Connection{Index: i, Calls: cs.calls, Errors: cs.errors}
		if cs.peer != nil {
			c.Remote = cs.peer.String()
		}
		out = append(out, c)
	}
	return out
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
