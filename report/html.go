package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/grpcpulse/grpcpulse/runner"
)

//go:embed html_template.html
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// htmlMaxErrors is how many error messages the page lists.
const htmlMaxErrors = 10

// htmlPercentiles are the columns of the page's percentile table.
var htmlPercentiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 100}

// RenderHTML writes s as one self-contained HTML page: inline CSS and
// inline SVG charts drawn here (no script, no fetch of any kind), with the
// key figures, the percentiles, the latency distribution and percentile
// curve, the per-second timeline, the connection timeline (one row per
// pool connection with its events), the findings, status codes and errors.
// The output depends only on s.
func RenderHTML(w io.Writer, s *Summary) error {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, newHTMLPage(s)); err != nil {
		return fmt.Errorf("rendering html report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows: text (escaped by html/template)
// and charts (SVG built by this file, its text escaped here).
type htmlPage struct {
	Title, Method, Target, Kind string
	Load                        []string
	Started, Tool               string
	Figures                     []htmlFigure
	Notes                       []htmlNote
	Assertions                  []htmlAssertion
	AssertionsFailed            int
	PercentileHead              []string
	PercentileRows              []htmlRow
	Distribution, Curve         template.HTML
	Throughput, LatencyTimeline template.HTML
	TimelineNote                string
	Connections                 template.HTML
	ConnSummary                 string
	ConnMore                    int
	Backends                    []htmlBackend
	HasDiagnosis                bool
	Findings                    []htmlFinding
	StatusCodes                 []htmlCode
	ErrorsTitle                 string
	Errors                      []htmlError
}

type htmlFigure struct{ Label, Value, Sub, Class string }

type htmlNote struct{ Label, Text, Class string }

type htmlAssertion struct {
	Pass        bool
	Expr, Value string
}

type htmlRow struct {
	Label string
	Cells []string
}

type htmlBackend struct {
	Remote        string
	Calls, Errors int64
	Share         string
}

type htmlFinding struct {
	Severity, Class, Title, Cause, Fix string
	Evidence                           []Evidence
}

type htmlCode struct {
	Code         string
	Count        int64
	Share, Class string
	Width        string // of the share bar, in percent
}

type htmlError struct {
	Count         int64
	Code, Message string
}

func newHTMLPage(s *Summary) *htmlPage {
	p := &htmlPage{
		Title:   fmt.Sprintf("grpcpulse · %s → %s", s.Method, s.Target),
		Method:  s.Method,
		Target:  s.Target,
		Kind:    string(s.Kind),
		Load:    LoadShape(s.Options, s.Kind),
		Started: s.StartedAt.UTC().Format(time.RFC3339),
		Tool:    "grpcpulse " + cmp.Or(s.Tool.Version, "(unknown version)"),
	}
	if s.Tool.GRPCGo != "" {
		p.Tool += " · grpc-go " + s.Tool.GRPCGo
	}
	errClass := "good"
	if s.Errors > 0 {
		errClass = "bad"
	}
	p.Figures = []htmlFigure{
		{Label: "Calls", Value: fmt.Sprint(s.Count), Sub: "ok " + fmt.Sprint(s.OK)},
		{Label: "Errors", Value: fmt.Sprint(s.Errors), Sub: Percent(s.Errors, s.Count), Class: errClass},
		{Label: "Throughput", Value: FormatRate(s.RPS) + "/s", Sub: "over " + FormatDuration(s.Duration)},
	}
	if s.Count > 0 {
		p.Figures = append(p.Figures,
			htmlFigure{Label: "Latency p50", Value: FormatDuration(s.Latency.Percentile(50))},
			htmlFigure{Label: "Latency p99", Value: FormatDuration(s.Latency.Percentile(99)), Sub: "max " + FormatDuration(s.Latency.Percentile(100))})
	}
	p.notes(s)
	p.assertions(s)
	p.percentiles(s)
	if s.Count > 0 {
		p.Distribution = template.HTML(distributionSVG(s.Latency))
		p.Curve = template.HTML(percentileCurveSVG(s))
	}
	if len(s.Timeline) > 0 {
		p.Throughput = template.HTML(throughputSVG(s))
		p.LatencyTimeline = template.HTML(latencyTimelineSVG(s))
		if len(s.Timeline) > timelineDetail {
			p.TimelineNote = fmt.Sprintf("%d seconds: hover details are left out above %d.", len(s.Timeline), timelineDetail)
		}
	}
	p.connections(s)
	p.diagnosis(s)
	p.codes(s)
	return p
}

func (p *htmlPage) notes(s *Summary) {
	add := func(label, class, format string, args ...any) {
		p.Notes = append(p.Notes, htmlNote{Label: label, Class: class, Text: fmt.Sprintf(format, args...)})
	}
	if s.Kind.Streaming() {
		add("Messages", "", "sent %d, received %d", s.Messages.Sent, s.Messages.Received)
	}
	if n := len(s.Sources); n > 0 {
		add("Merged", "", "from %s", Plural(n, "report"))
	}
	if s.Count > 0 && s.OK == 0 {
		add("No success", "bad", "every call failed")
	}
	if s.Interrupted {
		add("Interrupted", "warn", "the run was stopped before its end; the figures cover the part that ran")
	}
	if s.LateStarts > 0 {
		add("Late starts", "warn", "%s started after they were due, as no worker was free; their latency counts from when they were due",
			Plural(int(s.LateStarts), "call"))
	}
	if s.Unstarted > 0 {
		add("Unstarted", "warn", "%s due within the run never started: every worker was held until the run ended", Plural(int(s.Unstarted), "call"))
	}
	if s.PacerLate > 0 {
		add("Pacer late", "warn", "the client machine handed out %s late (an overloaded client, not the server)", Plural(int(s.PacerLate), "call"))
	}
	if s.Aborted > 0 {
		add("Aborted", "warn", "%s in flight when the run stopped (not recorded)", Plural(int(s.Aborted), "call"))
	}
}

func (p *htmlPage) assertions(s *Summary) {
	for _, a := range s.Assertions {
		p.Assertions = append(p.Assertions, htmlAssertion{Pass: a.Pass, Expr: a.Expr, Value: a.Value})
		if !a.Pass {
			p.AssertionsFailed++
		}
	}
}

func (p *htmlPage) percentiles(s *Summary) {
	if s.Count == 0 {
		return
	}
	for _, q := range htmlPercentiles {
		p.PercentileHead = append(p.PercentileHead, PercentileName(q))
	}
	row := func(label string, h *Histogram) {
		if h == nil || h.Count == 0 {
			return
		}
		r := htmlRow{Label: label}
		for _, q := range htmlPercentiles {
			r.Cells = append(r.Cells, FormatDuration(h.Percentile(q)))
		}
		p.PercentileRows = append(p.PercentileRows, r)
	}
	row("latency", s.Latency)
	row("service time", s.ServiceTime)
	for _, name := range SeriesOrder {
		row(strings.ReplaceAll(name, "_", " "), s.Series[name])
	}
}

func (p *htmlPage) connections(s *Summary) {
	p.ConnSummary = strings.Join(ConnectivityParts(s.Connectivity), " · ")
	p.Connections = template.HTML(connectionsSVG(s))
	p.ConnMore = max(len(s.Connections)-htmlMaxConns, 0)
	if len(s.Backends) > 1 {
		var total int64
		for _, b := range s.Backends {
			total += b.Calls
		}
		for _, b := range s.Backends[:min(len(s.Backends), htmlMaxConns)] {
			p.Backends = append(p.Backends, htmlBackend{Remote: b.Remote, Calls: b.Calls, Errors: b.Errors, Share: Percent(b.Calls, total)})
		}
	}
}

func (p *htmlPage) diagnosis(s *Summary) {
	p.HasDiagnosis = s.Connectivity != nil || len(s.Findings) > 0
	for _, f := range s.Findings {
		p.Findings = append(p.Findings, htmlFinding{
			Severity: strings.ToUpper(string(f.Severity)), Class: "sev-" + string(f.Severity),
			Title: f.Title, Evidence: f.Evidence, Cause: f.Cause, Fix: f.Fix,
		})
	}
}

func (p *htmlPage) codes(s *Summary) {
	for _, c := range s.StatusCodes {
		class := "good"
		if c.Code != 0 {
			class = "bad"
		}
		width := 0.0
		if s.Count > 0 {
			width = float64(c.Count) * 100 / float64(s.Count)
		}
		p.StatusCodes = append(p.StatusCodes, htmlCode{Code: CodeName(c.Code), Count: c.Count,
			Share: Percent(c.Count, s.Count), Class: class, Width: num(width)})
	}
	errs := s.ErrorsByMessage
	p.ErrorsTitle = "Errors"
	if len(errs) > htmlMaxErrors {
		p.ErrorsTitle = fmt.Sprintf("Errors (top %d of %d)", htmlMaxErrors, len(errs))
		errs = errs[:htmlMaxErrors]
	}
	for _, e := range errs {
		p.Errors = append(p.Errors, htmlError{Count: e.Count, Code: CodeName(e.Code), Message: e.Message})
	}
}

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
		return TrimZeros(v/1e6) + "M"
	case v >= 1e4:
		return TrimZeros(v/1e3) + "k"
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
	t := FormatDuration(d)
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

// distributionSVG draws the latency histogram as bars over log-spaced
// buckets (the text report's, finer), marking the p50 and p99 buckets.
func distributionSVG(h *Histogram) string {
	buckets := LogBuckets(h, htmlDistBars)
	if len(buckets) == 0 {
		return ""
	}
	a := plotArea{w: chartWidth, h: 280, left: 64, right: 16, top: 30, bottom: 48}
	c := newSVG(a.w, a.h, "Latency distribution")
	var most int64
	for _, b := range buckets {
		most = max(most, b.count)
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
		if b.count > 0 {
			y = min(ys.at(float64(b.count)), a.y0()-1.5) // a single call stays visible
		}
		c.rect(x+gap/2, y, bw-gap, a.y0()-y, "bar", fmt.Sprintf("%s – %s: %d calls (%s)",
			FormatDuration(lower), FormatDuration(b.upper), b.count, Percent(b.count, h.Count)))
		lower = b.upper
		if i%every == 0 || i == len(buckets)-1 {
			c.text(x+bw/2, a.y0()+16, "middle", "tick", FormatDuration(b.upper))
		}
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	for _, m := range []struct {
		name string
		p    float64
	}{{"p50", 50}, {"p99", 99}} {
		v := h.Percentile(m.p)
		for i, b := range buckets {
			if b.upper >= v || i == len(buckets)-1 {
				x := a.x0() + (float64(i)+0.5)*bw
				c.line(x, a.y1()-4, x, a.y0(), "marker")
				c.text(x, a.y1()-8, "middle", "markerlabel", m.name+" "+FormatDuration(v))
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
func percentileCurveSVG(s *Summary) string {
	type series struct {
		name, class string
		pts         [][2]float64 // log10(1/(1-q)), nanoseconds
	}
	var all []series
	add := func(name, class string, h *Histogram) {
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
	c.yAxis(a, ys, step, func(v float64) string { return FormatDuration(time.Duration(v)) })
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
				fmt.Sprintf("%s %s: %s", sr.name, percentileText(q), FormatDuration(time.Duration(pt[1]))))
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
func sameHistogram(a, b *Histogram) bool {
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

// throughputSVG draws calls per second over the run, errors stacked on
// successes; the last point, shorter than a second, is as narrow as it is.
func throughputSVG(s *Summary) string {
	a := plotArea{w: chartWidth, h: 230, left: 64, right: 16, top: 30, bottom: 30}
	c := newSVG(a.w, a.h, "Calls per second")
	end := timelineEnd(s)
	var most float64
	for _, p := range s.Timeline {
		most = max(most, PointRate(s, p))
	}
	step := niceStep(most, 4)
	ys := scale{0, roundUp(most, step), a.y0(), a.y1()}
	xs := scale{0, end, a.x0(), a.x1()}
	c.yAxis(a, ys, step, shortCount)
	c.timeAxis(a, xs, a.y1())
	detail := len(s.Timeline) <= timelineDetail
	var okPath, errPath strings.Builder
	for _, p := range s.Timeline {
		from := float64(p.Second)
		x0, x1 := xs.at(from), xs.at(from+PointLength(s, p).Seconds())
		if x1-x0 > 3 {
			x0, x1 = x0+0.5, x1-0.5
		}
		secs := PointLength(s, p).Seconds()
		okTop := ys.at(float64(p.Count-p.Errors) / secs)
		errTop := ys.at(float64(p.Count) / secs)
		if detail {
			title := fmt.Sprintf("+%ds: %d calls (%s/s), %d errors", p.Second, p.Count, FormatRate(PointRate(s, p)), p.Errors)
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
	c.legend(a.x1(), 12, [2]string{"ok", "sw ok"}, [2]string{"errors", "sw err"})
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "calls/s")
	return c.String()
}

// latencyTimelineSVG draws the p50, p99 and max latency of each second,
// the lines broken over seconds without calls.
func latencyTimelineSVG(s *Summary) string {
	a := plotArea{w: chartWidth, h: 230, left: 64, right: 16, top: 30, bottom: 30}
	c := newSVG(a.w, a.h, "Latency per second")
	end := timelineEnd(s)
	var most float64
	for _, p := range s.Timeline {
		most = max(most, float64(p.Max))
	}
	step := niceStep(most, 4)
	ys := scale{0, roundUp(most, step), a.y0(), a.y1()}
	xs := scale{0, end, a.x0(), a.x1()}
	c.yAxis(a, ys, step, func(v float64) string { return FormatDuration(time.Duration(v)) })
	c.timeAxis(a, xs, a.y1())
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	mid := func(p Point) float64 { return xs.at(float64(p.Second) + PointLength(s, p).Seconds()/2) }
	lines := []struct {
		name, class string
		v           func(Point) time.Duration
	}{
		{"max", "s-max", func(p Point) time.Duration { return p.Max }},
		{"p99", "s-p99", func(p Point) time.Duration { return p.P99 }},
		{"p50", "s-p50", func(p Point) time.Duration { return p.P50 }},
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
					fmt.Sprintf("+%ds %s: %s (%d calls)", p.Second, l.name, FormatDuration(l.v(p)), p.Count))
			}
		}
	}
	c.legend(a.x1(), 12, [2]string{"p50", "sw s-p50"}, [2]string{"p99", "sw s-p99"}, [2]string{"max", "sw s-max"})
	c.text(a.x0()-6, a.y1()-14, "end", "axis", "latency")
	return c.String()
}

// timelineEnd is where the timeline's x axis ends, in seconds: the end of
// the run or of its last point.
func timelineEnd(s *Summary) float64 {
	end := s.Duration.Seconds()
	if n := len(s.Timeline); n > 0 {
		p := s.Timeline[n-1]
		end = max(end, float64(p.Second)+PointLength(s, p).Seconds())
	}
	return max(end, 0.001)
}

// stateClasses colour a pool connection's connectivity states.
var stateClasses = map[string]string{
	"READY":             "st-ready",
	"IDLE":              "st-idle",
	"CONNECTING":        "st-connecting",
	"TRANSIENT_FAILURE": "st-failure",
	"SHUTDOWN":          "st-shutdown",
}

// connectionsSVG draws one row per pool connection over the run's time:
// its connectivity state as a band, and its events (transports opened,
// GOAWAYs, closes, keepalive pings, resets) as markers with tooltips.
// Nothing when no connection has events (a report older than them).
func connectionsSVG(s *Summary) string {
	conns := s.Connections[:min(len(s.Connections), htmlMaxConns)]
	var lo, hi time.Duration = 0, s.Duration
	hasEvents := false
	for _, cn := range conns {
		for _, e := range cn.Events {
			lo, hi, hasEvents = min(lo, e.At), max(hi, e.At), true
		}
		if cn.StalledAt != nil {
			hi = max(hi, *cn.StalledAt)
		}
	}
	if !hasEvents {
		return ""
	}
	hi = max(hi, lo+time.Millisecond)
	const rowH = 34.0
	a := plotArea{w: chartWidth, left: 215, right: 16, top: 40, bottom: 30}
	a.h = a.top + rowH*float64(len(conns)) + a.bottom
	c := newSVG(a.w, a.h, "Connection timeline")
	xs := scale{lo.Seconds(), hi.Seconds(), a.x0(), a.x1()}
	at := func(d time.Duration) float64 { return xs.at(d.Seconds()) }
	if lo < 0 {
		c.rect(at(lo), a.y1(), at(0)-at(lo), a.y0()-a.y1(), "pre", "before measurement: initial connects and warm-up")
		if at(0)-at(lo) > 90 {
			c.text((at(lo)+at(0))/2, a.y1()-4, "middle", "tick", "before measurement")
		}
	}
	for i := range conns {
		if i%2 == 1 {
			c.rect(0, a.y1()+float64(i)*rowH, a.w, rowH, "zebra", "")
		}
	}
	c.timeAxis(a, xs, a.y1())
	for i, cn := range conns {
		y := a.y1() + float64(i)*rowH + rowH/2
		remote := cmp.Or(cn.Remote, "(unknown)")
		if r := []rune(remote); len(r) > 24 {
			remote = string(r[:23]) + "…"
		}
		c.text(8, y-2, "start", "rowlabel", fmt.Sprintf("#%d %s", cn.Index, remote))
		sub := fmt.Sprintf("%s · %d errors", Plural(int(cn.Calls), "call"), cn.Errors)
		if cn.Transports > 0 {
			sub += " · " + Plural(int(cn.Transports), "transport")
		}
		c.text(8, y+12, "start", "rowsub", sub)
		c.line(at(lo), y, at(hi), y, "baseline")
		connectionRow(c, cn, y, at, hi)
	}
	c.line(a.x0(), a.y0(), a.x1(), a.y0(), "axisline")
	c.connLegend()
	return c.String()
}

// connectionRow draws one connection's states and events on the row at y.
func connectionRow(c *svgChart, cn Connection, y float64, at func(time.Duration) float64, end time.Duration) {
	const band = 10.0
	state, since := "", time.Duration(0)
	closeBand := func(to time.Duration, err string) {
		if state == "" || to < since {
			return
		}
		title := fmt.Sprintf("%s from %s to %s (%s)", state, RelTime(since), RelTime(to), FormatDuration(to-since))
		if err != "" {
			title += ": " + err
		}
		c.rect(at(since), y-band/2, max(at(to)-at(since), 1), band, "band "+cmp.Or(stateClasses[state], "st-other"), title)
	}
	var lastErr string
	gap := cn.DroppedEvents > 0 && len(cn.Events) > HeadEvents
	for i, e := range cn.Events {
		if gap && i == HeadEvents {
			closeBand(cn.Events[i-1].At, lastErr)
			from := at(cn.Events[i-1].At)
			c.rect(from, y-band, max(at(e.At)-from, 2), 2*band, "gap",
				fmt.Sprintf("%d events between %s and %s were counted but not kept", cn.DroppedEvents, RelTime(cn.Events[i-1].At), RelTime(e.At)))
			state = ""
		}
		switch {
		case e.Kind == runner.EventState:
			closeBand(e.At, lastErr)
			state, since, lastErr = e.State, e.At, e.Err
		case e.Kind == runner.EventOpen && state == "":
			// The runner dials each connection to READY before it watches
			// it: the first READY is no event, the first open is. After
			// a gap of dropped events, an open is as good a sign.
			state, since, lastErr = "READY", e.At, ""
		}
	}
	closeBand(end, lastErr)

	for i, e := range cn.Events {
		x := at(e.At)
		when := " at " + RelTime(e.At)
		tr := ""
		if e.Transport > 0 {
			tr = fmt.Sprintf(" (transport %d)", e.Transport)
		}
		switch e.Kind {
		case runner.EventPing:
			title := "keepalive ping" + tr + when + ", no answer kept"
			class := "ev-ping unanswered"
			for _, f := range cn.Events[i+1:] {
				if f.Kind == runner.EventPingAck && f.Transport == e.Transport {
					title, class = fmt.Sprintf("keepalive ping%s%s, answered in %s", tr, when, FormatDuration(f.RTT)), "ev-ping"
					break
				}
				if f.Kind == runner.EventPing && f.Transport == e.Transport {
					break
				}
			}
			c.el("path", fmt.Sprintf(`d="M%s %sv5" class="%s"`, num(x), num(y-band/2-7), class), title)
		case runner.EventOpen:
			c.circle(x, y, 4.5, "ev-open", fmt.Sprintf("transport opened%s%s: %s → %s", tr, when, cmp.Or(e.Local, "?"), cmp.Or(e.Remote, "?")))
		case runner.EventGoAway:
			title := fmt.Sprintf("GOAWAY %s %s%s%s, last stream %d", e.Code, e.Debug, tr, when, e.LastStreamID)
			c.path(goawayShape(x, y-10), "ev-goaway", title)
		case runner.EventClose:
			class := "ev-close"
			if e.Err == runner.ClosedByClient && e.Unanswered == 0 {
				class = "ev-close client"
			}
			title := "transport closed" + tr + when + ": " + cmp.Or(e.Err, "?")
			if e.Unanswered > 0 {
				title += fmt.Sprintf("; a keepalive ping had been unanswered for %s", FormatDuration(e.Unanswered))
			}
			c.path(crossShape(x, y+10), class, title)
		case runner.EventRSTStream:
			c.rect(x-3, y+band/2+8, 6, 6, "ev-rst", fmt.Sprintf("RST_STREAM %s%s%s", e.Code, tr, when))
		case runner.EventHandshakeFailed:
			c.path(fmt.Sprintf("M%s %sl5 9h-10Z", num(x), num(y-5)), "ev-fail", "TLS handshake failed"+tr+when+": "+e.Err)
		}
	}
	if cn.StalledAt != nil {
		x := at(*cn.StalledAt)
		c.el("path", fmt.Sprintf(`d="M%s %sv%s" class="stall"`, num(x), num(y-14), num(28)),
			fmt.Sprintf("silent from %s: calls missed their deadline while the connection was READY, and none succeeded after", RelTime(*cn.StalledAt)))
	}
}

// connLegend explains the bands and markers above the connection rows.
func (c *svgChart) connLegend() {
	x, y := 8.0, 14.0
	item := func(draw func(x float64), label string) {
		draw(x)
		c.text(x+12, y+4, "start", "legend", label)
		x += 12 + textWidth(label, 11) + 16
	}
	for _, st := range []string{"READY", "CONNECTING", "TRANSIENT_FAILURE", "IDLE"} {
		item(func(x float64) { c.rect(x-2, y-4, 10, 8, "band "+stateClasses[st], "") }, st)
	}
	item(func(x float64) { c.circle(x+3, y, 4.5, "ev-open", "") }, "open")
	item(func(x float64) { c.path(goawayShape(x+3, y), "ev-goaway", "") }, "GOAWAY")
	item(func(x float64) { c.path(crossShape(x+3, y), "ev-close", "") }, "closed by peer")
	item(func(x float64) { c.path(crossShape(x+3, y), "ev-close client", "") }, "closed by client")
	item(func(x float64) { c.el("path", fmt.Sprintf(`d="M%s %sv8" class="ev-ping"`, num(x+3), num(y-4)), "") }, "keepalive ping")
	item(func(x float64) { c.el("path", fmt.Sprintf(`d="M%s %sv12" class="stall"`, num(x+3), num(y-6)), "") }, "silent")
}

// goawayShape is a diamond centred on x, y.
func goawayShape(x, y float64) string {
	return fmt.Sprintf("M%s %sl5 5l-5 5l-5 -5Z", num(x), num(y-5))
}

// crossShape is an X centred on x, y.
func crossShape(x, y float64) string {
	return fmt.Sprintf("M%s %sl7 7m0 -7l-7 7", num(x-3.5), num(y-3.5))
}
