package report

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// The bounds ReadJSON holds a report to. A report outside them was not
// written by grpcpulse: it is refused (ErrCorrupt) rather than rendered or
// merged, where an absurd value would overflow arithmetic or size an
// allocation.
const (
	// MaxReportDuration bounds every duration of a report (a run, a rate
	// window, an event time, a connection's unavailable time): 100 years.
	MaxReportDuration = 100 * 365 * 24 * time.Hour
	// MaxTimelineSecond bounds a timeline point's second: 10 years.
	MaxTimelineSecond = 10 * 365 * 24 * 3600
	// MaxConnections bounds connection indexes and pool sizes.
	MaxConnections = 1 << 20
	// maxHistogramNS bounds a histogram's figures: its highest trackable
	// value, with room for HdrHistogram's rounding up to a bucket's top.
	maxHistogramNS = 2 * HighestNS
	// maxSeries bounds the series of a report (each holds a histogram).
	maxSeries = 64
	// maxMapKeys bounds every other map of a report.
	maxMapKeys = 100_000
)

// The range of a report's wall-clock times (started_at): from the Unix
// epoch, as a machine without a clock may start, to the end of what
// time.Time.UnixNano can say.
var (
	minStartedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStartedAt = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrCorrupt means a report's fields hold values no run can produce (a
// negative count, a duration of centuries, a timeline second past the end
// of the run); the error names the first such field.
var ErrCorrupt = errors.New("corrupt report")

// Validate checks every numeric field of s against what a run can produce,
// and returns an ErrCorrupt error naming the first field that is not.
func Validate(s *Summary) error {
	c := &checker{}
	c.summary(s)
	return c.err
}

// checker keeps the first fault it is told of.
type checker struct{ err error }

func (c *checker) fail(field string, v any, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: field %s is %v (want %s)", ErrCorrupt, field, v, want)
	}
}

func (c *checker) count(field string, v int64) {
	if v < 0 {
		c.fail(field, v, "a count, 0 or more")
	}
}

func (c *checker) intRange(field string, v, lo, hi int) {
	if v < lo || v > hi {
		c.fail(field, v, fmt.Sprintf("%d to %d", lo, hi))
	}
}

func (c *checker) duration(field string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		c.fail(field, int64(d), fmt.Sprintf("%d to %d ns", int64(lo), int64(hi)))
	}
}

// span is a duration of 0 to MaxReportDuration.
func (c *checker) span(field string, d time.Duration) { c.duration(field, d, 0, MaxReportDuration) }

// offset is a time relative to the start of measurement, either side.
func (c *checker) offset(field string, d time.Duration) {
	c.duration(field, d, -MaxReportDuration, MaxReportDuration)
}

func (c *checker) float(field string, v float64) {
	if !(v >= 0) || v > 1e300 {
		c.fail(field, v, "a number, 0 or more")
	}
}

func (c *checker) startedAt(field string, t Timestamp) {
	if t.Before(minStartedAt) || !t.Before(maxStartedAt) {
		c.fail(field, t.UTC().Format(time.RFC3339), "a time from 1970 to 2261")
	}
}

func (c *checker) mapSize(field string, n, most int) {
	if n > most {
		c.fail(field, fmt.Sprintf("a map of %d entries", n), fmt.Sprintf("at most %d", most))
	}
}

func (c *checker) counts(field string, m map[string]int64) {
	c.mapSize(field, len(m), maxMapKeys)
	for _, k := range sortedKeys(m) {
		c.count(fmt.Sprintf("%s[%q]", field, k), m[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func stringKeyed[K ~string](m map[K]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func (c *checker) summary(s *Summary) {
	c.startedAt("started_at", s.StartedAt)
	c.span("duration_ns", s.Duration)
	c.count("data_bytes", s.DataBytes)
	for _, f := range []struct {
		name string
		v    int64
	}{{"count", s.Count}, {"ok", s.OK}, {"errors", s.Errors}, {"late_starts", s.LateStarts}, {"aborted", s.Aborted},
		{"unstarted", s.Unstarted}, {"pacer_late", s.PacerLate}, {"messages.sent", s.Messages.Sent}, {"messages.received", s.Messages.Received}} {
		c.count(f.name, f.v)
	}
	c.float("rps", s.RPS)
	c.options(s)
	for i, sc := range s.StatusCodes {
		c.count(fmt.Sprintf("status_codes[%d].count", i), sc.Count)
	}
	c.histogram("latency", s.Latency)
	c.histogram("service_time", s.ServiceTime)
	c.mapSize("series", len(s.Series), maxSeries)
	for _, name := range sortedKeys(s.Series) {
		c.histogram(fmt.Sprintf("series[%q]", name), s.Series[name])
	}
	c.timeline(s)
	for i := range s.Connections {
		c.connection(fmt.Sprintf("connections[%d]", i), &s.Connections[i])
	}
	for i, b := range s.Backends {
		c.count(fmt.Sprintf("backends[%d].calls", i), b.Calls)
		c.count(fmt.Sprintf("backends[%d].errors", i), b.Errors)
	}
	for i, e := range s.ErrorsByMessage {
		c.count(fmt.Sprintf("errors_by_message[%d].count", i), e.Count)
	}
	if s.Connectivity != nil {
		c.connectivity(s.Connectivity)
	}
	if cp := s.Compression; cp != nil {
		c.count("compression.sent_bytes", cp.SentBytes)
		c.count("compression.sent_wire_bytes", cp.SentWireBytes)
		c.count("compression.received_bytes", cp.ReceivedBytes)
		c.count("compression.received_wire_bytes", cp.ReceivedWireBytes)
	}
	if s.FindMax != nil {
		c.findMax(s.FindMax)
	}
	for i, src := range s.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		c.startedAt(f+".started_at", src.StartedAt)
		c.span(f+".duration_ns", src.Duration)
		c.span(f+".window_ns", src.Window)
		c.count(f+".count", src.Count)
		c.count(f+".errors", src.Errors)
		c.float(f+".rps", src.RPS)
		c.intRange(f+".concurrency", src.Concurrency, 0, MaxConnections)
		c.intRange(f+".first_connection", src.FirstConnection, 0, MaxConnections)
		c.intRange(f+".connections", src.Connections, 0, MaxConnections)
	}
}

func (c *checker) options(s *Summary) {
	l, call := s.Options.Load, s.Options.Call
	c.intRange("options.load.concurrency", l.Concurrency, 0, MaxConnections)
	c.intRange("options.load.connections", l.Connections, 0, MaxConnections)
	c.count("options.load.total", l.Total)
	c.span("options.load.duration_ns", l.Duration)
	c.span("options.load.warmup_ns", l.Warmup)
	c.span("options.load.stall_timeout_ns", l.StallTimeout)
	c.float("options.load.rps", l.RPS)
	c.count("options.load.max_inflight", int64(l.MaxInflight))
	c.span("options.load.schedule.every_ns", l.Schedule.Every)
	c.span("options.load.schedule.over_ns", l.Schedule.Over)
	c.span("options.call.timeout_ns", call.Timeout)
	c.count("options.call.messages", int64(call.Messages))
	c.span("options.call.stream_interval_ns", call.StreamInterval)
}

// histogram checks a histogram's figures: within its geometry, percentiles
// in order, and its HdrHistogram of the one geometry reports share.
func (c *checker) histogram(field string, h *Histogram) {
	if h == nil {
		return
	}
	c.count(field+".count", h.Count)
	figures := []struct {
		name string
		v    time.Duration
	}{{"min_ns", h.Min}, {"mean_ns", h.Mean}, {"p50_ns", h.P50}, {"p90_ns", h.P90}, {"p99_ns", h.P99}, {"p999_ns", h.P999}, {"max_ns", h.Max}}
	for _, f := range figures {
		c.duration(field+"."+f.name, f.v, 0, maxHistogramNS)
	}
	for i := 3; i < len(figures); i++ {
		if figures[i].v < figures[i-1].v {
			c.fail(field+"."+figures[i].name, int64(figures[i].v), "at least its "+figures[i-1].name+", "+fmt.Sprint(int64(figures[i-1].v)))
		}
	}
	if h.Min > h.Max {
		c.fail(field+".min_ns", int64(h.Min), "at most its max_ns, "+fmt.Sprint(int64(h.Max)))
	}
	if hdr := h.hdr; hdr != nil && (hdr.LowestTrackableValue() != LowestNS || hdr.HighestTrackableValue() != HighestNS || hdr.SignificantFigures() != sigDigits) {
		c.fail(field+".hdr", fmt.Sprintf("a histogram of %d to %d ns at %d digits", hdr.LowestTrackableValue(), hdr.HighestTrackableValue(), hdr.SignificantFigures()),
			fmt.Sprintf("%d to %d ns at %d digits", LowestNS, HighestNS, sigDigits))
	}
}

// timeline checks that seconds rise, within the run's duration (its whole
// seconds + 1) and MaxTimelineSecond.
func (c *checker) timeline(s *Summary) {
	last := min(int64(s.Duration/time.Second)+1, MaxTimelineSecond)
	prev := -1
	for i, p := range s.Timeline {
		f := fmt.Sprintf("timeline[%d]", i)
		if p.Second <= prev || int64(p.Second) > last {
			c.fail(f+".second", p.Second, fmt.Sprintf("%d to %d, after the second before it", prev+1, last))
		}
		prev = p.Second
		c.count(f+".count", p.Count)
		c.count(f+".errors", p.Errors)
		c.duration(f+".p50_ns", p.P50, 0, maxHistogramNS)
		c.duration(f+".p99_ns", p.P99, 0, maxHistogramNS)
		c.duration(f+".max_ns", p.Max, 0, maxHistogramNS)
	}
}

func (c *checker) spread(field string, s *Spread) {
	if s == nil {
		return
	}
	c.count(field+".count", s.Count)
	c.span(field+".min_ns", s.Min)
	c.span(field+".p50_ns", s.P50)
	c.span(field+".mean_ns", s.Mean)
	c.span(field+".max_ns", s.Max)
}

func (c *checker) connection(f string, cn *Connection) {
	c.intRange(f+".index", cn.Index, 0, MaxConnections-1)
	c.count(f+".calls", cn.Calls)
	c.count(f+".errors", cn.Errors)
	c.count(f+".transports", cn.Transports)
	c.count(f+".reconnects", cn.Reconnects)
	c.count(f+".dropped_events", cn.DroppedEvents)
	c.counts(f+".failure_causes", stringKeyed(cn.FailureCauses))
	c.counts(f+".event_counts", stringKeyed(cn.EventCounts))
	c.counts(f+".goaways", cn.GoAways)
	c.counts(f+".closes", cn.Closes)
	c.counts(f+".connect_failures", stringKeyed(cn.ConnectFailures))
	if cn.StalledAt != nil {
		c.offset(f+".stalled_at_ns", *cn.StalledAt)
	}
	c.spread(f+".lifetime", cn.Lifetime)
	c.spread(f+".reconnect_latency", cn.ReconnectLatency)
	c.span(f+".unavailable_ns", cn.Unavailable)
	c.span(f+".keepalive_time_ns", cn.KeepaliveTime)
	for i, e := range cn.Events {
		ef := fmt.Sprintf("%s.events[%d]", f, i)
		c.offset(ef+".at_ns", e.At)
		c.intRange(ef+".transport", e.Transport, 0, 1<<40)
		c.span(ef+".rtt_ns", e.RTT)
		c.span(ef+".unanswered_ping_ns", e.Unanswered)
	}
}

func (c *checker) connectivity(cv *Connectivity) {
	const f = "connectivity"
	c.count(f+".connects", cv.Connects)
	c.count(f+".reconnects", cv.Reconnects)
	c.count(f+".handshake_failures", cv.HandshakeFailures)
	c.count(f+".dropped_events", cv.DroppedEvents)
	c.counts(f+".connect_failures", stringKeyed(cv.ConnectFailures))
	c.counts(f+".closes", cv.Closes)
	c.counts(f+".goaways", cv.GoAways)
	c.counts(f+".rst_streams", cv.RSTStreams)
	c.counts(f+".failure_causes", stringKeyed(cv.FailureCauses))
	c.mapSize(f+".goaway_timing", len(cv.GoAwayTiming), maxMapKeys)
	for _, k := range sortedKeys(cv.GoAwayTiming) {
		g := cv.GoAwayTiming[k]
		gf := fmt.Sprintf("%s.goaway_timing[%q]", f, k)
		c.offset(gf+".first_at_ns", g.FirstAt)
		c.spread(gf+".age", &g.Age)
		c.spread(gf+".idle", &g.Idle)
	}
	k := cv.Keepalive
	c.span(f+".keepalive.time_ns", k.Time)
	c.span(f+".keepalive.effective_time_ns", k.Effective)
	c.span(f+".keepalive.timeout_ns", k.Timeout)
	c.count(f+".keepalive.pings", k.Pings)
	c.count(f+".keepalive.acks", k.Acks)
	c.span(f+".keepalive.rtt_mean_ns", k.RTTMean)
	c.span(f+".keepalive.rtt_max_ns", k.RTTMax)
	c.count(f+".keepalive.unanswered_closes", k.UnansweredCloses)
	c.span(f+".keepalive.unanswered_max_ns", k.UnansweredMax)
	c.histogram(f+".reconnect_latency", cv.ReconnectLatency)
	c.spread(f+".backoff", &cv.Backoff)
	if h := cv.Handshake; h != nil {
		c.histogram(f+".handshake.connect", h.Connect)
		c.histogram(f+".handshake.tls", h.TLS)
		c.histogram(f+".handshake.http2", h.HTTP2)
		c.histogram(f+".handshake.total", h.Total)
	}
	c.span(f+".unavailable_ns", cv.Unavailable)
	if r := cv.Retries; r != nil {
		for _, x := range []struct {
			name string
			v    int64
		}{{"calls", r.Calls}, {"attempts", r.Attempts}, {"retries", r.Retries}, {"transparent", r.Transparent}, {"exhausted", r.Exhausted}} {
			c.count(f+".retries."+x.name, x.v)
		}
	}
}

// maxFindMaxSteps bounds the steps of a breaking-point search.
const maxFindMaxSteps = 10_000

func (c *checker) findMax(fm *FindMax) {
	const f = "find_max"
	c.float(f+".max_rate", fm.MaxRate)
	c.float(f+".fail_rate", fm.FailRate)
	c.float(f+".start_rate", fm.StartRate)
	c.float(f+".top_rate", fm.TopRate)
	c.span(f+".time_limit_ns", fm.TimeLimit)
	c.span(f+".step_ns", fm.Step)
	c.span(f+".warmup_ns", fm.Warmup)
	c.intRange(f+".steps", len(fm.Steps), 0, maxFindMaxSteps)
	for i, st := range fm.Steps {
		sf := fmt.Sprintf("%s.steps[%d]", f, i)
		c.float(sf+".rate", st.Rate)
		c.float(sf+".rps", st.RPS)
		c.count(sf+".count", st.Count)
		c.count(sf+".errors", st.Errors)
		c.duration(sf+".p50_ns", st.P50, 0, maxHistogramNS)
		c.duration(sf+".p99_ns", st.P99, 0, maxHistogramNS)
	}
}
