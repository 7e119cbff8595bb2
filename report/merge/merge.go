package merge

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Reports combines reports of the same method, run at the same time on
// several machines, into the report of one run over all their calls:
//
//   - counts add up, and every histogram merges exactly (its percentiles are
//     those of one run that recorded every call);
//   - started_at is the earliest start, duration_ns runs to the latest end,
//     and rps is count over the union of the sources' rate windows (from
//     the earliest start to the latest start + -z, or + duration without
//     -z): sources that ran side by side with the same -z add their rates;
//   - timelines align on wall-clock seconds: each source's point s is added
//     to the merged second it overlaps most. Counts and errors add exactly;
//     p99 and max of a second are the largest of the sources' (an upper
//     bound), p50 their count-weighted mean (an approximation);
//   - connections are kept per source and re-indexed one source after
//     another (Sources says which are whose); event times are shifted onto
//     the merged start;
//   - the first report's options, target, tool and data size are kept, and
//     Sources lists every single-run report (a merged report given to
//     Merge contributes its own Sources);
//   - findings are left empty for the caller to diagnose (the diagnose
//     package) on the merged report; assertions are dropped.
//
// Reports refuses an empty list, reports of another schema, reports of
// different methods or kinds, reports whose runs did not overlap in time
// (each run, from started_at to started_at + duration, must overlap
// another's, and together they must make one span), timeline points
// outside their report's duration, reports that do not Validate, runs
// spanning more than MaxWindow together, and the same run given twice.
// The reports are not changed.
func Reports(reports []*report.Summary) (*report.Summary, error) {
	if len(reports) == 0 {
		return nil, errors.New("merge: no reports")
	}
	for i, s := range reports {
		if err := mergeable(reports[0], s, i); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
	}
	if err := sameRuns(reports); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := overlapping(reports); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	t0 := reports[0].StartedAt.Time
	for _, s := range reports[1:] {
		if s.StartedAt.Before(t0) {
			t0 = s.StartedAt.Time
		}
	}
	if err := mergedWindow(reports, t0); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	mg := newMerger(reports[0], t0)
	for i, s := range reports {
		if err := mg.add(s, i); err != nil {
			return nil, err
		}
	}
	m := mg.summary()
	m.Name, m.Tags = commonLabels(reports)
	if len(reports[0].Methods) > 0 {
		methods, err := mergeMethods(reports, m)
		if err != nil {
			return nil, err
		}
		m.Methods = methods
	}
	return m, nil
}

// MaxWindow bounds a merged report's span, from the earliest start to
// the latest end of its sources: its timeline has a point for every second
// of it.
const MaxWindow = 31 * 24 * time.Hour

// mergedWindow refuses reports whose runs, from the earliest start t0 to
// the latest end (of their sources, for merged reports), span more than
// MaxWindow.
func mergedWindow(reports []*report.Summary, t0 time.Time) error {
	for i, s := range reports {
		for _, src := range append(sourcesOf(s), report.Source{StartedAt: s.StartedAt, Duration: s.Duration}) {
			if src.StartedAt.Before(t0) || src.StartedAt.Sub(t0) > MaxWindow || src.Duration > MaxWindow-src.StartedAt.Sub(t0) {
				return fmt.Errorf("report #%d runs until %s, more than %s after the earliest start (%s): a merged report spans at most that",
					i+1, src.StartedAt.Add(max(src.Duration, 0)).UTC().Format(time.RFC3339), report.FormatDuration(MaxWindow), t0.UTC().Format(time.RFC3339))
			}
		}
	}
	return nil
}

// errorKey is an ErrorCount's identity.
type errorKey struct {
	code event.Code
	msg  string
}

// merger accumulates the reports of a Merge.
type merger struct {
	m        *report.Summary
	t0       time.Time
	codes    map[event.Code]int64
	errors   map[errorKey]*report.ErrorCount
	backends map[string]*report.Backend
	latency  *hdrhistogram.Histogram
	service  *hdrhistogram.Histogram
	series   map[string]*hdrhistogram.Histogram
	// sums are the histograms' value sums by name (latency, service_time,
	// series names), from the sources' exact means.
	sums        map[string]float64
	timeline    timelineMerge
	end, window time.Time     // the latest end and rate window end of a source
	conns       int           // connection indexes taken so far
	tools       []report.Tool // the distinct versions of the sources so far
}

// newMerger starts a merge at t0 with first's identity and options.
func newMerger(first *report.Summary, t0 time.Time) *merger {
	return &merger{
		m: &report.Summary{
			Schema: report.Schema, Tool: first.Tool, Engine: first.EngineName(), Target: first.Target, Method: first.Method, Kind: first.Kind,
			Options: report.RedactOptions(first.Options), DataBytes: first.DataBytes, StartedAt: report.Timestamp{Time: t0},
			Series: map[string]*report.Histogram{}, Connections: []report.Connection{},
		},
		t0: t0, codes: map[event.Code]int64{}, errors: map[errorKey]*report.ErrorCount{}, backends: map[string]*report.Backend{},
		latency: report.NewHDR(), service: report.NewHDR(), series: map[string]*hdrhistogram.Histogram{},
		sums: map[string]float64{},
	}
}

// add adds s, the i-th report.
func (mg *merger) add(s *report.Summary, i int) error {
	m, off := mg.m, s.StartedAt.Sub(mg.t0)
	if s.EngineName() != m.Engine {
		m.Engine = report.EngineMixed // the runs were measured by different clients
	}
	m.Count += s.Count
	m.OK += s.OK
	m.Errors += s.Errors
	m.Messages.Sent += s.Messages.Sent
	m.Messages.Received += s.Messages.Received
	m.LateStarts += s.LateStarts
	m.Aborted += s.Aborted
	m.CutDelivering += s.CutDelivering
	m.Unstarted += s.Unstarted
	m.PacerLate += s.PacerLate
	m.LateBy = mergeSpreadPtr(m.LateBy, s.LateBy)
	m.PacerLateBy = mergeSpreadPtr(m.PacerLateBy, s.PacerLateBy)
	m.HeldAtEnd += s.HeldAtEnd
	m.HeldFor = max(m.HeldFor, s.HeldFor)
	m.Cut += s.Cut
	m.CutFor = max(m.CutFor, s.CutFor)
	m.Stalled = max(m.Stalled, s.Stalled)
	m.Failure = cmp.Or(m.Failure, s.Failure)
	m.Interrupted = m.Interrupted || s.Interrupted
	for _, c := range s.StatusCodes {
		mg.codes[c.Code] += c.Count
	}
	for _, e := range s.ErrorsByMessage {
		k := errorKey{code: e.Code, msg: e.Message}
		if mg.errors[k] == nil {
			mg.errors[k] = &report.ErrorCount{Code: e.Code, Message: e.Message}
		}
		mg.errors[k].Absorb(e)
	}
	for _, b := range s.Backends {
		if mg.backends[b.Remote] == nil {
			mg.backends[b.Remote] = &report.Backend{Remote: b.Remote}
		}
		mg.backends[b.Remote].Calls += b.Calls
		mg.backends[b.Remote].Errors += b.Errors
	}
	if err := mg.addHistograms(s, i); err != nil {
		return err
	}
	mg.timeline.add(s.Timeline, off)
	mg.addTools(s)
	for _, src := range sourcesOf(s) {
		src.FirstConnection += mg.conns
		m.Sources = append(m.Sources, src)
		mg.end = latestTime(mg.end, src.StartedAt.Add(src.Duration))
		mg.window = latestTime(mg.window, src.StartedAt.Add(src.Window))
	}
	first := mg.conns
	for _, c := range s.Connections {
		m.Connections = append(m.Connections, shiftConnection(c, first, off))
	}
	mg.conns += connWidth(s)
	m.Compression = mergeCompression(m.Compression, s.Compression)
	if s.Connectivity == nil {
		return nil
	}
	if m.Connectivity == nil {
		m.Connectivity = emptyConnectivity()
	}
	return addConnectivity(m.Connectivity, s.Connectivity, off, i, first)
}

func (mg *merger) addHistograms(s *report.Summary, i int) error {
	if err := mergeHDR(mg.latency, s.Latency, i, "latency"); err != nil {
		return err
	}
	if err := mergeHDR(mg.service, s.ServiceTime, i, "service_time"); err != nil {
		return err
	}
	mg.sums["latency"] += s.Latency.Sum()
	mg.sums["service_time"] += s.ServiceTime.Sum()
	for name, h := range s.Series {
		if mg.series[name] == nil {
			mg.series[name] = report.NewHDR()
		}
		if err := mergeHDR(mg.series[name], h, i, "series "+name); err != nil {
			return err
		}
		mg.sums["series "+name] += h.Sum()
	}
	return nil
}

// summary finishes the merged report.
func (mg *merger) summary() *report.Summary {
	m := mg.m
	m.Duration = mg.end.Sub(mg.t0)
	if w := mg.window.Sub(mg.t0); w > 0 {
		m.RPS = float64(m.Count) / w.Seconds()
	}
	m.StatusCodes = report.StatusCodes{}
	for c, n := range mg.codes {
		m.StatusCodes = append(m.StatusCodes, report.CodeCount{Code: c, Count: n})
	}
	slices.SortFunc(m.StatusCodes, func(a, b report.CodeCount) int { return cmp.Compare(a.Code, b.Code) })
	m.ErrorsByMessage = []report.ErrorCount{}
	for _, e := range mg.errors {
		m.ErrorsByMessage = append(m.ErrorsByMessage, *e)
	}
	report.SortErrorCounts(m.ErrorsByMessage)
	m.Backends = []report.Backend{}
	for _, b := range mg.backends {
		m.Backends = append(m.Backends, *b)
	}
	slices.SortFunc(m.Backends, func(a, b report.Backend) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), strings.Compare(a.Remote, b.Remote))
	})
	m.Latency = report.NewHistogramSum(mg.latency, mg.sums["latency"])
	m.ServiceTime = report.NewHistogramSum(mg.service, mg.sums["service_time"])
	for name, h := range mg.series {
		m.Series[name] = report.NewHistogramSum(h, mg.sums["series "+name])
	}
	m.Timeline = mg.timeline.points(m.Duration)
	slices.SortStableFunc(m.Connections, func(a, b report.Connection) int { return cmp.Compare(a.Index, b.Index) })
	m.Findings = []report.Finding{}
	return m
}

// mergeable refuses to merge s (the i-th report) with first.
func mergeable(first, s *report.Summary, i int) error {
	switch {
	case s == nil:
		return fmt.Errorf("report #%d is missing", i+1)
	case s.Schema != report.Schema:
		return fmt.Errorf("report #%d: %w: %q (this grpcpulse merges %s)", i+1, report.ErrSchema, s.Schema, report.Schema)
	case s.Method != first.Method:
		return fmt.Errorf("report #%d is of method %s, report #1 of %s: only reports of the same method merge", i+1, s.Method, first.Method)
	case s.Kind != first.Kind:
		return fmt.Errorf("report #%d is of a %s method, report #1 of a %s one", i+1, s.Kind, first.Kind)
	}
	if err := checkTimeline(s, fmt.Sprintf("report #%d", i+1)); err != nil {
		return err
	}
	if err := report.Validate(s); err != nil {
		return fmt.Errorf("report #%d: %w", i+1, err)
	}
	return nil
}

// sameRuns refuses a run given twice: two sources (single-run reports, or
// the sources of merged ones) with the same start, target and count.
func sameRuns(reports []*report.Summary) error {
	type run struct {
		start  time.Time
		target string
		count  int64
	}
	seen := map[run]int{} // → the report it came from
	for i, s := range reports {
		mine := map[run]bool{}
		for _, src := range sourcesOf(s) {
			k := run{src.StartedAt.UTC(), src.Target, src.Count}
			if j, ok := seen[k]; ok {
				return fmt.Errorf("report #%d is the same run as report #%d (started at %s, %d calls): each run merges once",
					i+1, j+1, src.StartedAt.UTC().Format(time.RFC3339Nano), src.Count)
			}
			mine[k] = true
		}
		for k := range mine {
			seen[k] = i
		}
	}
	return nil
}

// overlapping refuses reports whose runs were not made at the same time:
// one whose run, from started_at to started_at + duration, overlaps no
// other's, or groups of reports with a gap between them.
func overlapping(reports []*report.Summary) error {
	if len(reports) < 2 {
		return nil
	}
	type span struct {
		i          int
		start, end time.Time
	}
	spans := make([]span, len(reports))
	for i, s := range reports {
		spans[i] = span{i, s.StartedAt.Time, s.StartedAt.Add(max(s.Duration, 0))}
	}
	overlap := func(a, b span) bool { return !a.start.After(b.end) && !b.start.After(a.end) }
	when := func(sp span) string {
		return fmt.Sprintf("%s to %s", sp.start.UTC().Format(time.RFC3339), sp.end.UTC().Format(time.RFC3339))
	}
	// Report #1 last: the first of two that do not overlap to name is the
	// second.
	for _, a := range append(spans[1:], spans[0]) {
		alone := true
		for _, b := range spans {
			if a.i != b.i && overlap(a, b) {
				alone = false
				break
			}
		}
		if alone {
			return fmt.Errorf("report #%d ran from %s, at no time another report ran: only reports of runs made at the same time merge",
				a.i+1, when(a))
		}
	}
	// Each overlaps another, but they may still make separate groups.
	slices.SortStableFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	end := spans[0].end
	for k, b := range spans[1:] {
		if b.start.After(end) {
			return fmt.Errorf("report #%d ran from %s, after report #%d and those run with it had ended: only reports of runs made at the same time merge",
				b.i+1, when(b), spans[k].i+1)
		}
		end = latestTime(end, b.end)
	}
	return nil
}

// mergeHDR adds h's histogram to dst, refusing values dst cannot hold (a
// histogram of another geometry), which would make the merge inexact.
func mergeHDR(dst *hdrhistogram.Histogram, h *report.Histogram, i int, what string) error {
	if h == nil {
		return nil
	}
	if dropped := dst.Merge(h.HDR()); dropped > 0 {
		return fmt.Errorf("merge: report #%d: %s has %d values outside 1µs to 1h", i+1, what, dropped)
	}
	return nil
}

// addTools notes the versions that made s (its own MergedTools, for a
// merged report), and keeps MergedTools only once they differ.
func (mg *merger) addTools(s *report.Summary) {
	if mg.m.Tool.CPUs != s.Tool.CPUs {
		mg.m.Tool.CPUs = 0 // the sources' clients had different processors
	}
	tools := s.MergedTools
	if len(tools) == 0 {
		tools = []report.Tool{s.Tool}
	}
	for _, t := range tools {
		t.CPUs = 0 // machines differ; versions are what MergedTools tells
		if !slices.Contains(mg.tools, t) {
			mg.tools = append(mg.tools, t)
		}
	}
	if len(mg.tools) > 1 {
		mg.m.MergedTools = slices.Clone(mg.tools)
	}
}

// sourcesOf is what s contributes to Sources: its own, for a merged report,
// else itself.
func sourcesOf(s *report.Summary) []report.Source {
	if len(s.Sources) > 0 {
		return slices.Clone(s.Sources)
	}
	return []report.Source{{
		Label: report.Label(s.Name, s.Tags), Target: s.Target, Tool: s.Tool.Version, StartedAt: s.StartedAt,
		Duration: s.Duration, Window: report.RateWindow(s.Duration, s.Options.Load.Duration),
		Count: s.Count, Errors: s.Errors, RPS: s.RPS, Concurrency: s.Options.Load.Concurrency,
		Connections: connWidth(s),
	}}
}

// connWidth is how many connection indexes s takes: its pool size, or more
// if its connections say so.
func connWidth(s *report.Summary) int {
	n := s.Options.Load.Connections
	if len(s.Sources) > 0 {
		last := s.Sources[len(s.Sources)-1]
		n = last.FirstConnection + last.Connections
	}
	for _, c := range s.Connections {
		n = max(n, c.Index+1)
	}
	return n
}

func latestTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// timelineMerge adds the timelines of several reports on wall-clock
// seconds.
type timelineMerge struct {
	seconds []mergedSecond
}

type mergedSecond struct {
	count, errors int64
	p50Sum        float64 // Σ count × p50
	p99, max      time.Duration
}

// add adds the points of a timeline that started off after the merged
// start: point s goes to the merged second it overlaps most.
func (t *timelineMerge) add(points []report.Point, off time.Duration) {
	shift := int(math.Round(off.Seconds()))
	for _, p := range points {
		k := max(p.Second+shift, 0)
		for len(t.seconds) <= k {
			t.seconds = append(t.seconds, mergedSecond{})
		}
		ms := &t.seconds[k]
		ms.count += p.Count
		ms.errors += p.Errors
		ms.p50Sum += float64(p.Count) * float64(p.P50)
		ms.p99 = max(ms.p99, p.P99)
		ms.max = max(ms.max, p.Max)
	}
}

// points are the merged seconds of a run of the given duration. The last
// point, when the run ended within its second, has that part of it as its
// Width, as a single run's last point has. A last point that the rounding
// of a source's start put at or past the end is folded into the one before
// it (its calls ended before the end).
func (t *timelineMerge) points(duration time.Duration) []report.Point {
	if n := len(t.seconds); n > 1 && time.Duration(n-1)*time.Second >= duration {
		last, prev := t.seconds[n-1], &t.seconds[n-2]
		prev.count += last.count
		prev.errors += last.errors
		prev.p50Sum += last.p50Sum
		prev.p99 = max(prev.p99, last.p99)
		prev.max = max(prev.max, last.max)
		t.seconds = t.seconds[:n-1]
	}
	out := make([]report.Point, len(t.seconds))
	if n := len(out); n > 0 {
		if w := duration - time.Duration(n-1)*time.Second; w > 0 && w < time.Second {
			out[n-1].Width = w
		}
	}
	for k, ms := range t.seconds {
		out[k] = report.Point{Second: k, Count: ms.count, Errors: ms.errors, P99: ms.p99, Max: ms.max, Width: out[k].Width}
		if ms.count > 0 {
			out[k].P50 = time.Duration(math.Round(ms.p50Sum / float64(ms.count)))
		}
	}
	return out
}

// checkTimeline refuses a timeline point before the start of s or after
// its end (its duration in whole seconds + 1): a corrupt report, whose
// merge would allocate a second for every second up to it.
func checkTimeline(s *report.Summary, name string) error {
	last := int(s.Duration/time.Second) + 1
	for _, p := range s.Timeline {
		if p.Second < 0 || p.Second > last {
			return fmt.Errorf("%s: its timeline has a point at second %d, outside its duration of %s", name, p.Second, report.FormatDuration(s.Duration))
		}
	}
	return nil
}

// commonLabels is what a merge keeps of its reports' labels: the name when
// every report has the same one, and the tags every report has with the
// same value. Each report's own labels stay in its Source.
func commonLabels(reports []*report.Summary) (string, map[string]string) {
	name := reports[0].Name
	tags := maps.Clone(reports[0].Tags)
	for _, s := range reports[1:] {
		if s.Name != name {
			name = ""
		}
		for k, v := range tags {
			if w, ok := s.Tags[k]; !ok || w != v {
				delete(tags, k)
			}
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	return name, tags
}
