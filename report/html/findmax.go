package html

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// htmlFindMax is the breaking-point section of the page.
type htmlFindMax struct {
	Verdict, Class, Knee, Shape, Basis string
	SLO                                []string
	Steps                              []htmlStep
	Chart                              template.HTML
}

type htmlStep struct {
	Rate, RPS, P50, P99, Figures string
	Errors                       int64
	Pass                         bool
}

// htmlHandshake is a row of the handshake table.
type htmlHandshake struct {
	Phase, P50, P90, P99, Max string
	Count                     int64
}

func (p *htmlPage) findMax(s *report.Summary) {
	f := s.FindMax
	if f == nil {
		return
	}
	fm := &htmlFindMax{Verdict: report.FindMaxVerdict(f), Class: "good", SLO: f.SLO, Shape: report.FindMaxShape(f),
		Chart: template.HTML(rateLatencySVG(f))}
	if f.MaxRate == 0 {
		fm.Class = "bad"
	}
	if pass, fail := f.Knee(); fail != nil {
		fm.Knee = fmt.Sprintf("at %s/s: %s", report.FormatRate(fail.Rate), fail.Reason)
		if pass != nil {
			fm.Knee = fmt.Sprintf("between %s/s (p99 %s) and %s/s: %s", report.FormatRate(pass.Rate), report.FormatDuration(pass.P99),
				report.FormatRate(fail.Rate), fail.Reason)
		}
	}
	if f.MaxRate > 0 {
		fm.Basis = fmt.Sprintf("The rest of this page is the step at %s/s.", report.FormatRate(f.MaxRate))
	} else if n := len(f.Steps); n > 0 {
		fm.Basis = fmt.Sprintf("The rest of this page is the last step, at %s/s.", report.FormatRate(f.Steps[n-1].Rate))
	}
	for _, st := range f.Steps {
		fm.Steps = append(fm.Steps, htmlStep{Rate: report.FormatRate(st.Rate) + "/s", RPS: report.FormatRate(st.RPS) + "/s",
			P50: report.FormatDuration(st.P50), P99: report.FormatDuration(st.P99), Errors: st.Errors, Pass: st.Pass,
			Figures: report.StepFigures(st)})
	}
	p.FindMax = fm
	p.Figures = append([]htmlFigure{{Label: "Max rate", Value: report.FormatRate(f.MaxRate) + "/s", Sub: "within the SLO", Class: fm.Class}}, p.Figures...)
}

func (p *htmlPage) handshake(s *report.Summary) {
	var h *report.Handshake
	if s.Connectivity != nil {
		h = s.Connectivity.Handshake
	}
	for _, ph := range h.Phases() {
		p.Handshake = append(p.Handshake, htmlHandshake{Phase: ph.Name, P50: report.FormatDuration(ph.H.P50),
			P90: report.FormatDuration(ph.H.P90), P99: report.FormatDuration(ph.H.P99), Max: report.FormatDuration(ph.H.Max), Count: ph.H.Count})
	}
}

// rateLatencySVG draws each step's p50 and p99 latency against the rate it
// was asked for, passing steps as filled dots and failing ones as rings,
// with the highest passing rate marked and a latency objective of the SLO
// (a percentile or average of the latency) as a dashed line. Latencies far
// above the passing ones are drawn at the top edge (their titles say them).
func rateLatencySVG(f *report.FindMax) string {
	if len(f.Steps) == 0 {
		return ""
	}
	steps := slices.Clone(f.Steps)
	slices.SortStableFunc(steps, func(a, b report.FindMaxStep) int { return cmp.Compare(a.Rate, b.Rate) })
	var xmax, ypass, yall float64
	for _, st := range steps {
		xmax = max(xmax, st.Rate, st.RPS)
		yall = max(yall, float64(st.P99))
		if st.Pass {
			ypass = max(ypass, float64(st.P99))
		}
	}
	sloName, sloNS := latencyObjective(f)
	ytop := yall
	if ypass > 0 || sloNS > 0 { // keep the passing steps readable
		ytop = min(yall, 3*max(ypass, sloNS))
	}
	ytop = max(ytop, float64(time.Microsecond))
	a := plotArea{w: chartWidth, h: 300, left: 64, right: 16, top: 34, bottom: 48}
	c := newSVG(a.w, a.h, "Latency by rate")
	ystep := niceStep(ytop, 4)
	ys := scale{0, roundUp(ytop, ystep), a.y0(), a.y1()}
	c.yAxis(a, ys, ystep, func(v float64) string { return report.FormatDuration(time.Duration(v)) })
	xstep := niceStep(xmax, 6)
	xs := scale{0, roundUp(xmax, xstep), a.x0(), a.x1()}
	for _, v := range ticks(0, xs.hi, xstep) {
		x := xs.at(v)
		c.line(x, a.y1(), x, a.y0(), "grid")
		c.text(x, a.y0()+16, "middle", "tick", shortCount(v))
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	at := func(v time.Duration) float64 { return ys.at(min(float64(v), ys.hi)) }
	if sloNS > 0 && sloNS <= ys.hi {
		y := ys.at(sloNS)
		c.line(a.x0(), y, a.x1(), y, "target")
		c.text(a.x1()-4, y-5, "end", "markerlabel", "SLO "+sloName)
	}
	if f.MaxRate > 0 {
		x := xs.at(f.MaxRate)
		c.line(x, a.y1()-4, x, a.y0(), "marker")
		c.text(x, a.y1()-8, "middle", "markerlabel", "max "+report.FormatRate(f.MaxRate)+"/s")
	}
	for _, series := range []struct {
		name, class string
		of          func(report.FindMaxStep) time.Duration
	}{{"p50", "s-p50", func(st report.FindMaxStep) time.Duration { return st.P50 }},
		{"p99", "s-p99", func(st report.FindMaxStep) time.Duration { return st.P99 }}} {
		var d strings.Builder
		for i, st := range steps {
			fmt.Fprintf(&d, "%s%s %s", map[bool]string{true: "M", false: "L"}[i == 0], num(xs.at(st.Rate)), num(at(series.of(st))))
		}
		c.path(d.String(), "curve "+series.class, "")
		for _, st := range steps {
			verdict, class := "pass", "dot "+series.class
			if !st.Pass {
				verdict, class = "FAIL: "+st.Reason, "ring "+series.class
			}
			c.circle(xs.at(st.Rate), at(series.of(st)), 3.5, class, fmt.Sprintf("%s/s (achieved %s/s): %s %s · %s",
				report.FormatRate(st.Rate), report.FormatRate(st.RPS), series.name, report.FormatDuration(series.of(st)), verdict))
		}
	}
	c.legend(a.x1(), 12, [2]string{"p50", "sw s-p50"}, [2]string{"p99", "sw s-p99"})
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "latency")
	c.text((a.x0()+a.x1())/2, a.h-8, "middle", "axis", "rate asked for (calls/s) · filled: within the SLO · ring: not")
	return c.String()
}

// latencyObjective is the first objective of f's SLO on the latency itself
// (p(N), avg, med, max) and its threshold in nanoseconds, read from the
// first step's figures; 0 when there is none.
func latencyObjective(f *report.FindMax) (string, float64) {
	for _, a := range f.Steps[0].SLO {
		m := report.SLOMetric(a.Expr)
		if strings.HasPrefix(m, "p(") || m == "avg" || m == "med" || m == "max" {
			return a.Expr, a.Threshold
		}
	}
	return "", 0
}
