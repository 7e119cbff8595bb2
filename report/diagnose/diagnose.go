package diagnose

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Findings reads a Summary's connection events, failure causes and
// settings into findings, most severe first (errors, warnings, then
// information; rules in a fixed order within each). It is a pure function
// of s: the same Summary, written and read back, gives the same findings. A
// healthy run gives no warning and no error. A Summary without Connectivity
// (a report older than it) gives none.
func Findings(s *report.Summary) []report.Finding {
	out := []report.Finding{}
	if s == nil || s.Connectivity == nil {
		return out
	}
	d := &diagnosis{s: s, c: s.Connectivity}
	for _, rule := range rules {
		out = append(out, rule(d)...)
	}
	out = append(out, callsFailed(d, out)...) // last: it speaks only when no rule named an error
	for i := range out {
		if out[i].Evidence == nil {
			out[i].Evidence = []report.Evidence{}
		}
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int { return cmp.Compare(a.Severity.Rank(), b.Severity.Rank()) })
	return out
}

// diagnosis is what the rules read: the Summary and short-hands over it.
type diagnosis struct {
	s  *report.Summary
	c  *report.Connectivity
	id *report.Peer // Identify(s), made on first use
}

// peer is who answered (Identify), never nil.
func (d *diagnosis) peer() *report.Peer {
	if d.id == nil {
		d.id = Identify(d.s)
		if d.id == nil {
			d.id = &report.Peer{Implementation: "unknown", Evidence: []string{}}
		}
	}
	return d.id
}

// failed is how many calls failed by any of causes.
func (d *diagnosis) failed(causes ...event.Cause) int64 {
	var n int64
	for _, c := range causes {
		n += d.c.FailureCauses[c]
	}
	return n
}

// goaways counts GOAWAYs whose reason starts with prefix.
func (d *diagnosis) goaways(prefix string) int64 {
	var n int64
	for reason, k := range d.c.GoAways {
		if strings.HasPrefix(reason, prefix) {
			n += k
		}
	}
	return n
}

// firstGoAway is the earliest GOAWAY whose reason starts with prefix, and
// the transport ages at those GOAWAYs (of the most frequent reason).
func (d *diagnosis) firstGoAway(prefix string) (first time.Duration, age report.Spread, ok bool) {
	for _, reason := range sortedKeys(d.c.GoAwayTiming) {
		if !strings.HasPrefix(reason, prefix) {
			continue
		}
		t := d.c.GoAwayTiming[reason]
		if !ok || t.FirstAt < first {
			first = t.FirstAt
		}
		if t.Age.Count > age.Count {
			age = t.Age
		}
		ok = true
	}
	return first, age, ok
}

// keepaliveOn reports whether the run had client keepalive.
func (d *diagnosis) keepaliveOn() bool { return d.c.Keepalive.Time > 0 }

// keepaliveEvidence describes the client keepalive as set and as grpc-go
// ran it.
func (d *diagnosis) keepaliveEvidence() []report.Evidence {
	k := d.c.Keepalive
	if k.Time == 0 {
		return []report.Evidence{{Name: "client keepalive", Value: "off"}}
	}
	out := []report.Evidence{{Name: "keepalive time set", Value: report.FormatDuration(k.Time)}}
	clamped := max(k.Time, 10*time.Second)
	if clamped != k.Time {
		out = append(out, report.Evidence{Name: "keepalive time used", Value: report.FormatDuration(clamped) + " (grpc-go's minimum)"})
	}
	if k.Effective > clamped {
		out = append(out, report.Evidence{Name: "keepalive time at the end", Value: fmt.Sprintf("%s (doubled by grpc-go after too_many_pings)", report.FormatDuration(k.Effective))})
	}
	out = append(out, report.Evidence{Name: "keepalive timeout", Value: report.FormatDuration(k.Timeout)},
		report.Evidence{Name: "permit without stream", Value: yesNo(k.PermitWithoutStream)})
	return out
}

// reconnectEvidence describes the reconnect latency, if any was measured.
func (d *diagnosis) reconnectEvidence() []report.Evidence {
	h := d.c.ReconnectLatency
	if h == nil || h.Count == 0 {
		return nil
	}
	return []report.Evidence{{Name: "reconnect latency", Value: fmt.Sprintf("p50 %s, p99 %s, max %s over %d",
		report.FormatDuration(h.P50), report.FormatDuration(h.P99), report.FormatDuration(h.Max), h.Count)}}
}

// add appends name: value when n is not zero.
func addCount(ev []report.Evidence, name string, n int64) []report.Evidence {
	if n == 0 {
		return ev
	}
	return append(ev, report.Evidence{Name: name, Value: strconv.FormatInt(n, 10)})
}

// spreadText writes a Spread for people: "p50 48ms (min 45ms, max 52ms)".
func spreadText(s report.Spread) string {
	switch {
	case s.Count == 0:
		return "none"
	case s.Count == 1 || s.Min == s.Max:
		return report.FormatDuration(s.Max)
	case s.P50 > 0:
		return fmt.Sprintf("p50 %s (min %s, max %s)", report.FormatDuration(s.P50), report.FormatDuration(s.Min), report.FormatDuration(s.Max))
	}
	return fmt.Sprintf("mean %s (min %s, max %s)", report.FormatDuration(s.Mean), report.FormatDuration(s.Min), report.FormatDuration(s.Max))
}

// typical is a Spread's median, or its mean where no median was kept.
func typical(s report.Spread) time.Duration {
	if s.P50 > 0 {
		return s.P50
	}
	return s.Mean
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func callsText(n int64) string { return report.Plural(int(n), "call") }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
