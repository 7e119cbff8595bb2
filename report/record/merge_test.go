package record

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/diagnose"
	"github.com/grpcpulse/grpcpulse/report/merge"
	"github.com/grpcpulse/grpcpulse/runner/event"

	"google.golang.org/grpc/codes"
)

// exactSplit records random calls split at random over two recorders, and
// all of them into a third: the run over the union.
func exactSplit(kind event.Kind, rng *rand.Rand) (a, b, all *report.Summary) {
	var parts [2][]gateCall
	var union []gateCall
	for i := range 5000 {
		lat := time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))
		switch i % 997 {
		case 0:
			lat = 2 * time.Hour // above the histograms' range: counted as 1h
		case 1:
			lat = 300 * time.Nanosecond // below its resolution
		}
		c := gateCall{latency: lat}
		if rng.IntN(50) == 0 {
			c.code = codes.Unavailable
		}
		if kind.Streaming() {
			c.messages = map[event.Series][]time.Duration{}
			for s := range event.NumSeries {
				if kind.Has(s) {
					c.messages[s] = []time.Duration{time.Duration(rng.IntN(5_000_000)), time.Duration(rng.IntN(50_000))}
				}
			}
		}
		k := rng.IntN(2)
		parts[k] = append(parts[k], c)
		union = append(union, c)
	}
	meta := gateMeta(kind)
	a = summarize(recordGateCalls(kind, parts[0], 10*time.Second), meta)
	b = summarize(recordGateCalls(kind, parts[1], 10*time.Second), meta)
	all = summarize(recordGateCalls(kind, union, 10*time.Second), meta)
	return a, b, all
}

// sameHistogram fails unless got and want have the same figures and the
// same value at every percentile.
func checkMergedHistogram(t *testing.T, name string, got, want *report.Histogram) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", name, got, want)
	}
	if got.Count != want.Count || got.Min != want.Min || got.Mean != want.Mean || got.P50 != want.P50 ||
		got.P90 != want.P90 || got.P99 != want.P99 || got.P999 != want.P999 || got.Max != want.Max {
		t.Errorf("%s: merged %+v, one run over the union %+v", name, *got, *want)
	}
	for p := 0.0; p <= 100; p += 0.25 {
		if g, w := got.Percentile(p), want.Percentile(p); g != w {
			t.Errorf("%s: p%g merged %v, union %v", name, p, g, w)
			return
		}
	}
	if !got.HDR().Equals(want.HDR()) {
		t.Errorf("%s: the merged histogram is not the union's", name)
	}
}

// TestMergeIsExact runs in parallel: its histogram walks are slow under the
// race detector (seconds each), and nothing else waits for them.
func TestMergeIsExact(t *testing.T) {
	t.Parallel()
	for _, kind := range []event.Kind{event.Unary, event.Bidi, event.ServerStream} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			a, b, all := exactSplit(kind, rand.New(rand.NewPCG(7, uint64(len(kind)))))
			for _, via := range []string{"memory", "json"} {
				ra, rb := a, b
				if via == "json" {
					ra, rb = jsonRoundTrip(t, a), jsonRoundTrip(t, b)
				}
				m, err := merge.Reports([]*report.Summary{ra, rb})
				if err != nil {
					t.Fatal(err)
				}
				if m.Count != all.Count || m.Errors != all.Errors || m.OK != all.OK {
					t.Errorf("%s: count %d errors %d ok %d, want %d %d %d", via, m.Count, m.Errors, m.OK, all.Count, all.Errors, all.OK)
				}
				checkMergedHistogram(t, via+" latency", m.Latency, all.Latency)
				checkMergedHistogram(t, via+" service_time", m.ServiceTime, all.ServiceTime)
				if len(m.Series) != len(all.Series) {
					t.Errorf("%s: series %d, want %d", via, len(m.Series), len(all.Series))
				}
				for name, h := range all.Series {
					checkMergedHistogram(t, via+" "+name, m.Series[name], h)
				}
				if !slices.Equal(m.StatusCodes, all.StatusCodes) {
					t.Errorf("%s: status codes %v, want %v", via, m.StatusCodes, all.StatusCodes)
				}
				// And through JSON the merged report still decodes to the same.
				checkMergedHistogram(t, via+" latency after JSON", jsonRoundTrip(t, m).Latency, all.Latency)
			}
		})
	}
}

// shifted is a copy of s that started d later.
func startedLater(s *report.Summary, d time.Duration) *report.Summary {
	c := *s
	c.StartedAt = report.Timestamp{Time: s.StartedAt.Add(d)}
	return &c
}

func TestMergeAddsUp(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	a := summarize(r, meta)
	b := startedLater(jsonRoundTrip(t, a), 1500*time.Millisecond)
	m, err := merge.Reports([]*report.Summary{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Count != 400 || m.OK != 376 || m.Errors != 24 || m.LateStarts != 8 || m.Aborted != 4 {
		t.Errorf("count %d ok %d errors %d late %d aborted %d", m.Count, m.OK, m.Errors, m.LateStarts, m.Aborted)
	}
	if !m.StartedAt.Equal(a.StartedAt.Time) || m.Duration != 4*time.Second {
		t.Errorf("started %v, duration %v; want %v and 1.5s + 2.5s", m.StartedAt, m.Duration, a.StartedAt)
	}
	if m.RPS != 100 { // no -z: 400 calls over the 4 s from the first start to the last end
		t.Errorf("rps = %v, want 100", m.RPS)
	}
	for i, c := range m.StatusCodes {
		if c != (report.CodeCount{Code: a.StatusCodes[i].Code, Count: 2 * a.StatusCodes[i].Count}) {
			t.Errorf("status code %v, want twice %v", c, a.StatusCodes[i])
		}
	}
	if len(m.ErrorsByMessage) != len(a.ErrorsByMessage) || m.ErrorsByMessage[0].Count != 2*a.ErrorsByMessage[0].Count {
		t.Errorf("errors by message %+v", m.ErrorsByMessage)
	}
	if len(m.Backends) != 2 || m.Backends[0].Calls+m.Backends[1].Calls != 400 {
		t.Errorf("backends %+v", m.Backends)
	}
	// Connections of the second source follow the first's, their event times
	// moved onto the merged start.
	if len(m.Connections) != 4 {
		t.Fatalf("%d connections, want 4", len(m.Connections))
	}
	for i, c := range m.Connections {
		src := a.Connections[i%2]
		if c.Index != i || c.Calls != src.Calls || len(c.Events) != len(src.Events) {
			t.Errorf("connection %d: index %d calls %d events %d", i, c.Index, c.Calls, len(c.Events))
			continue
		}
		off := time.Duration(0)
		if i >= 2 {
			off = 1500 * time.Millisecond
		}
		if c.Events[0].At != src.Events[0].At+off {
			t.Errorf("connection %d: first event at %v, want %v", i, c.Events[0].At, src.Events[0].At+off)
		}
	}
	want := []report.Source{
		{Target: a.Target, Tool: a.Tool.Version, StartedAt: a.StartedAt, Duration: a.Duration, Window: a.Duration,
			Count: 200, Errors: 12, RPS: 80, Concurrency: 4, FirstConnection: 0, Connections: 2},
		{Target: a.Target, Tool: a.Tool.Version, StartedAt: b.StartedAt, Duration: a.Duration, Window: a.Duration,
			Count: 200, Errors: 12, RPS: 80, Concurrency: 4, FirstConnection: 2, Connections: 2},
	}
	if !slices.Equal(m.Sources, want) {
		t.Errorf("sources %+v, want %+v", m.Sources, want)
	}
	cv, ca := m.Connectivity, a.Connectivity
	if cv.Connects != 2*ca.Connects || cv.Reconnects != 2*ca.Reconnects || cv.GoAways["NO_ERROR max_age"] != 2*ca.GoAways["NO_ERROR max_age"] ||
		cv.FailureCauses[event.CauseRefused] != 2*ca.FailureCauses[event.CauseRefused] || cv.Keepalive.Pings != 2*ca.Keepalive.Pings ||
		cv.Retries.Attempts != 2*ca.Retries.Attempts || cv.Unavailable != 2*ca.Unavailable {
		t.Errorf("connectivity does not add up: %+v", cv)
	}
	if cv.ReconnectLatency.Count != 2*ca.ReconnectLatency.Count || cv.ReconnectLatency.P99 != ca.ReconnectLatency.P99 {
		t.Errorf("reconnect latency %+v, want twice %+v", cv.ReconnectLatency, ca.ReconnectLatency)
	}
	if g := cv.GoAwayTiming["NO_ERROR max_age"]; g.FirstAt != ca.GoAwayTiming["NO_ERROR max_age"].FirstAt || g.Age.Count != 2*ca.GoAwayTiming["NO_ERROR max_age"].Age.Count {
		t.Errorf("goaway timing %+v", g)
	}
	if len(cv.Notes) != len(ca.Notes) {
		t.Errorf("notes %q, want %q once", cv.Notes, ca.Notes)
	}
	if len(m.Findings) != 0 {
		t.Errorf("Merge diagnosed: %+v", m.Findings)
	}
	if f := diagnose.Findings(m); len(f) == 0 || f[0].ID != a.Findings[0].ID {
		t.Errorf("findings of the merged report: %+v", f)
	}
	// The timeline: 1.5 s rounds to 2 s, so b's second s is merged second
	// s+2, but for its last (2.0 to 2.5 s of b, so 3.5 to 4 s): at second 4,
	// the end of the merged run, it is folded into second 3.
	var total int64
	for _, p := range m.Timeline {
		total += p.Count
	}
	if total != 400 || len(m.Timeline) != len(a.Timeline)+1 || m.Timeline[0].Count != a.Timeline[0].Count ||
		m.Timeline[2].Count != a.Timeline[2].Count+a.Timeline[0].Count ||
		m.Timeline[3].Count != a.Timeline[1].Count+a.Timeline[2].Count || m.Timeline[3].Width != 0 {
		t.Errorf("timeline %+v (from %+v)", m.Timeline, a.Timeline)
	}
	if m.LateBy == nil || a.LateBy == nil || m.LateBy.Count != 2*a.LateBy.Count || m.LateBy.Max != a.LateBy.Max || m.LateStarts != 2*a.LateStarts {
		t.Errorf("late starts %d by %+v, want twice %d by %+v", m.LateStarts, m.LateBy, a.LateStarts, a.LateBy)
	}
	// The inputs are unchanged.
	if a.Count != 200 || a.Connections[0].Index != 0 || len(a.Sources) != 0 {
		t.Errorf("Merge changed its input")
	}
}

func TestMergeRate(t *testing.T) {
	// The bidi run has -z 2.5s: two sources side by side add their rates.
	r, meta := syntheticRun(event.Bidi)
	a := summarize(r, meta)
	tests := []struct {
		name string
		skew time.Duration
		want float64
	}{
		{"side by side", 0, 160},
		{"half a second apart", 500 * time.Millisecond, 400 / 3.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startedLater(a, tt.skew)
			b.Target = "other" // another machine's run (the same one twice is refused)
			m, err := merge.Reports([]*report.Summary{a, b})
			if err != nil {
				t.Fatal(err)
			}
			if !nearFloat(m.RPS, tt.want) {
				t.Errorf("rps = %v, want %v", m.RPS, tt.want)
			}
			// The window the renderers say the rate is over is the one it is.
			if w := m.Window(); !nearFloat(float64(m.Count)/w.Seconds(), m.RPS) {
				t.Errorf("window %s: %d calls over it are not %v/s", w, m.Count, m.RPS)
			}
		})
	}
	one, err := merge.Reports([]*report.Summary{a})
	if err != nil {
		t.Fatal(err)
	}
	if one.RPS != a.RPS || one.Duration != a.Duration || one.Count != a.Count || len(one.Sources) != 1 {
		t.Errorf("merge of one: rps %v duration %v count %d", one.RPS, one.Duration, one.Count)
	}
}

func TestMergeTimeline(t *testing.T) {
	mk := func(start time.Duration, points ...report.Point) *report.Summary {
		return &report.Summary{Schema: report.Schema, Method: "m", Kind: event.Unary, StartedAt: report.Timestamp{Time: t0.Add(start)},
			Duration: time.Duration(len(points)) * time.Second, Timeline: points}
	}
	a := mk(0,
		report.Point{Second: 0, Count: 10, Errors: 1, P50: 1 * time.Millisecond, P99: 5 * time.Millisecond, Max: 6 * time.Millisecond},
		report.Point{Second: 1, Count: 30, Errors: 0, P50: 2 * time.Millisecond, P99: 4 * time.Millisecond, Max: 9 * time.Millisecond})
	b := mk(1200*time.Millisecond, // rounds to second 1
		report.Point{Second: 0, Count: 10, Errors: 2, P50: 6 * time.Millisecond, P99: 8 * time.Millisecond, Max: 8 * time.Millisecond},
		report.Point{Second: 2, Count: 5, P50: time.Millisecond, P99: time.Millisecond, Max: time.Millisecond})
	m, err := merge.Reports([]*report.Summary{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want := []report.Point{
		{Second: 0, Count: 10, Errors: 1, P50: 1 * time.Millisecond, P99: 5 * time.Millisecond, Max: 6 * time.Millisecond},
		{Second: 1, Count: 40, Errors: 2, P50: 3 * time.Millisecond, P99: 8 * time.Millisecond, Max: 9 * time.Millisecond},
		{Second: 2},
		// b ends at 3.2 s: the last point covers 200 ms of its second.
		{Second: 3, Count: 5, P50: time.Millisecond, P99: time.Millisecond, Max: time.Millisecond, Width: 200 * time.Millisecond},
	}
	if !slices.Equal(m.Timeline, want) {
		t.Errorf("timeline\n got %+v\nwant %+v", m.Timeline, want)
	}
}

// A merged run that ended within its last second gives that point its
// width, as a single run does (docs/report.md), so that rates over it are
// not a second's.
func TestMergeTimelineWidth(t *testing.T) {
	r, meta := syntheticRun(event.Bidi) // -z 2.5s: its last point is 500 ms wide
	a := summarize(r, meta)
	tests := []struct {
		name      string
		skew      time.Duration
		wantLen   int
		wantWidth time.Duration
	}{
		{"side by side", 0, 3, 500 * time.Millisecond},
		{"a second apart", time.Second, 4, 500 * time.Millisecond},
		{"700 ms apart", 700 * time.Millisecond, 4, 200 * time.Millisecond}, // ends at 3.2 s
		{"half a second apart", 500 * time.Millisecond, 3, 0},               // ends at 3 s: b's last folds into second 2
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startedLater(a, tt.skew)
			b.Target = "other"
			m, err := merge.Reports([]*report.Summary{a, b})
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, p := range m.Timeline {
				total += p.Count
			}
			last := m.Timeline[len(m.Timeline)-1]
			if len(m.Timeline) != tt.wantLen || last.Width != tt.wantWidth || total != a.Count+b.Count {
				t.Errorf("%d points, last %+v, %d calls; want %d points, width %v, %d calls", len(m.Timeline), last, total, tt.wantLen, tt.wantWidth, a.Count+b.Count)
			}
			if err := report.Validate(m); err != nil {
				t.Error(err)
			}
		})
	}
}

// corruptTimeline is a copy of s whose last timeline point is at second.
func corruptTimeline(s *report.Summary, second int) *report.Summary {
	c := *s
	c.Timeline = slices.Clone(s.Timeline)
	c.Timeline[len(c.Timeline)-1].Second = second
	return &c
}

// A merged report given again with one of its sources is the same run twice.
func TestMergeRefusesMergedWithItsSource(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	a := summarize(r, meta)
	ab, err := merge.Reports([]*report.Summary{a, startedLater(a, time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := merge.Reports([]*report.Summary{ab, a}); err == nil || !strings.Contains(err.Error(), "report #2 is the same run as report #1") {
		t.Errorf("Merge(merged, its source) = %v", err)
	}
}

func TestMergeRefuses(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	a := summarize(r, meta)
	other := *a
	other.Method = "grpcpulse.test.v1.Pulse/Other"
	kind := *a
	kind.Kind = event.Bidi
	schema := *a
	schema.Schema = "grpcpulse.report/v2"
	tests := []struct {
		name    string
		reports []*report.Summary
		want    string
	}{
		{"none", nil, "no reports"},
		{"nil", []*report.Summary{a, nil}, "report #2 is missing"},
		{"method", []*report.Summary{a, &other}, "report #2 is of method grpcpulse.test.v1.Pulse/Other, report #1 of grpcpulse.test.v1.Pulse/Unary"},
		{"kind", []*report.Summary{a, &kind}, "report #2 is of a bidi method"},
		{"schema", []*report.Summary{a, &schema}, "grpcpulse.report/v2"},
		{"same run twice", []*report.Summary{a, startedLater(a, time.Second), jsonRoundTrip(t, a)}, "report #3 is the same run as report #1"},
		{"a year apart", []*report.Summary{a, startedLater(a, -365*24*time.Hour)}, "report #2 ran from"},
		{"one run alone", []*report.Summary{a, startedLater(a, time.Second), startedLater(a, time.Hour)}, "report #3 ran from"},
		{"two groups", []*report.Summary{a, startedLater(a, time.Second), startedLater(a, time.Hour), startedLater(a, time.Hour+time.Second)},
			"report #3 ran from"},
		{"timeline past the end", []*report.Summary{a, corruptTimeline(startedLater(a, time.Second), 3_000_000_000)},
			"report #2: its timeline has a point at second 3000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := merge.Reports(tt.reports)
			if err == nil || m != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge = %v, %v; want an error saying %q", m, err, tt.want)
			}
		})
	}
}

// TestMergeOfMerged: merging is associative (bar the timeline's rounding),
// and a merged report given to Merge brings its sources.
func TestMergeOfMerged(t *testing.T) {
	r, meta := syntheticRun(event.Bidi)
	a := summarize(r, meta)
	b, c := startedLater(a, time.Second), startedLater(a, 3*time.Second)
	ab, err := merge.Reports([]*report.Summary{a, b})
	if err != nil {
		t.Fatal(err)
	}
	nested, err := merge.Reports([]*report.Summary{jsonRoundTrip(t, ab), c})
	if err != nil {
		t.Fatal(err)
	}
	flat, err := merge.Reports([]*report.Summary{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nested.Sources, flat.Sources) || len(flat.Sources) != 3 || flat.Sources[2].FirstConnection != 4 {
		t.Errorf("sources\nnested %+v\nflat   %+v", nested.Sources, flat.Sources)
	}
	if nested.Count != 600 || nested.RPS != flat.RPS || nested.Duration != flat.Duration || len(nested.Connections) != 6 {
		t.Errorf("nested count %d rps %v duration %v conns %d; flat rps %v duration %v",
			nested.Count, nested.RPS, nested.Duration, len(nested.Connections), flat.RPS, flat.Duration)
	}
	checkMergedHistogram(t, "msg_rtt", nested.Series["msg_rtt"], flat.Series["msg_rtt"])
	if !slices.EqualFunc(nested.Timeline, flat.Timeline, func(x, y report.Point) bool { return x == y }) {
		t.Errorf("timelines differ:\n%+v\n%+v", nested.Timeline, flat.Timeline)
	}
}

func TestSourcesAndDataBytesRoundTrip(t *testing.T) {
	r, meta := syntheticRun(event.Unary)
	meta.DataSize = 123
	a := summarize(r, meta)
	if a.DataBytes != 123 || !strings.Contains(reportJSON(t, a), `"data_bytes": 123`) {
		t.Errorf("data_bytes %d not written", a.DataBytes)
	}
	if strings.Contains(reportJSON(t, a), `"sources"`) {
		t.Errorf("a single run's report has sources")
	}
	m, err := merge.Reports([]*report.Summary{a, startedLater(a, time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	back := jsonRoundTrip(t, m)
	if !slices.Equal(back.Sources, m.Sources) || back.DataBytes != 123 {
		t.Errorf("read back sources %+v data %d, want %+v 123", back.Sources, back.DataBytes, m.Sources)
	}
	if reportJSON(t, back) != reportJSON(t, m) {
		t.Errorf("a merged report does not survive a round trip byte for byte")
	}
}
