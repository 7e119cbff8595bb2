package merge

import (
	"math"
	"slices"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// shiftConnection re-indexes c by first and moves its times (relative to
// its report's start) onto the merged start, off later.
func shiftConnection(c report.Connection, first int, off time.Duration) report.Connection {
	c.Index += first
	if c.StalledAt != nil {
		at := *c.StalledAt + off
		c.StalledAt = &at
	}
	evs := make([]report.Event, len(c.Events))
	for i, e := range c.Events {
		e.At += off
		evs[i] = e
	}
	c.Events = evs
	if c.SilentWindows != nil {
		ws := slices.Clone(c.SilentWindows)
		for i := range ws {
			ws[i].From += off
			ws[i].Until += off
			ws[i].EndedAt += off
		}
		c.SilentWindows = ws
	}
	return c
}

func emptyConnectivity() *report.Connectivity {
	return &report.Connectivity{
		ConnectFailures: map[event.Cause]int64{}, Closes: map[string]int64{}, GoAways: map[string]int64{},
		GoAwayTiming: map[string]report.GoAwayTiming{}, RSTStreams: map[string]int64{}, FailureCauses: map[event.Cause]int64{},
		ReconnectLatency: report.NewHistogram(report.NewHDR()), Notes: []string{},
	}
}

// addConnectivity adds src (of a report that started off after the merged start, the
// i-th, whose pool connections are numbered from first on) to c: counts add, the reconnect latency histogram merges exactly,
// spreads combine (their medians approximately: a count-weighted mean).
func addConnectivity(c, src *report.Connectivity, off time.Duration, i, first int) error {
	c.Connects += src.Connects
	c.Reconnects += src.Reconnects
	c.HandshakeFailures += src.HandshakeFailures
	c.Unavailable += src.Unavailable
	c.DroppedEvents += src.DroppedEvents
	report.AddCounts(c.ConnectFailures, src.ConnectFailures)
	report.AddCounts(c.Closes, src.Closes)
	report.AddCounts(c.GoAways, src.GoAways)
	report.AddCounts(c.RSTStreams, src.RSTStreams)
	report.AddCounts(c.FailureCauses, src.FailureCauses)
	for reason, g := range src.GoAwayTiming {
		g.FirstAt += off
		if have, ok := c.GoAwayTiming[reason]; ok {
			merged := report.GoAwayTiming{FirstAt: min(have.FirstAt, g.FirstAt), Age: mergeSpread(have.Age, g.Age), Idle: mergeSpread(have.Idle, g.Idle),
				LastStreamMin: minNonZero(have.LastStreamMin, g.LastStreamMin), LastStreamMax: max(have.LastStreamMax, g.LastStreamMax),
				Sentinels: have.Sentinels + g.Sentinels, LastAt: max(have.LastAt, g.LastAt)}
			if have.Silence != nil || g.Silence != nil {
				sp := mergeSpread(have.Silence.OrZero(), g.Silence.OrZero())
				merged.Silence = &sp
			}
			g = merged
		}
		c.GoAwayTiming[reason] = g
	}
	hdr := c.ReconnectLatency.HDR()
	if err := mergeHDR(hdr, src.ReconnectLatency, i, "connectivity.reconnect_latency"); err != nil {
		return err
	}
	c.ReconnectLatency = report.NewHistogram(hdr)
	c.Backoff = mergeSpread(c.Backoff, src.Backoff)
	for reason, sp := range src.CloseSilence {
		if c.CloseSilence == nil {
			c.CloseSilence = map[string]report.Spread{}
		}
		c.CloseSilence[reason] = mergeSpread(c.CloseSilence[reason], sp)
	}
	for fp, n := range src.PeerSettings {
		if c.PeerSettings == nil {
			c.PeerSettings = map[string]int64{}
		}
		c.PeerSettings[fp] += n
	}
	c.SilentOpens += src.SilentOpens
	for srv, n := range src.PeerServers {
		if c.PeerServers == nil {
			c.PeerServers = map[string]int64{}
		}
		c.PeerServers[srv] += n
	}
	c.Keepalive = mergeKeepalive(c.Keepalive, src.Keepalive)
	if r := src.Retries; r != nil {
		if c.Retries == nil {
			c.Retries = &report.RetryStats{}
		}
		c.Retries.Calls += r.Calls
		c.Retries.Attempts += r.Attempts
		c.Retries.Retries += r.Retries
		c.Retries.Transparent += r.Transparent
		c.Retries.Exhausted += r.Exhausted
	}
	c.Dials = mergeDials(c.Dials, src.Dials, off, first)
	h, err := mergeHandshake(c.Handshake, src.Handshake, i)
	if err != nil {
		return err
	}
	c.Handshake = h
	if d := src.DeadPeerDetection; d != nil {
		m := mergeSpread(c.DeadPeerDetection.OrZero(), *d)
		c.DeadPeerDetection = &m
	}
	for _, n := range src.Notes {
		if !slices.Contains(c.Notes, n) {
			c.Notes = append(c.Notes, n)
		}
	}
	return nil
}

// mergeSpread combines two spreads: count, min, max and mean exactly, the
// median as the count-weighted mean of the two (an approximation).
func mergeSpread(a, b report.Spread) report.Spread {
	switch {
	case a.Count == 0:
		return b
	case b.Count == 0:
		return a
	}
	n := a.Count + b.Count
	wa, wb := float64(a.Count)/float64(n), float64(b.Count)/float64(n)
	out := report.Spread{Count: n, Min: min(a.Min, b.Min), Max: max(a.Max, b.Max),
		Mean: time.Duration(math.Round(float64(a.Mean)*wa + float64(b.Mean)*wb))}
	if a.P50 > 0 && b.P50 > 0 {
		out.P50 = time.Duration(math.Round(float64(a.P50)*wa + float64(b.P50)*wb))
	}
	return out
}

// mergeSpreadPtr is mergeSpread of spreads that may be absent (nil).
func mergeSpreadPtr(a, b *report.Spread) *report.Spread {
	if a == nil && b == nil {
		return nil
	}
	m := mergeSpread(a.OrZero(), b.OrZero())
	return &m
}

// mergeKeepalive keeps the first configuration seen, the largest effective
// interval and waits, and adds the pings.
func mergeKeepalive(a, b report.KeepaliveStats) report.KeepaliveStats {
	out := a
	if out.Time == 0 {
		out.Time, out.Timeout, out.PermitWithoutStream = b.Time, b.Timeout, b.PermitWithoutStream
	}
	out.Effective = max(a.Effective, b.Effective)
	out.Pings = a.Pings + b.Pings
	out.Acks = a.Acks + b.Acks
	if out.Acks > 0 {
		mean := (float64(a.RTTMean)*float64(a.Acks) + float64(b.RTTMean)*float64(b.Acks)) / float64(out.Acks)
		out.RTTMean = time.Duration(math.Round(mean))
	}
	out.RTTMax = max(a.RTTMax, b.RTTMax)
	out.UnansweredCloses = a.UnansweredCloses + b.UnansweredCloses
	out.UnansweredMax = max(a.UnansweredMax, b.UnansweredMax)
	if b.PingsBeforeCalm > 0 && (out.PingsBeforeCalm == 0 || b.PingsBeforeCalm < out.PingsBeforeCalm) {
		out.PingsBeforeCalm = b.PingsBeforeCalm
	}
	return out
}

// mergeDials adds src (of a report off later, its pool connections
// numbered from first on) to dst: counts add, outages are kept up to
// MaxOutages in report order.
func mergeDials(dst, src *report.DialStats, off time.Duration, first int) *report.DialStats {
	if src == nil {
		return dst
	}
	if dst == nil {
		dst = &report.DialStats{}
	}
	dst.Attempts += src.Attempts
	if len(src.Failed) > 0 {
		if dst.Failed == nil {
			dst.Failed = map[event.Cause]int64{}
		}
		report.AddCounts(dst.Failed, src.Failed)
	}
	if w := src.BackoffWaited; w != nil {
		m := mergeSpread(dst.BackoffWaited.OrZero(), *w)
		dst.BackoffWaited = &m
	}
	for _, o := range src.Outages {
		if len(dst.Outages) < report.MaxOutages {
			o.At += off
			o.Conn += first
			dst.Outages = append(dst.Outages, o)
		}
	}
	dst.OutageCount += src.OutageCount
	return dst

}

// minNonZero is the smaller of a and b, ignoring zeros (unset).
func minNonZero(a, b uint32) uint32 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
