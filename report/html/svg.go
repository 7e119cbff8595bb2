package html

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/report"
)

// The charts: SVG drawn here, deterministic, styled by the page's CSS
// through classes (so they follow its light or dark colours).

const (
	chartWidth     = 960.0
	htmlDistBars   = 40  // bars of the latency distribution
	htmlMaxConns   = 50  // rows of the connection timeline
	timelineDetail = 300 // seconds up to which timeline bars get a tooltip each
	curveTicks     = 5   // percentile ticks per half distance, as in .hgrm
)

// svgChart builds one <svg> element.
type svgChart struct{ b strings.Builder }

func newSVG(w, h float64, label string) *svgChart {
	c := &svgChart{}
	fmt.Fprintf(&c.b, `<svg viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`,
		num(w), num(h), num(w), num(h), template.HTMLEscapeString(label))
	c.b.WriteByte('\n')
	return c
}

func (c *svgChart) String() string { return c.b.String() + "</svg>" }

// el writes an element; a non-empty title becomes its tooltip.
func (c *svgChart) el(name, attrs, title string) {
	if title == "" {
		fmt.Fprintf(&c.b, "<%s %s/>\n", name, attrs)
		return
	}
	fmt.Fprintf(&c.b, "<%s %s><title>%s</title></%s>\n", name, attrs, template.HTMLEscapeString(title), name)
}

func (c *svgChart) rect(x, y, w, h float64, class, title string) {
	c.el("rect", fmt.Sprintf(`x="%s" y="%s" width="%s" height="%s" class="%s"`, num(x), num(y), num(max(w, 0)), num(max(h, 0)), class), title)
}

func (c *svgChart) line(x1, y1, x2, y2 float64, class string) {
	c.el("line", fmt.Sprintf(`x1="%s" y1="%s" x2="%s" y2="%s" class="%s"`, num(x1), num(y1), num(x2), num(y2), class), "")
}

func (c *svgChart) circle(x, y, r float64, class, title string) {
	c.el("circle", fmt.Sprintf(`cx="%s" cy="%s" r="%s" class="%s"`, num(x), num(y), num(r), class), title)
}

func (c *svgChart) path(d, class, title string) {
	if d == "" {
		return
	}
	c.el("path", fmt.Sprintf(`d="%s" class="%s"`, d, class), title)
}

// text writes text anchored at start, middle or end.
func (c *svgChart) text(x, y float64, anchor, class, text string) {
	fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`+"\n",
		num(x), num(y), anchor, class, template.HTMLEscapeString(text))
}

// legend writes swatches and labels from the right edge x leftwards.
func (c *svgChart) legend(x, y float64, items ...[2]string) {
	for i := len(items) - 1; i >= 0; i-- {
		label, class := items[i][0], items[i][1]
		x -= textWidth(label, 11)
		c.text(x, y+4, "start", "legend", label)
		x -= 16
		c.rect(x, y-5, 11, 11, class, "")
		x -= 14
	}
}

// textWidth estimates the width of text at size px in the page's sans
// serif font, enough to lay out legends and labels.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == 'm', r == 'w':
			w += 0.8
		case r >= 'A' && r <= 'Z':
			w += 0.64
		case r == ' ', r == '.', r == ',', r == ':', r == 'i', r == 'l', r == 'j', r == 't', r == 'f', r == '(', r == ')':
			w += 0.3
		default:
			w += 0.56
		}
	}
	return w * size
}

// num writes a coordinate with one decimal at most.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// scale maps [lo, hi] onto pixels [p0, p1].
type scale struct{ lo, hi, p0, p1 float64 }

func (s scale) at(v float64) float64 {
	if s.hi == s.lo {
		return s.p0
	}
	return s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

// niceStep is a round step (1, 2 or 5 times a power of ten) that cuts span
// into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch r := raw / mag; {
	case r <= 1:
		return mag
	case r <= 2:
		return 2 * mag
	case r <= 5:
		return 5 * mag
	}
	return 10 * mag
}

// timeSteps are the round steps of a time axis from a second up.
var timeSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600}

// niceTimeStep is niceStep for seconds: below a second as niceStep, above
// in round seconds, minutes and hours.
func niceTimeStep(span float64, n int) float64 {
	step := niceStep(span, n)
	if step <= 1 {
		return step
	}
	for _, t := range timeSteps {
		if t >= span/float64(n) {
			return t
		}
	}
	return step
}

// ticks are the multiples of step in [lo, hi].
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 || i > 1000 {
			break
		}
		out = append(out, v)
	}
	return out
}

// roundUp is v rounded up to a multiple of step.
func roundUp(v, step float64) float64 {
	return max(math.Ceil(v/step-1e-9), 1) * step
}

// shortCount writes an axis count: 950, 12k, 1.5M.
func shortCount(v float64) string {
	switch {
	case v >= 1e6:
		return report.TrimZeros(v/1e6) + "M"
	case v >= 1e4:
		return report.TrimZeros(v/1e3) + "k"
	}
	return fmt.Sprint(int64(v + 0.5))
}

// plotArea is a chart's frame: the SVG size and the margins of its plot.
type plotArea struct{ w, h, left, right, top, bottom float64 }

func (a plotArea) x0() float64 { return a.left }
func (a plotArea) x1() float64 { return a.w - a.right }
func (a plotArea) y0() float64 { return a.h - a.bottom } // the baseline
func (a plotArea) y1() float64 { return a.top }

// yAxis draws horizontal grid lines and labels for [0, top].
func (c *svgChart) yAxis(a plotArea, ys scale, step float64, label func(float64) string) {
	for _, v := range ticks(ys.lo, ys.hi, step) {
		y := ys.at(v)
		c.line(a.x0(), y, a.x1(), y, "grid")
		c.text(a.x0()-6, y+4, "end", "tick", label(v))
	}
}

// timeAxis draws vertical grid lines and time labels (seconds) under the
// plot.
func (c *svgChart) timeAxis(a plotArea, xs scale, gridTop float64) {
	step := niceTimeStep(xs.hi-xs.lo, 8)
	for _, v := range ticks(xs.lo, xs.hi, step) {
		x := xs.at(v)
		c.line(x, gridTop, x, a.y0(), "grid")
		label := axisTime(time.Duration(v * float64(time.Second)))
		if v > 0 {
			label = "+" + label
		}
		anchor := "middle"
		if x > a.x1()-textWidth(label, 11)/2 {
			anchor = "end"
		}
		c.text(x, a.y0()+16, anchor, "tick", label)
	}
}

// axisTime is formatDuration without the zero seconds and minutes of
// round times: 10m, 1h, 1m30s.
func axisTime(d time.Duration) string {
	t := report.FormatDuration(d)
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}
