package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Severity is how much a finding matters.
type Severity string

// The severities, most severe first.
const (
	// SeverityError: calls failed or connections were lost, and something
	// should change.
	SeverityError Severity = "error"
	// SeverityWarn: the run worked, but not as it should (recycled calls,
	// pinned load, retries amplifying load).
	SeverityWarn Severity = "warn"
	// SeverityInfo: worth knowing, nothing to fix.
	SeverityInfo Severity = "info"
)

func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarn:
		return 1
	}
	return 2
}

// Finding is one conclusion of Diagnose: what happened, with its evidence,
// why it likely happened, and what to change.
type Finding struct {
	// ID names the rule that made it (too_many_pings, max_age_recycling...);
	// stable, for scripts.
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Evidence are the figures behind the finding, in a fixed order, as
	// text for people (the Connectivity object has the same figures as
	// numbers).
	Evidence []Evidence `json:"evidence"`
	Cause    string     `json:"cause"`
	Fix      string     `json:"fix"`
}

// Evidence is one named figure of a finding.
type Evidence struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Diagnose reads a Summary's connection events, failure causes and
// settings into findings, most severe first (errors, warnings, then
// information; rules in a fixed order within each). It is a pure function
// of s: the same Summary, written and read back, gives the same findings. A
// healthy run gives no warning and no error. A Summary without Connectivity
// (a report older than it) gives none.
func Diagnose(s *Summary) []Finding {
	out := []Finding{}
	if s == nil || s.Connectivity == nil {
		return out
	}
	d := &diagnosis{s: s, c: s.Connectivity}
	for _, rule := range rules {
		for _, f := range rule(d) {
			if f.Evidence == nil {
				f.Evidence = []Evidence{}
			}
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(a.Severity.Rank(), b.Severity.Rank()) })
	return out
}

// diagnosis is what the rules read: the Summary and short-hands over it.
type diagnosis struct {
	s *Summary
	c *Connectivity
}

// failed is how many calls failed by any of causes.
func (d *diagnosis) failed(causes ...Cause) int64 {
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
func (d *diagnosis) firstGoAway(prefix string) (first time.Duration, age Spread, ok bool) {
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
func (d *diagnosis) keepaliveEvidence() []Evidence {
	k := d.c.Keepalive
	if k.Time == 0 {
		return []Evidence{{"client keepalive", "off"}}
	}
	out := []Evidence{{"keepalive time set", FormatDuration(k.Time)}}
	clamped := max(k.Time, 10*time.Second)
	if clamped != k.Time {
		out = append(out, Evidence{"keepalive time used", FormatDuration(clamped) + " (grpc-go's minimum)"})
	}
	if k.Effective > clamped {
		out = append(out, Evidence{"keepalive time at the end", fmt.Sprintf("%s (doubled by grpc-go after too_many_pings)", FormatDuration(k.Effective))})
	}
	out = append(out, Evidence{"keepalive timeout", FormatDuration(k.Timeout)},
		Evidence{"permit without stream", yesNo(k.PermitWithoutStream)})
	return out
}

// reconnectEvidence describes the reconnect latency, if any was measured.
func (d *diagnosis) reconnectEvidence() []Evidence {
	h := d.c.ReconnectLatency
	if h == nil || h.Count == 0 {
		return nil
	}
	return []Evidence{{"reconnect latency", fmt.Sprintf("p50 %s, p99 %s, max %s over %d",
		FormatDuration(h.P50), FormatDuration(h.P99), FormatDuration(h.Max), h.Count)}}
}

// add appends name: value when n is not zero.
func addCount(ev []Evidence, name string, n int64) []Evidence {
	if n == 0 {
		return ev
	}
	return append(ev, Evidence{name, strconv.FormatInt(n, 10)})
}

// spreadText writes a Spread for people: "p50 48ms (min 45ms, max 52ms)".
func spreadText(s Spread) string {
	switch {
	case s.Count == 0:
		return "none"
	case s.Count == 1 || s.Min == s.Max:
		return FormatDuration(s.Max)
	case s.P50 > 0:
		return fmt.Sprintf("p50 %s (min %s, max %s)", FormatDuration(s.P50), FormatDuration(s.Min), FormatDuration(s.Max))
	}
	return fmt.Sprintf("mean %s (min %s, max %s)", FormatDuration(s.Mean), FormatDuration(s.Min), FormatDuration(s.Max))
}

// typical is a Spread's median, or its mean where no median was kept.
func typical(s Spread) time.Duration {
	if s.P50 > 0 {
		return s.P50
	}
	return s.Mean
}

// Approx writes an estimate to two significant digits: "~300ms", "~1s".
func Approx(d time.Duration) string {
	if d >= time.Minute {
		return FormatDuration(d.Round(time.Second))
	}
	return FormatDuration(time.Duration(roundSignificant(int64(d), 2)))
}

// RelTime writes a time relative to the start of measurement: "+1.2s".
func RelTime(d time.Duration) string {
	if d < 0 {
		return FormatDuration(d) + " (before measurement)"
	}
	return "+" + FormatDuration(d)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func callsText(n int64) string { return Plural(int(n), "call") }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
