package record

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/report/merge"
	"github.com/grpcpulse/grpcpulse/runner"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// Cut records each call at end minus its due time, in bulk, with the exact
// sum: n calls due every 10ms from t0, cut at t0+5s.
func TestCutLowerBounds(t *testing.T) {
	r := newTestRecorder(event.Unary, 2)
	r.Begin(t0)
	w := r.Worker(0, 0)
	c := okCall() // 1.5ms latency
	w.Call(c)
	const n = 300
	end := t0.Add(5 * time.Second)
	r.Cut(t0, 10*time.Millisecond, n, end)
	r.Cut(t0.Add(4*time.Second), 0, 1, end) // one call in flight since 4s
	r.Cut(t0.Add(6*time.Second), 0, 2, end) // due after the end: a bound of 0
	r.End(end)
	s := summarize(r, Meta{})
	if s.Count != 1 || s.Cut != n+3 || s.Latency.Count != n+4 || s.ServiceTime.Count != 1 {
		t.Fatalf("count %d cut %d latency %d service %d; want 1, %d, %d, 1", s.Count, s.Cut, s.Latency.Count, s.ServiceTime.Count, n+3, n+4)
	}
	if s.CutFor != 5*time.Second {
		t.Errorf("cut_for %s, want 5s", s.CutFor)
	}
	// Bounds 5s, 4.99s, ... 2.01s; 1s; 0, 0; and the call's 1.5ms.
	var sum time.Duration
	for k := range n {
		sum += 5*time.Second - time.Duration(k)*10*time.Millisecond
	}
	sum += time.Second + 1500*time.Microsecond
	if want := time.Duration(math.Round(float64(sum) / float64(n+4))); s.Latency.Mean != want {
		t.Errorf("mean %s, want exactly %s", s.Latency.Mean, want)
	}
	if s.Latency.Max < 4995*time.Millisecond || s.Latency.Min != 0 {
		t.Errorf("latency min %s max %s, want 0 and ~5s", s.Latency.Min, s.Latency.Max)
	}
	if p := s.Latency.Percentile(50); p < 3400*time.Millisecond || p > 3600*time.Millisecond {
		t.Errorf("p50 %s, want ~3.5s (the median of the bounds)", p)
	}
	var tl int64
	for _, p := range s.Timeline {
		tl += p.Count
	}
	if tl != 1 {
		t.Errorf("timeline holds %d calls, want 1 (cut calls did not end)", tl)
	}
}

// Each call goes to the second its end falls in, whenever the ticks come:
// a client paused for over a second (no tick for 3s) loses no second,
// empty seconds are zero points, and the last partial second has its
// width. A run that ends at begin+z after its last call zero-fills to -z.
func TestTimelineByEndTime(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	at := func(end time.Duration) {
		c := okCall()
		c.Intended, c.Start, c.End = t0.Add(end-time.Millisecond), t0.Add(end-time.Millisecond), t0.Add(end)
		w.Call(c)
	}
	at(100 * time.Millisecond)
	at(999 * time.Millisecond)
	at(1000 * time.Millisecond) // second 1, recorded before any tick
	r.Tick(t0.Add(1200 * time.Millisecond))
	at(1900 * time.Millisecond)
	// No tick for a while: calls of seconds 5 and 6 fold 1 to 4 to make room.
	at(5500 * time.Millisecond)
	at(6100 * time.Millisecond)
	at(6200 * time.Millisecond)
	r.End(t0.Add(9250 * time.Millisecond))
	tl := summarize(r, Meta{}).Timeline
	want := []int64{2, 2, 0, 0, 0, 1, 2, 0, 0, 0}
	if len(tl) != len(want) {
		t.Fatalf("timeline %+v, want %d points", tl, len(want))
	}
	for i, p := range tl {
		if p.Second != i || p.Count != want[i] {
			t.Errorf("point %d = %+v, want second %d count %d", i, p, i, want[i])
		}
		if wantW := map[bool]time.Duration{true: 250 * time.Millisecond}[i == len(tl)-1]; p.Width != wantW {
			t.Errorf("point %d width %s, want %s", i, p.Width, wantW)
		}
	}
}

// A run of whole seconds has no partial point, and no empty one after.
func TestTimelineWholeSeconds(t *testing.T) {
	r := newTestRecorder(event.Unary, 1)
	w := r.Worker(0, 0)
	r.Begin(t0)
	w.Call(okCall())
	r.End(t0.Add(2 * time.Second))
	tl := summarize(r, Meta{}).Timeline
	if len(tl) != 2 || tl[0].Count != 1 || tl[1].Count != 0 || tl[1].Width != 0 {
		t.Errorf("timeline %+v, want 2 full points", tl)
	}
}

// The real ticker and End do not race: over many short runs the points
// always cover the run once, each call in its second.
func TestTimelineFinalTickNoRace(t *testing.T) {
	for range 20 {
		r := New(event.Unary, 2)
		w := r.Worker(0, 0)
		begin := time.Now()
		r.Begin(begin)
		c := okCall()
		c.Intended, c.Start, c.End = begin, begin, begin.Add(10*time.Millisecond)
		w.Call(c)
		r.End(begin.Add(1500 * time.Millisecond)) // a rate run that ends at begin+z, later than now
		tl := summarize(r, Meta{}).Timeline
		if len(tl) != 2 || tl[0].Second != 0 || tl[0].Count != 1 || tl[1].Second != 1 || tl[1].Width != 500*time.Millisecond {
			t.Fatalf("timeline %+v, want second 0 with the call and a half second after", tl)
		}
	}
}

// cutRun is a 2s run of two calls (1ms and 3ms), n calls cut at the end,
// that the stall watchdog ended after stalled.
func cutRun(start time.Time, n int64, stalled time.Duration) *report.Summary {
	r := NewManual(event.Unary, 1, func() time.Time { return start })
	w := r.Worker(0, 0)
	r.Begin(start)
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond} {
		w.Call(&runner.CallStats{Intended: start.Add(time.Second - d), Start: start.Add(time.Second - d), End: start.Add(time.Second), Sent: 1, Received: 1})
	}
	end := start.Add(2 * time.Second)
	r.Cut(start.Add(time.Second), 0, n, end)
	r.End(end)
	meta := gateMeta(event.Unary)
	meta.Outcome = runner.Outcome{Aborted: n, Stalled: stalled}
	return r.Summary(meta)
}

// Outcome.Stalled, Cut and exact sums survive JSON and Merge; a report
// older than sum_ns (mean from the histogram) still merges.
func TestStalledCutAndSumsThroughJSONAndMerge(t *testing.T) {
	a := cutRun(t0, 3, 61*time.Second)
	if a.Stalled != 61*time.Second || a.Cut != 3 || a.CutFor != time.Second || a.Latency.Mean != (4*time.Millisecond+3*time.Second)/5 {
		t.Fatalf("stalled %s cut %d cut_for %s mean %s", a.Stalled, a.Cut, a.CutFor, a.Latency.Mean)
	}
	back := jsonRoundTrip(t, a)
	if back.Stalled != a.Stalled || back.Cut != a.Cut || back.CutFor != a.CutFor || back.Latency.Sum() != a.Latency.Sum() {
		t.Errorf("after JSON: stalled %s cut %d cut_for %s sum %v", back.Stalled, back.Cut, back.CutFor, back.Latency.Sum())
	}
	b := jsonRoundTrip(t, cutRun(t0.Add(500*time.Millisecond), 1, 0))
	m, err := merge.Reports([]*report.Summary{back, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Cut != 4 || m.CutFor != time.Second || m.Stalled != 61*time.Second || m.Latency.Count != 8 ||
		m.Latency.Mean != (8*time.Millisecond+4*time.Second)/8 {
		t.Errorf("merged: cut %d cut_for %s stalled %s latency count %d mean %s", m.Cut, m.CutFor, m.Stalled, m.Latency.Count, m.Latency.Mean)
	}
	// A report written before sum_ns: its mean_ns times count stands in.
	old := strings.ReplaceAll(reportJSON(t, b), `"sum_ns"`, `"unknown_sum"`)
	ob, err := report.ReadJSON(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := merge.Reports([]*report.Summary{back, ob}); err != nil {
		t.Errorf("merging a report without sum_ns: %v", err)
	}
}
