package gate

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
	"github.com/grpcpulse/grpcpulse/runner/plan"
)

// ErrShapeDiffers means two reports were made with different loads (method,
// kind, concurrency, connections, rate or schedule, messages per stream,
// request data size, number of merged sources), so their figures do not
// compare. Compare wraps it with each difference.
var ErrShapeDiffers = errors.New("the load shapes of the runs differ")

// Limit is a parsed regression limit (`--max-regression`), METRIC=MAX:
// p(99)=10% (may rise by at most 10%), p(99)=5ms (by at most 5ms),
// error_rate=0.5% (by at most 0.5 percentage points), rps=5% (may drop by
// at most 5%). Metrics are named as in assertions, and so is a method of
// a mix: method=NAME,p(99)=10% limits only that method's calls, instead of
// a limit on the same metric without a method.
type Limit struct {
	// Spec is the limit as given, without surrounding spaces.
	Spec     string
	method   string // the method selector ("" for every method)
	metric   metricRef
	relative bool    // value is a fraction of the base value
	value    float64 // the fraction, or an amount in the metric's unit
	text     string  // the MAX part as given
}

// ParseLimits parses regression limits. The error names each bad one.
func ParseLimits(specs []string) ([]Limit, error) {
	out := make([]Limit, 0, len(specs))
	seen := map[string]bool{}
	var errs []error
	for _, spec := range specs {
		l, err := parseLimit(spec)
		key := l.method + "," + l.metric.name
		if err == nil && seen[key] {
			err = fmt.Errorf("a second limit for %s", strings.TrimPrefix(key, ","))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("limit %q: %w", strings.TrimSpace(spec), err))
			continue
		}
		seen[key] = true
		out = append(out, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func parseLimit(spec string) (Limit, error) {
	spec = strings.TrimSpace(spec)
	l := Limit{Spec: spec}
	method, body, err := cutMethod(spec)
	if err != nil {
		return l, errors.New("method= names no method and no metric: want e.g. method=pkg.Service/Method,p(99)=10%")
	}
	l.method = method
	l, err = parseLimitBody(l, body)
	return l, err
}

// parseLimitBody parses the METRIC=MAX part of a limit into l.
func parseLimitBody(l Limit, spec string) (Limit, error) {
	i := strings.LastIndexByte(spec, '=')
	if i < 0 || strings.ContainsAny(spec[i+1:], "<>") || (i > 0 && strings.ContainsAny(spec[i-1:i], "<>=!")) {
		return l, errors.New("want METRIC=MAX, e.g. p(99)=10%, error_rate=0.5%, rps=5%")
	}
	m, err := parseMetric(spec[:i])
	if err != nil {
		return l, err
	}
	v := strings.TrimSpace(spec[i+1:])
	l.metric, l.text = m, v
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return l, fmt.Errorf("bad percentage %q: want a number from 0 up, e.g. 10%%", v)
		}
		// For rates a percentage is absolute: percentage points.
		l.relative, l.value = m.class != classRate, f/100
		return l, nil
	}
	switch m.class {
	case classDuration:
		l.value, err = parseDurationValue(v)
		if err != nil {
			err = fmt.Errorf("%w, or a percentage of the base value (10%%)", err)
		}
	case classRate:
		l.value, err = parseRateValue(v)
	default:
		l.value, err = parsePlainValue(strings.TrimSuffix(v, "/s"), "want a percentage of the base value (5%) or an amount")
	}
	return l, err
}

// higherIsWorse reports which way m regresses: latencies, errors and
// failure rates up; counts of calls, ok calls and rps down.
func (m metricRef) higherIsWorse() bool {
	switch m.class {
	case classDuration:
		return true
	case classRPS:
		return false
	}
	if m.byStatus {
		return m.code != event.CodeOK
	}
	return m.total == "errors" || m.total == "error_rate"
}

// unit names the unit of m's values in a Comparison.
func (m metricRef) unit() string {
	return [...]string{classDuration: report.UnitNS, classRate: report.UnitFraction, classCount: report.UnitCount, classRPS: report.UnitPerSecond}[m.class]
}

// defaultRows are the metrics every comparison shows, before the series.
var defaultRows = []string{"count", "rps", "error_rate", "p(50)", "p(90)", "p(99)", "p(99.9)", "max", "service_time.p(99)"}

// Compare compares cur with the baseline base under limits. It refuses
// reports whose load shapes differ with an error wrapping ErrShapeDiffers
// that names each difference, unless force, which lists them in
// ShapeNotes instead. Rows are count, rps, error_rate, latency p50, p90,
// p99, p99.9 and max, service_time p99, p50 and p99 of each stream series
// both reports have, then any other metric a limit names (an error if a
// report lacks its series). Comparing a report with itself passes with
// every difference zero. It is a pure function.
func Compare(base, cur *report.Summary, limits []Limit, force bool) (*report.Comparison, error) {
	if base == nil || cur == nil {
		return nil, errors.New("compare: a report is missing")
	}
	shape := shapeDiffs(base, cur)
	if len(shape) > 0 && !force {
		return nil, fmt.Errorf("%w: %s", ErrShapeDiffers, strings.Join(shape, "; "))
	}
	c := &report.Comparison{
		Schema: report.CompareSchema, Method: cur.Method, Kind: cur.Kind,
		Base: comparedRun(base), New: comparedRun(cur),
		Rows: []report.CompareRow{}, Regressions: []string{}, ShapeNotes: shape, Notes: compareNotes(base, cur),
		Pass: true,
	}
	if c.ShapeNotes == nil {
		c.ShapeNotes = []string{}
	}
	names := append([]string(nil), defaultRows...)
	for _, series := range report.SeriesOrder {
		if base.Series[series] != nil && cur.Series[series] != nil {
			names = append(names, series+".p(50)", series+".p(99)")
		}
	}
	byName := map[string]int{}
	for _, name := range names {
		m, err := parseMetric(name)
		if err != nil {
			panic(err) // the names above are valid
		}
		byName[m.name] = len(c.Rows)
		c.Rows = append(c.Rows, compareRow(m, base, cur))
	}
	totals, err := totalsLimits(limits, cur)
	if err != nil {
		return nil, err
	}
	for _, l := range totals {
		i, ok := byName[l.metric.name]
		if !ok {
			if err := hasMetric(l.metric, base, cur); err != nil {
				return nil, fmt.Errorf("compare: limit %s: %w", l.Spec, err)
			}
			i = len(c.Rows)
			byName[l.metric.name] = i
			c.Rows = append(c.Rows, compareRow(l.metric, base, cur))
		}
		r := &c.Rows[i]
		r.Limit = l.text
		if r.Exceeded = l.exceeded(r.Base, r.New); r.Exceeded {
			c.Pass = false
			c.Regressions = append(c.Regressions, regressionText(l.metric, r, l))
		}
	}
	if len(cur.Methods) > 0 && len(base.Methods) > 0 {
		compareMethods(c, base, cur, limits)
	}
	return c, nil
}

func compareRow(m metricRef, base, cur *report.Summary) report.CompareRow {
	b, _ := m.measure(base)
	n, _ := m.measure(cur)
	r := report.CompareRow{Metric: m.name, Unit: m.unit(), Better: "higher", Base: b, New: n}
	if m.higherIsWorse() {
		r.Better = "lower"
	}
	if !m.sameValue(b, n) {
		r.Diff = n - b
	}
	if b != 0 {
		rel := r.Diff / b
		r.Relative = &rel
	}
	return r
}

// hasMetric refuses a limit on a series one of the reports lacks.
func hasMetric(m metricRef, base, cur *report.Summary) error {
	if m.class != classDuration {
		return nil
	}
	for _, s := range []struct {
		name string
		sum  *report.Summary
	}{{"base", base}, {"new", cur}} {
		if m.histogram(s.sum) == nil {
			return fmt.Errorf("the %s report (a %s method) has no %s series", s.name, s.sum.Kind, m.series)
		}
	}
	return nil
}

// exceeded reports whether going from base to cur is a regression beyond
// l. Values the same at the metric's precision never are.
func (l Limit) exceeded(base, cur float64) bool {
	m := l.metric
	if m.sameValue(base, cur) {
		return false
	}
	worse := cur - base
	if !m.higherIsWorse() {
		worse = base - cur
	}
	if worse <= 0 {
		return false
	}
	if l.relative {
		if base == 0 {
			return true // from nothing to something
		}
		rel := worse / math.Abs(base)
		return rel > l.value && math.Abs(rel-l.value) > 1e-9
	}
	if m.class == classRate || m.class == classRPS {
		return worse > l.value && math.Abs(worse-l.value) > 1e-12
	}
	return worse > l.value
}

// regressionText says what row r did against limit l, for people.
func regressionText(m metricRef, r *report.CompareRow, l Limit) string {
	verb := "rose"
	if !m.higherIsWorse() {
		verb = "fell"
	}
	change := report.FormatDiff(r.Unit, r.Diff)
	if r.Relative != nil && m.class != classRate {
		change = report.FormatRelative(*r.Relative)
	}
	limit := "at most " + l.text
	if l.metric.class == classRate && strings.HasSuffix(l.text, "%") {
		limit = "at most " + strings.TrimSuffix(l.text, "%") + " percentage points"
	}
	return fmt.Sprintf("%s %s %s (%s → %s); the limit is %s", r.Metric, verb, strings.TrimLeft(change, "+-"),
		m.format(r.Base), m.format(r.New), limit)
}

func comparedRun(s *report.Summary) report.ComparedRun {
	return report.ComparedRun{
		Label:  report.Label(s.Name, s.Tags),
		Target: s.Target, Tool: s.Tool.Version, StartedAt: s.StartedAt, Duration: s.Duration,
		Load: strings.Join(report.LoadShape(s.Options, s.Kind), " · "), Sources: max(len(s.Sources), 1),
	}
}

// shapeDiffs names each difference in the load that made base and cur.
func shapeDiffs(base, cur *report.Summary) []string {
	var out []string
	diff := func(what string, b, n any) {
		if d := differs(what, b, n); d != "" {
			out = append(out, d)
		}
	}
	bl, nl := base.Options.Load, cur.Options.Load
	diff("method", base.Method, cur.Method)
	diff("kind", base.Kind, cur.Kind)
	diff("concurrency (-c)", bl.Concurrency, nl.Concurrency)
	diff("max in flight", bl.MaxInflight, nl.MaxInflight)
	diff("connections", bl.Connections, nl.Connections)
	diff("rate", rateText(bl), rateText(nl))
	diff("messages per stream", base.Options.Call.Messages, cur.Options.Call.Messages)
	diff("request data size", fmt.Sprintf("%d bytes", base.DataBytes), fmt.Sprintf("%d bytes", cur.DataBytes))
	diff("merged runs", max(len(base.Sources), 1), max(len(cur.Sources), 1))
	return out
}

func rateText(l plan.Load) string { return l.Pacer().String() }

// compareNotes names differences that leave the runs comparable.
func compareNotes(base, cur *report.Summary) []string {
	out := []string{}
	note := func(what string, b, n any) {
		if d := differs(what, b, n); d != "" {
			out = append(out, d)
		}
	}
	bl, nl := base.Options.Load, cur.Options.Load
	if be, ne := base.EngineName(), cur.EngineName(); be != ne {
		// Comparable, but the client differs: its own cost is in every
		// latency and in the rate it could reach.
		out = append(out, differs("engine", be, ne)+": different clients measured the runs, and each one's own cost is in its latency and rate")
	}
	note("grpcpulse version", base.Tool.Version, cur.Tool.Version)
	note("grpc-go version", base.Tool.GRPCGo, cur.Tool.GRPCGo)
	if base.Tool.CPUs > 0 && cur.Tool.CPUs > 0 {
		// 0 is a report from before the field: unknown, not different.
		note("client processors (--cpus)", base.Tool.CPUs, cur.Tool.CPUs)
	}
	note("target", base.Target, cur.Target)
	note("calls (-n)", bl.Total, nl.Total)
	note("duration (-z)", bl.Duration, nl.Duration)
	note("warm-up", bl.Warmup, nl.Warmup)
	note("timeout", base.Options.Call.Timeout, cur.Options.Call.Timeout)
	note("stream interval", base.Options.Call.StreamInterval, cur.Options.Call.StreamInterval)
	if base.DescriptorHash != "" && cur.DescriptorHash != "" && base.DescriptorHash != cur.DescriptorHash {
		out = append(out, "the method's descriptors differ (descriptor_hash): the API changed between the runs")
	}
	return out
}

// differs says "what: base b, new n" when b and n differ, else "".
func differs(what string, b, n any) string {
	bs, ns := fmt.Sprint(b), fmt.Sprint(n)
	if bs == ns {
		return ""
	}
	return fmt.Sprintf("%s: base %s, new %s", what, cmp.Or(bs, "(none)"), cmp.Or(ns, "(none)"))
}
