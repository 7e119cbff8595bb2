package html

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// distributionSVG draws the latency histogram as bars over log-spaced
// buckets (the text report's, finer), marking the p50 and p99 buckets.
func distributionSVG(h *report.Histogram) string {
	buckets := report.LogBuckets(h, htmlDistBars)
	if len(buckets) == 0 {
		return ""
	}
	a := plotArea{w: chartWidth, h: 280, left: 64, right: 16, top: 30, bottom: 48}
	c := newSVG(a.w, a.h, "Latency distribution")
	var most int64
	for _, b := range buckets {
		most = max(most, b.Count)
	}
	step := niceStep(float64(most), 4)
	ys := scale{0, roundUp(float64(most), step), a.y0(), a.y1()}
	c.yAxis(a, ys, step, shortCount)
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "calls")
	bw := (a.x1() - a.x0()) / float64(len(buckets))
	gap := min(2, bw*0.2)
	lower := h.Min
	every := (len(buckets) + 9) / 10
	for i, b := range buckets {
		x := a.x0() + float64(i)*bw
		y := a.y0()
		if b.Count > 0 {
			y = min(ys.at(float64(b.Count)), a.y0()-1.5) // a single call stays visible
		}
		c.rect(x+gap/2, y, bw-gap, a.y0()-y, "bar", fmt.Sprintf("%s – %s: %s (%s)",
			report.FormatDuration(lower), report.FormatDuration(b.Upper), report.Plural(int(b.Count), "call"), report.Percent(b.Count, h.Count)))
		lower = b.Upper
		if i%every == 0 || i == len(buckets)-1 {
			c.text(x+bw/2, a.y0()+16, "middle", "tick", report.FormatDuration(b.Upper))
		}
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	for _, m := range []struct {
		name string
		p    float64
	}{{"p50", 50}, {"p99", 99}} {
		v := h.Percentile(m.p)
		for i, b := range buckets {
			if b.Upper >= v || i == len(buckets)-1 {
				x := a.x0() + (float64(i)+0.5)*bw
				c.line(x, a.y1()-4, x, a.y0(), "marker")
				c.text(x, a.y1()-8, "middle", "markerlabel", m.name+" "+report.FormatDuration(v))
				break
			}
		}
	}
	c.text((a.x0()+a.x1())/2, a.h-8, "middle", "axis", "latency (upper bound of each log-spaced bucket)")
	return c.String()
}

// percentileCurveSVG draws latency (and service time, where it differs)
// against percentile on HdrHistogram's classic axis: 1/(1-p), log scale,
// so that p90, p99 and p99.9 are evenly spaced.
func percentileCurveSVG(s *report.Summary) string {
	type series struct {
		name, class string
		pts         [][2]float64 // log10(1/(1-q)), nanoseconds
	}
	var all []series
	add := func(name, class string, h *report.Histogram) {
		if h == nil || h.Count == 0 {
			return
		}
		sr := series{name: name, class: class}
		for _, br := range h.HDR().CumulativeDistributionWithTicks(curveTicks) {
			if br.Quantile >= 100 {
				continue
			}
			sr.pts = append(sr.pts, [2]float64{math.Log10(1 / (1 - br.Quantile/100)), float64(br.ValueAt)})
		}
		all = append(all, sr)
	}
	add("latency", "s-latency", s.Latency)
	if !sameHistogram(s.Latency, s.ServiceTime) {
		add("service time", "s-service", s.ServiceTime)
	}
	if len(all) == 0 {
		return ""
	}
	xmax, ymax := 2.0, 0.0
	for _, sr := range all {
		for _, pt := range sr.pts {
			xmax, ymax = max(xmax, pt[0]), max(ymax, pt[1])
		}
	}
	xmax = math.Ceil(xmax - 1e-9)
	a := plotArea{w: chartWidth, h: 280, left: 64, right: 16, top: 30, bottom: 48}
	c := newSVG(a.w, a.h, "Latency by percentile")
	step := niceStep(ymax, 4)
	ys := scale{0, roundUp(ymax, step), a.y0(), a.y1()}
	c.yAxis(a, ys, step, func(v float64) string { return report.FormatDuration(time.Duration(v)) })
	xs := scale{0, xmax, a.x0(), a.x1()}
	for k := 0.0; k <= xmax; k++ {
		x := xs.at(k)
		c.line(x, a.y1(), x, a.y0(), "grid")
		anchor := "middle"
		if k == xmax {
			anchor = "end"
		}
		c.text(x, a.y0()+16, anchor, "tick", nines(int(k)))
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	for _, sr := range all {
		var d strings.Builder
		for i, pt := range sr.pts {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s", cmd, num(xs.at(pt[0])), num(ys.at(pt[1])))
		}
		c.path(d.String(), "curve "+sr.class, "")
		for _, pt := range sr.pts {
			q := 100 * (1 - 1/math.Pow(10, pt[0]))
			c.circle(xs.at(pt[0]), ys.at(pt[1]), 2.5, "dot "+sr.class,
				fmt.Sprintf("%s %s: %s", sr.name, percentileText(q), report.FormatDuration(time.Duration(pt[1]))))
		}
	}
	items := make([][2]string, 0, len(all))
	for _, sr := range all {
		items = append(items, [2]string{sr.name, "sw " + sr.class})
	}
	c.legend(a.x1(), 12, items...)
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "latency")
	c.text((a.x0()+a.x1())/2, a.h-8, "middle", "axis", "percentile (log scale of 1/(1-p))")
	return c.String()
}

// sameHistogram reports whether a and b hold the same values (closed loop:
// latency is service time).
func sameHistogram(a, b *report.Histogram) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Count == b.Count && a.HDR().Equals(b.HDR())
}

// nines names the percentile 1-10^-k: 0%, 90%, 99%, 99.9%...
func nines(k int) string {
	if k == 0 {
		return "0%"
	}
	if k == 1 {
		return "90%"
	}
	if k == 2 {
		return "99%"
	}
	return "99." + strings.Repeat("9", k-2) + "%"
}

func percentileText(q float64) string {
	return "p" + strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", q), "0"), ".")
}

// minScaleWidth is the shortest point whose rate sets the throughput
// chart's scale: the last point of a run can be a sliver of a second (the
// calls in flight at -z ending a millisecond later), whose true rate over
// that sliver would flatten every full second.
const minScaleWidth = 100 * time.Millisecond

// rateScale is the highest calls per second of the points at least
// minScaleWidth long (of all points when none is).
func rateScale(s *report.Summary) float64 {
	var most, any float64
	for _, p := range s.Timeline {
		r := report.PointRate(s, p)
		any = max(any, r)
		if report.PointLength(s, p) >= minScaleWidth {
			most = max(most, r)
		}
	}
	for _, p := range s.Timeline {
		most = max(most, p.Target)
	}
	if most == 0 {
		return any
	}
	return most
}

// throughputSVG draws calls per second over the run, errors stacked on
// successes; the last point, shorter than a second, is as narrow as it is.
func throughputSVG(s *report.Summary) string {
	a := plotArea{w: chartWidth, h: 230, left: 64, right: 16, top: 30, bottom: 30}
	c := newSVG(a.w, a.h, "Calls per second")
	end := timelineEnd(s)
	most := rateScale(s)
	step := niceStep(most, 4)
	ys := scale{0, roundUp(most, step), a.y0(), a.y1()}
	xs := scale{0, end, a.x0(), a.x1()}
	c.yAxis(a, ys, step, shortCount)
	c.timeAxis(a, xs, a.y1())
	detail := len(s.Timeline) <= timelineDetail
	var okPath, errPath strings.Builder
	for _, p := range s.Timeline {
		from := float64(p.Second)
		x0, x1 := xs.at(from), xs.at(from+report.PointLength(s, p).Seconds())
		if x1-x0 > 3 {
			x0, x1 = x0+0.5, x1-0.5
		}
		secs := report.PointLength(s, p).Seconds()
		// A sliver's rate may be above the scale: its bar stops at the top.
		okTop := max(ys.at(float64(p.Count-p.Errors)/secs), a.y1())
		errTop := max(ys.at(float64(p.Count)/secs), a.y1())
		if detail {
			title := fmt.Sprintf("+%ds: %s (%s/s), %s", p.Second, report.Plural(int(p.Count), "call"), report.FormatRate(report.PointRate(s, p)), report.Plural(int(p.Errors), "error"))
			c.rect(x0, okTop, x1-x0, a.y0()-okTop, "bar ok", title)
			if p.Errors > 0 {
				c.rect(x0, errTop, x1-x0, okTop-errTop, "bar err", title)
			}
			continue
		}
		fmt.Fprintf(&okPath, "M%s %sH%sV%sH%sZ", num(x0), num(a.y0()), num(x1), num(okTop), num(x0))
		if p.Errors > 0 {
			fmt.Fprintf(&errPath, "M%s %sH%sV%sH%sZ", num(x0), num(okTop), num(x1), num(errTop), num(x0))
		}
	}
	c.path(okPath.String(), "bar ok", "")
	c.path(errPath.String(), "bar err", "")
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	if target := targetPath(s, xs, ys); target != "" {
		c.path(target, "target", "the rate the load asked for")
		c.legend(a.x1(), 12, [2]string{"ok", "sw ok"}, [2]string{"errors", "sw err"}, [2]string{"target", "sw target"})
	} else {
		c.legend(a.x1(), 12, [2]string{"ok", "sw ok"}, [2]string{"errors", "sw err"})
	}
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "calls/s")
	return c.String()
}

// latencyTimelineSVG draws the p50, p99 and max latency of each second,
// the lines broken over seconds without calls. Its y axis spans the data
// (latencyRange), not from 0: at high latencies p50, p99 and max would
// otherwise merge into one line at the top.
func latencyTimelineSVG(s *report.Summary) string {
	a := plotArea{w: chartWidth, h: 230, left: 64, right: 16, top: 30, bottom: 30}
	c := newSVG(a.w, a.h, "Latency per second")
	end := timelineEnd(s)
	lo, hi, step := latencyRange(s.Timeline)
	ys := scale{lo, hi, a.y0(), a.y1()}
	xs := scale{0, end, a.x0(), a.x1()}
	c.yAxis(a, ys, step, func(v float64) string { return report.FormatDuration(time.Duration(v)) })
	c.timeAxis(a, xs, a.y1())
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	mid := func(p report.Point) float64 { return xs.at(float64(p.Second) + report.PointLength(s, p).Seconds()/2) }
	lines := []struct {
		name, class string
		v           func(report.Point) time.Duration
	}{
		{"max", "s-max", func(p report.Point) time.Duration { return p.Max }},
		{"p99", "s-p99", func(p report.Point) time.Duration { return p.P99 }},
		{"p50", "s-p50", func(p report.Point) time.Duration { return p.P50 }},
	}
	dots := len(s.Timeline) <= timelineDetail/2
	for _, l := range lines {
		var d strings.Builder
		pen := "M"
		for _, p := range s.Timeline {
			if p.Count == 0 {
				pen = "M"
				continue
			}
			fmt.Fprintf(&d, "%s%s %s", pen, num(mid(p)), num(ys.at(float64(l.v(p)))))
			pen = "L"
		}
		c.path(d.String(), "curve "+l.class, "")
	}
	for _, l := range lines {
		for _, p := range s.Timeline {
			if p.Count > 0 && dots {
				c.circle(mid(p), ys.at(float64(l.v(p))), 2.5, "dot "+l.class,
					fmt.Sprintf("+%ds %s: %s (%s)", p.Second, l.name, report.FormatDuration(l.v(p)), report.Plural(int(p.Count), "call")))
			}
		}
	}
	c.legend(a.x1(), 12, [2]string{"p50", "sw s-p50"}, [2]string{"p99", "sw s-p99"}, [2]string{"max", "sw s-max"})
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "latency")
	return c.String()
}

// latencyRange is the y axis of the latency timeline: from the lowest p50
// to the highest max of the seconds with calls, widened to round steps
// (about 4 of them); from 0 when the data spans more than half of [0, hi]
// anyway, or there is none.
func latencyRange(points []report.Point) (lo, hi, step float64) {
	least, most := math.Inf(1), 0.0
	for _, p := range points {
		if p.Count == 0 {
			continue
		}
		least, most = min(least, float64(p.P50)), max(most, float64(p.Max))
	}
	if most <= 0 || least >= most || least < most/2 {
		step = niceStep(most, 4)
		return 0, roundUp(most, step), step
	}
	step = niceStep(most-least, 4)
	lo = math.Floor(least/step+1e-9) * step
	hi = max(math.Ceil(most/step-1e-9)*step, lo+step)
	return lo, hi, step
}

// timelineEnd is where the timeline's x axis ends, in seconds: the end of
// the run or of its last point.
func timelineEnd(s *report.Summary) float64 {
	end := s.Duration.Seconds()
	if n := len(s.Timeline); n > 0 {
		p := s.Timeline[n-1]
		end = max(end, float64(p.Second)+report.PointLength(s, p).Seconds())
	}
	return max(end, 0.001)
}

// targetPath is the open-loop target rate of each second, as steps beside
// the achieved rate's bars; "" when the run had no target (closed loop).
func targetPath(s *report.Summary, xs, ys scale) string {
	var b strings.Builder
	for _, p := range s.Timeline {
		if p.Target <= 0 {
			continue
		}
		from := float64(p.Second)
		x0, x1 := xs.at(from), xs.at(from+report.PointLength(s, p).Seconds())
		fmt.Fprintf(&b, "M%s %sH%s", num(x0), num(ys.at(p.Target)), num(x1))
	}
	return b.String()
}
