package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner/event"
)

// MethodSummary is one method of a weighted mix (run -f with calls:): its
// calls counted and measured apart, as exactly as the run's totals (which
// add up every method's).
type MethodSummary struct {
	Method string     `json:"method"`
	Kind   event.Kind `json:"kind"`
	// Weight is the method's weight in the mix.
	Weight float64 `json:"weight"`
	Count  int64   `json:"count"`
	OK     int64   `json:"ok"`
	Errors int64   `json:"errors"`
	// RPS is Count over the run's rate window (as the totals').
	RPS         float64     `json:"rps"`
	StatusCodes StatusCodes `json:"status_codes"`
	Latency     *Histogram  `json:"latency"`
	ServiceTime *Histogram  `json:"service_time"`
	Messages    Messages    `json:"messages"`
	// Series holds the per-message series of a streaming method, as
	// Summary.Series.
	Series          map[string]*Histogram `json:"series"`
	ErrorsByMessage []ErrorCount          `json:"errors_by_message"`
}

// FindMethod returns the method of s.Methods that name designates: its full
// name ("pkg.Service/Method"), or a suffix of it after a '/' or '.'
// ("Service/Method", "Method") when only one method ends so.
func (s *Summary) FindMethod(name string) (*MethodSummary, bool) {
	var found *MethodSummary
	for i := range s.Methods {
		m := &s.Methods[i]
		switch {
		case m.Method == name:
			return m, true
		case strings.HasSuffix(m.Method, "/"+name) || strings.HasSuffix(m.Method, "."+name):
			if found != nil {
				return nil, false // ambiguous
			}
			found = m
		}
	}
	return found, found != nil
}

// ForMethod returns a copy of s whose totals are those of method m (its
// counts, codes, histograms, series and errors), for what measures a
// Summary's totals to measure one method. Other fields are s's.
func (s *Summary) ForMethod(m *MethodSummary) *Summary {
	c := *s
	c.Method, c.Kind = m.Method, m.Kind
	c.Count, c.OK, c.Errors, c.RPS = m.Count, m.OK, m.Errors, m.RPS
	c.StatusCodes, c.Latency, c.ServiceTime = m.StatusCodes, m.Latency, m.ServiceTime
	c.Messages, c.Series, c.ErrorsByMessage = m.Messages, m.Series, m.ErrorsByMessage
	c.Methods = nil
	return &c
}

// MatchMethod reports whether name designates the method full
// ("pkg.Service/Method"): the same, or a suffix of it after '/' or '.'.
func MatchMethod(full, name string) bool {
	return full == name || strings.HasSuffix(full, "/"+name) || strings.HasSuffix(full, "."+name)
}

// MethodTableHead heads the per-method table of the renderers (MethodRows).
var MethodTableHead = []string{"Method", "Kind", "Weight", "Calls", "Share", "OK", "Errors", "Rate", "p50", "p99", "Max", "Per message p99"}

// MethodTableAlign says which columns of MethodTableHead are right-aligned.
const MethodTableAlign = "llrrrrrrrrrl"

// MethodRows are the rows of the per-method table, one per method of a mix
// (none for a run of one method): counts, share of the calls, rate, latency
// percentiles, and for streams the p99 of each per-message series.
func MethodRows(s *Summary) [][]string {
	if len(s.Methods) < 2 {
		return nil
	}
	rows := make([][]string, 0, len(s.Methods))
	for _, m := range s.Methods {
		var p50, p99, top time.Duration
		if m.Latency != nil && m.Latency.Count > 0 {
			p50, p99, top = m.Latency.Percentile(50), m.Latency.Percentile(99), m.Latency.Percentile(100)
		}
		var series []string
		for _, name := range SeriesOrder {
			if h := m.Series[name]; h != nil && h.Count > 0 && name != SeriesStreamDuration {
				series = append(series, name+" "+FormatDuration(h.Percentile(99)))
			}
		}
		rows = append(rows, []string{m.Method, string(m.Kind), strconv.FormatFloat(m.Weight, 'g', -1, 64), strconv.FormatInt(m.Count, 10),
			Percent(m.Count, s.Count), strconv.FormatInt(m.OK, 10), strconv.FormatInt(m.Errors, 10),
			FormatRate(m.RPS) + "/s", FormatDuration(p50), FormatDuration(p99), FormatDuration(top), strings.Join(series, " · ")})
	}
	return rows
}
