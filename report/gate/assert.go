package gate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Assertion is a parsed CI gate (`--assert`), k6-style: METRIC OP VALUE,
// e.g. p(99)<250ms, error_rate<0.1%, msg_rtt.p(99)<20ms,
// status=UNAVAILABLE count==0. The grammar is in docs/report.md.
type Assertion struct {
	// Expr is the expression as given, without surrounding spaces.
	Expr      string
	metric    metricRef
	op        string
	threshold float64 // ns for durations, a fraction for rates, plain otherwise
	method    string  // the method= selector; "" for the run's totals
}

// ParseAssertions parses expressions, every series name accepted that
// exists; CheckKind then refuses the series a method lacks. The error names
// each bad expression and what is wrong with it.
func ParseAssertions(exprs []string) ([]Assertion, error) {
	out := make([]Assertion, 0, len(exprs))
	var errs []error
	for _, e := range exprs {
		a, err := parseAssertion(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("assertion %q: %w", strings.TrimSpace(e), err))
			continue
		}
		out = append(out, a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// CheckKind refuses assertions on a series methods of kind do not record,
// naming each (an assertion left unchecked fails at evaluation, as "no
// data").
func CheckKind(as []Assertion, kind event.Kind) error {
	var errs []error
	for _, a := range as {
		if a.metric.class != classDuration {
			continue
		}
		if err := checkSeries(a.metric.series, kind); err != nil {
			errs = append(errs, fmt.Errorf("assertion %q: %w", a.Expr, err))
		}
	}
	return errors.Join(errs...)
}

// parseBody parses an expression without its method selector.
func parseBody(expr string) (Assertion, error) {
	a := Assertion{Expr: expr}
	// A status selector holds '=' of its own: look for the operator after it.
	from := 0
	if _, rest, ok := cutSelector(expr); ok {
		from = len(expr) - len(rest)
	}
	i := strings.IndexAny(expr[from:], "<>=!")
	if i < 0 {
		return a, errors.New("no comparison: want METRIC OP VALUE with OP one of < <= > >= == != (e.g. p(99)<250ms)")
	}
	i += from
	op := expr[i : i+1]
	if i+1 < len(expr) && expr[i+1] == '=' {
		op += "="
	}
	switch op {
	case "=":
		return a, errors.New("use == to compare for equality")
	case "!":
		return a, errors.New("use != to compare for inequality")
	}
	m, err := parseMetric(expr[:i])
	if err != nil {
		return a, err
	}
	value := strings.TrimSpace(expr[i+len(op):])
	if value == "" {
		return a, fmt.Errorf("no value after %s", op)
	}
	t, err := m.parseValue(value)
	if err != nil {
		return a, err
	}
	a.metric, a.op, a.threshold = m, op, t
	return a, nil
}

// Abortable reports whether a failure of a during a run is worth stopping
// the run for (--abort-on-fail). Totals (count, ok, errors, a status count)
// only grow, so a lower bound on one fails early in every run and may still
// pass at the end: only upper bounds on totals (<, <=, ==0) are abortable.
// Every other assertion is (percentiles, averages, rates and rps move both
// ways; a caller may wish to let a few seconds pass before checking them).
func (a Assertion) Abortable() bool {
	if a.metric.class != classCount {
		return true
	}
	return a.op == "<" || a.op == "<=" || (a.op == "==" && a.threshold == 0)
}

// EvaluateAssertions checks each assertion against s. It is a pure
// function; the results are in the order of as.
func EvaluateAssertions(s *report.Summary, as []Assertion) []report.AssertionResult {
	out := make([]report.AssertionResult, 0, len(as))
	for _, a := range as {
		r := report.AssertionResult{Expr: a.Expr, Threshold: a.threshold, Value: "no data"}
		if v, ok := a.metric.measure(a.scope(s)); ok {
			r.Measured, r.Value = v, a.metric.format(v)
			r.Pass = a.metric.compare(v, a.op, a.threshold)
		}
		out = append(out, r)
	}
	return out
}

// metricClass is what a metric measures, which sets the unit of its values.
type metricClass uint8

const (
	classDuration metricClass = iota // a statistic of a histogram, ns
	classRate                        // a fraction of the calls
	classCount                       // a number of calls
	classRPS                         // calls per second
)

// metricRef is a metric of a report as assertions and limits name it.
type metricRef struct {
	class metricClass
	// name is the canonical spelling: "p(99)", "msg_rtt.p(99.9)", "avg",
	// "error_rate", "status=UNAVAILABLE count". med is "p(50)" and the
	// latency series goes without prefix.
	name string
	// series ("latency", "service_time" or a Summary.Series key), stat
	// ("p", "avg", "min", "max") and pct (for "p") select a duration.
	series, stat string
	pct          float64
	// total is "count", "ok", "errors", "error_rate" or "rps"; with a
	// status selector "count" or "rate" of code.
	total    string
	byStatus bool
	code     event.Code
}

// The series an assertion can name besides Summary.Series.
const (
	seriesLatency     = "latency"
	seriesServiceTime = "service_time"
)

const metricHelp = "want p(N), avg, min, med, max (of latency), SERIES.p(N) etc., error_rate, rps, max_rate (of --find-max), count, ok, errors, or status=CODE count|rate"

// cutSelector splits "status=CODE rest" (or code=CODE) into the code and
// the rest.
func cutSelector(s string) (code, rest string, ok bool) {
	lower := strings.ToLower(s)
	for _, p := range []string{"status=", "code="} {
		if strings.HasPrefix(lower, p) {
			sel := s[len(p):]
			end := strings.IndexAny(sel, " \t")
			if end < 0 {
				return sel, "", true
			}
			return sel[:end], strings.TrimLeft(sel[end:], " \t"), true
		}
	}
	return "", "", false
}

// parseMetric reads a metric name; the series it names must exist.
func parseMetric(text string) (metricRef, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return metricRef{}, errors.New("no metric before the comparison (" + metricHelp + ")")
	}
	if sel, rest, ok := cutSelector(text); ok {
		return parseStatusMetric(sel, rest)
	}
	lt := strings.ToLower(text)
	switch lt {
	case "error_rate":
		return metricRef{class: classRate, name: lt, total: lt}, nil
	case "rps", "max_rate":
		return metricRef{class: classRPS, name: lt, total: lt}, nil
	case "count", "ok", "errors":
		return metricRef{class: classCount, name: lt, total: lt}, nil
	}
	series, stat := seriesLatency, lt
	head := lt
	if p := strings.IndexByte(lt, '('); p >= 0 {
		head = lt[:p]
	}
	if dot := strings.LastIndexByte(head, '.'); dot >= 0 {
		series, stat = strings.TrimPrefix(lt[:dot], "stream."), lt[dot+1:]
		if err := checkSeries(series, ""); err != nil {
			return metricRef{}, err
		}
	} else if lt == seriesLatency || lt == seriesServiceTime || isStreamSeries(lt) {
		return metricRef{}, fmt.Errorf("%s needs a statistic: %s.p(99), %s.avg, %s.max", lt, lt, lt, lt)
	}
	m := metricRef{class: classDuration, series: series, stat: stat}
	switch {
	case stat == "avg" || stat == "min" || stat == "max":
	case stat == "med":
		m.stat, m.pct = "p", 50
	case strings.HasPrefix(stat, "p(") && strings.HasSuffix(stat, ")"):
		p, err := strconv.ParseFloat(strings.TrimSpace(stat[2:len(stat)-1]), 64)
		if err != nil || !(p > 0 && p <= 100) {
			return metricRef{}, fmt.Errorf("bad percentile %s: want p(N) with 0 < N <= 100, e.g. p(99.9)", stat)
		}
		m.stat, m.pct = "p", p
	case len(stat) > 1 && stat[0] == 'p' && strings.Trim(stat[1:], "0123456789.") == "":
		return metricRef{}, fmt.Errorf("unknown metric %q: write percentiles as p(%s)", text, stat[1:])
	default:
		return metricRef{}, fmt.Errorf("unknown metric %q (%s)", text, metricHelp)
	}
	m.name = m.stat
	if m.stat == "p" {
		m.name = "p(" + strconv.FormatFloat(m.pct, 'f', -1, 64) + ")"
	}
	if series != seriesLatency {
		m.name = series + "." + m.name
	}
	return m, nil
}

func parseStatusMetric(sel, rest string) (metricRef, error) {
	if sel == "" {
		return metricRef{}, errors.New("status= names no code (e.g. status=UNAVAILABLE count==0)")
	}
	c, err := event.ParseCode(sel)
	if err != nil {
		return metricRef{}, err
	}
	m := metricRef{byStatus: true, code: c, total: strings.ToLower(strings.TrimSpace(rest))}
	switch m.total {
	case "count":
		m.class = classCount
	case "rate":
		m.class = classRate
	case "":
		return metricRef{}, fmt.Errorf("status=%s needs count or rate after it, e.g. status=%s count==0", sel, report.CodeName(event.Code(c)))
	default:
		return metricRef{}, fmt.Errorf("status=%s takes count or rate, not %q (latency is not kept per status code)", sel, rest)
	}
	m.name = "status=" + report.CodeName(event.Code(c)) + " " + m.total
	return m, nil
}

func isStreamSeries(name string) bool {
	if name == report.SeriesStreamDuration {
		return true
	}
	_, ok := seriesByName(name)
	return ok
}

func seriesByName(name string) (event.Series, bool) {
	for s := range event.NumSeries {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// checkSeries refuses a series name that does not exist or that methods of
// kind (when given) do not record.
func checkSeries(name string, kind event.Kind) error {
	if name == seriesLatency || name == seriesServiceTime {
		return nil
	}
	s, known := seriesByName(name)
	if !known && name != report.SeriesStreamDuration {
		return fmt.Errorf("unknown series %q (want latency, service_time, first_message, msg_gap, msg_rtt, send_time or stream_duration)", name)
	}
	if kind == "" {
		return nil
	}
	if (known && !kind.Has(s)) || (!known && !kind.Streaming()) {
		return fmt.Errorf("a %s method has no %s series (it has: %s)", kind, name, strings.Join(kindSeries(kind), ", "))
	}
	return nil
}

// kindSeries names the series methods of kind have.
func kindSeries(kind event.Kind) []string {
	out := []string{seriesLatency, seriesServiceTime}
	for s := range event.NumSeries {
		if kind.Has(s) {
			out = append(out, s.String())
		}
	}
	if kind.Streaming() {
		out = append(out, report.SeriesStreamDuration)
	}
	return out
}

// parseValue reads an assertion's threshold in m's unit.
func (m metricRef) parseValue(v string) (float64, error) {
	switch m.class {
	case classDuration:
		return parseDurationValue(v)
	case classRate:
		return parseRateValue(v)
	case classRPS:
		return parsePlainValue(strings.TrimSuffix(v, "/s"), "a rate of calls per second is a plain number, e.g. rps>=1000")
	}
	return parsePlainValue(v, "a count is a plain number, e.g. count>=10000")
}

func parseDurationValue(v string) (float64, error) {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return 0, fmt.Errorf("duration %s has no unit: write e.g. %sms, 1s or 500us", v, v)
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want a number with a unit (250ms, 1.5s, 500us)", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %s is negative", v)
	}
	return float64(d), nil
}

// parseRateValue reads 0.1% or a fraction such as 0.001.
func parseRateValue(v string) (float64, error) {
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f >= 0 && f <= 100) {
			return 0, fmt.Errorf("bad percentage %q: want 0%% to 100%%", v)
		}
		return f / 100, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("bad rate %q: want a percentage (0.1%%) or a fraction from 0 to 1 (0.001)", v)
	}
	return f, nil
}

func parsePlainValue(v, help string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("bad number %q: %s", v, help)
	}
	if f < 0 {
		return 0, fmt.Errorf("%s is negative", v)
	}
	return f, nil
}

// histogram is the histogram a duration metric reads; nil when s has none.
func (m metricRef) histogram(s *report.Summary) *report.Histogram {
	switch m.series {
	case seriesLatency:
		return s.Latency
	case seriesServiceTime:
		return s.ServiceTime
	}
	return s.Series[m.series]
}

// measure reads m from s; false when there is nothing to measure.
func (m metricRef) measure(s *report.Summary) (float64, bool) {
	if s == nil {
		return 0, false
	}
	switch {
	case m.class == classDuration:
		h := m.histogram(s)
		if h == nil || h.Count == 0 {
			return 0, false
		}
		return float64(statOf(h, m.stat, m.pct)), true
	case m.byStatus:
		var n int64
		for _, c := range s.StatusCodes {
			if c.Code == m.code {
				n += c.Count
			}
		}
		if m.class == classCount {
			return float64(n), true
		}
		if s.Count == 0 {
			return 0, false
		}
		return float64(n) / float64(s.Count), true
	}
	switch m.total {
	case "count":
		return float64(s.Count), true
	case "ok":
		return float64(s.OK), true
	case "errors":
		return float64(s.Errors), true
	case "rps":
		return s.RPS, true
	case "max_rate": // of a --find-max run only
		if s.FindMax == nil {
			return 0, false
		}
		return s.FindMax.MaxRate, true
	}
	if s.Count == 0 { // error_rate
		return 0, false
	}
	return float64(s.Errors) / float64(s.Count), true
}

// statOf is a statistic of h: avg, min, max, or percentile p (from the
// HdrHistogram when h has it, else from the figures it was read with).
func statOf(h *report.Histogram, stat string, p float64) time.Duration {
	switch stat {
	case "avg":
		return h.Mean
	case "min":
		return h.Min
	case "max":
		return h.Max
	}
	if h.HasHDR() {
		return h.Percentile(p)
	}
	switch p {
	case 50:
		return h.P50
	case 90:
		return h.P90
	case 99:
		return h.P99
	case 99.9:
		return h.P999
	case 100:
		return h.Max
	}
	return 0
}

// format writes a value of m for people, with its unit.
func (m metricRef) format(v float64) string { return report.FormatValue(m.unit(), v) }

// durationGeometry holds the shape every duration histogram shares, to
// compare durations at the precision they were recorded with.
var durationGeometry = sync.OnceValue(func() *hdrhistogram.Histogram { return report.NewHDR() })

// sameValue reports whether a and b are equal at m's precision: for
// durations, the same HdrHistogram bucket (values within 0.1% are one
// value to a histogram of 3 significant digits); otherwise equal to within
// floating-point rounding (0.1% written as a percentage is not exactly
// 1/1000).
func (m metricRef) sameValue(a, b float64) bool {
	if m.class == classDuration {
		return durationGeometry().ValuesAreEquivalent(clampNS(a), clampNS(b))
	}
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}

func clampNS(v float64) int64 {
	return int64(min(max(v, 0), report.HighestNS))
}

// compare applies op to measured and threshold, values that are the same
// at m's precision counting as equal.
func (m metricRef) compare(measured float64, op string, threshold float64) bool {
	eq := m.sameValue(measured, threshold)
	switch op {
	case "<":
		return measured < threshold && !eq
	case "<=":
		return measured <= threshold || eq
	case ">":
		return measured > threshold && !eq
	case ">=":
		return measured >= threshold || eq
	case "==":
		return eq
	case "!=":
		return !eq
	}
	return false
}

// Metric is the canonical name of the metric a reads ("p(99)", "rps",
// "max_rate").
func (a Assertion) Metric() string { return a.metric.name }
